"""Vocoder inference speed: seconds of audio generated per second of wall time.

``python -m index_tts.train vocoder-bench [--seconds 5] [--threads 2] [--device cpu]`` times the
HiFi-GAN presets (random weights: speed does not depend on the values) and, when the
MB-MelGAN port is importable, the default MB-MelGAN, on the same mel.
"""
from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass
from typing import Optional

import torch

from ..vocoder.base import Vocoder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VocoderSpeed:
    name: str
    params_m: float
    best_s: float
    median_s: float
    audio_s: float

    @property
    def speed(self) -> float:
        """Seconds of audio per second of wall time (> 1: faster than real time)."""
        return self.audio_s / self.best_s

    @property
    def rtf(self) -> float:
        """Real-time factor: wall time / audio duration (< 1: faster than real time)."""
        return self.best_s / self.audio_s


def time_vocoder(name: str, model: Vocoder, seconds: float = 5.0, repeats: int = 5, device: str = "cpu",
                 sample_rate: int = 24000) -> VocoderSpeed:
    model = model.to(device).eval()
    frames = max(1, round(seconds * sample_rate / model.hop_length))
    mel = torch.randn(1, model.n_mels, frames, generator=torch.Generator().manual_seed(0)).to(device)
    model.infer(mel)  # warm-up
    times = []
    for _ in range(repeats):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        model.infer(mel)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    times.sort()
    params = sum(p.numel() for p in model.parameters()) / 1e6
    return VocoderSpeed(name, params, times[0], times[len(times) // 2], frames * model.hop_length / sample_rate)


def benchmark(seconds: float = 5.0, repeats: int = 5, device: str = "cpu", names: tuple[str, ...] = ("v1", "v2", "v3")) -> list[VocoderSpeed]:
    from ..vocoder.hifigan import HiFiGAN, preset

    results = []
    try:
        from ..vocoder.mbmelgan import MBMelGAN, MBMelGANConfig

        results.append(time_vocoder("mbmelgan", MBMelGAN(MBMelGANConfig()), seconds, repeats, device))
    except ImportError:
        log.warning("MB-MelGAN port not importable; timing HiFi-GAN only")
    for n in names:
        results.append(time_vocoder(f"hifigan-{n}", HiFiGAN(preset(n)), seconds, repeats, device))
    return results


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index_tts.train vocoder-bench", description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--presets", default="v1,v2,v3")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = benchmark(args.seconds, args.repeats, args.device, tuple(args.presets.split(",")))
    print(f"| vocoder | params (M) | best s | median s | audio s / s | RTF |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.name} | {r.params_m:.2f} | {r.best_s:.3f} | {r.median_s:.3f} | {r.speed:.2f} | {r.rtf:.3f} |")
    return 0
