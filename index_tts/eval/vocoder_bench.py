"""Vocoder inference speed, alone and inside the text -> mel -> wav pipeline.

``python -m index_tts.train vocoder-bench [--bundle baker-zh] [--threads 2] [--device cpu]``
times MB-MelGAN and the HiFi-GAN presets on the same mel, interleaved (one run of each per
round, best of the rounds) so that load from other processes hits all of them alike. HiFi-GAN
weights are random: speed does not depend on their values. With ``--bundle`` the mel comes
from the bundle's acoustic model for a fixed ~5 s sentence, the bundle's own vocoders are
used, and the frontend + acoustic time is added to give whole-pipeline real-time factors.
"""
from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass
from typing import Callable, Optional

import torch

log = logging.getLogger(__name__)

SENTENCE = "今天下午三点，我们在会议室讨论了明年的工作计划，大家都很满意。"


@dataclass(frozen=True)
class SpeedRow:
    name: str
    params_m: float
    best_s: float
    audio_s: float
    pipeline_s: Optional[float] = None  # frontend + acoustic + this vocoder

    @property
    def rtf(self) -> float:
        """Wall time / audio duration (< 1: faster than real time)."""
        return self.best_s / self.audio_s

    @property
    def speed(self) -> float:
        """Seconds of audio per second of wall time."""
        return self.audio_s / self.best_s


def _timed(fn: Callable[[], object], device: str) -> float:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def benchmark(vocoders: dict, mel: torch.Tensor, rounds: int = 5, device: str = "cpu", sample_rate: int = 24000,
              front_s: Optional[float] = None) -> list[SpeedRow]:
    """Best-of-``rounds`` time of ``v.infer(mel)`` for every vocoder, interleaved per round."""
    mel = mel.to(device)
    best = {}
    for name, voc in vocoders.items():
        voc.to(device).eval().infer(mel)  # warm-up
        best[name] = float("inf")
    for _ in range(rounds):
        for name, voc in vocoders.items():
            best[name] = min(best[name], _timed(lambda: voc.infer(mel), device))
    rows = []
    for name, voc in vocoders.items():
        audio_s = mel.shape[-1] * voc.hop_length / sample_rate
        params = sum(p.numel() for p in voc.parameters()) / 1e6
        rows.append(SpeedRow(name, params, best[name], audio_s, None if front_s is None else front_s + best[name]))
    return rows


def _bundle_mel(bundle_name: str, device: str, rounds: int) -> tuple[dict, torch.Tensor, float, int]:
    from ..bundle import load_bundle
    from ..frontend import Frontend

    bundle = load_bundle(bundle_name, device=device)
    frontend = Frontend(symbols=bundle.symbols)
    frontend(SENTENCE)  # warm-up (dictionary loading)
    acoustic = bundle.acoustic.eval()

    def text_to_mel() -> torch.Tensor:
        segs = frontend(SENTENCE).segments
        mels = [acoustic.infer(torch.tensor([s.ids], device=device)).mel for s in segs]
        return torch.cat(mels, dim=-1)

    mel = text_to_mel()
    front_s = min(_timed(text_to_mel, device) for _ in range(rounds))
    return {f"{k} (bundle)": v for k, v in bundle.vocoders.items()}, mel, front_s, bundle.mel.sample_rate


def main(argv: Optional[list[str]] = None) -> int:
    from ..vocoder.hifigan import HiFiGAN, preset

    ap = argparse.ArgumentParser(prog="python -m index_tts.train vocoder-bench", description=__doc__.split("\n")[0])
    ap.add_argument("--bundle", default=None, help="time the whole pipeline with this bundle (folder or name)")
    ap.add_argument("--seconds", type=float, default=5.0, help="mel length without --bundle")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--presets", default="v1,v2,v3")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    front_s, sr = None, 24000
    if args.bundle:
        vocoders, mel, front_s, sr = _bundle_mel(args.bundle, args.device, args.rounds)
    else:
        from ..vocoder.mbmelgan import MBMelGAN, MBMelGANConfig

        vocoders = {"mbmelgan (random)": MBMelGAN(MBMelGANConfig())}
        frames = round(args.seconds * sr / 300)
        mel = torch.randn(1, 80, frames, generator=torch.Generator().manual_seed(0))
    for name in args.presets.split(","):
        torch.manual_seed(0)
        vocoders[f"hifigan-{name} (random)"] = HiFiGAN(preset(name))
    with torch.inference_mode():
        rows = benchmark(vocoders, mel, args.rounds, args.device, sr, front_s)
    print(f"mel: {mel.shape[-1]} frames = {rows[0].audio_s:.2f} s audio; device {args.device}, {args.threads} threads, best of {args.rounds}")
    if front_s is not None:
        print(f"frontend + acoustic: {front_s:.3f} s")
    ref = rows[0]
    print("| vocoder | params (M) | vocoder s | audio s per s | vocoder RTF | pipeline RTF | pipeline vs first row |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        pipe = "" if r.pipeline_s is None else f"{r.pipeline_s / r.audio_s:.3f}"
        ratio = f"{r.pipeline_s / ref.pipeline_s:.2f}x" if r.pipeline_s and ref.pipeline_s else f"{r.best_s / ref.best_s:.2f}x (vocoder)"
        print(f"| {r.name} | {r.params_m:.2f} | {r.best_s:.3f} | {r.speed:.2f} | {r.rtf:.3f} | {pipe} | {ratio} |")
    return 0
