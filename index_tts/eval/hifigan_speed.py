"""Speed and quality of the universal HiFi-GAN (``cache_hub/hifigan-universal``) on this CPU.

    python -m index_tts.eval.hifigan_speed speed [--seconds 4] [--repeats 3] [--threads 1,2] [--variants ...]
    python -m index_tts.eval.hifigan_speed quality [--sentences 8] [--kokoro 4] [--no-mbmelgan]
    python -m index_tts.eval.hifigan_speed precision
    python -m index_tts.eval.hifigan_speed adapter [--sentences 8]

``speed``: vocoder-only real-time factor (wall seconds per second of audio, median and best of
``--repeats`` runs after one warm-up; also the process CPU seconds per audio second, which
contention inflates far less) for each way of running the same weights:

- ``eager-wn``: eager PyTorch fp32 with weight norm kept (as a training checkpoint runs), ``no_grad``
- ``eager``: weight norm folded into the weights, ``torch.inference_mode`` (our ``HiFiGAN.infer``)
- ``channels-last``: every Conv1d recast as a Conv2d of height 1 on a channels-last tensor
  (PyTorch has no channels-last layout for 3-D tensors)
- ``torchscript``: traced, frozen and ``torch.jit.optimize_for_inference`` (oneDNN convolutions)
- ``compile``: ``torch.compile(dynamic=True)`` (inductor; compile time reported; not in the default list)
- ``onnx``: ``index_tts.onnx.export.export_vocoder`` (dynamic time axis), ONNX Runtime CPU
- ``onnx-conv2d``: the same with the height-1 Conv2d recast (lets ORT use its blocked NCHWc convolutions)
- ``onnx-int8``: that graph statically quantised to int8 (QDQ; not in the default list; costs quality,
  see ``quality --int8``); ``onnx-int8-mixed``: the same with the input conv, the last upsampling
  stage and the output conv left in float32
- ``mbmelgan``: the default voice's MB-MelGAN (24 kHz), eager, for reference

Variants are timed round-robin (one warm-up round, then ``--repeats`` rounds), so a change in the
shared machine's load touches every row alike; each row carries the range of the 1-minute load
average seen before its runs.

``quality``: copy synthesis (audio -> mel -> vocoder) of the default voice's output (resampled to
22.05 kHz with librosa) and of Kokoro teacher clips, through the universal HiFi-GAN and through
the default bundle's MB-MelGAN, scored with Whisper-base CER, DNSMOS OVRL (``speechmos``) and
resemblyzer similarity to the original clip.

``precision``: does fp16 storage of the weights change the audio beyond the vocoder's own error?
The fp16 bundle against an fp32 build of the same weights on the real test clips: SNR of the
difference, and the log-mel distance between the two outputs next to the distance between
each output and the clip it re-synthesises.

``adapter``: a probe, not a product path. The default voice's acoustic mels (24 kHz, log10,
z-normalised, 80–7600 Hz, hop 300) are mapped by a fixed (not learned) :class:`MelAdapter` onto
the universal HiFi-GAN's mels (22.05 kHz, ln, 0–8000 Hz, hop 256) and vocoded, against the
bundle's own MB-MelGAN, same text and seed. Results: docs/HIFIGAN.md.
"""
from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch
from torch import nn

log = logging.getLogger(__name__)

DEFAULT_VARIANTS = ("eager-wn", "eager", "channels-last", "torchscript", "onnx", "onnx-conv2d", "mbmelgan")
ALL_VARIANTS = (*DEFAULT_VARIANTS, "compile", "onnx-int8", "onnx-int8-mixed")


def load1() -> float:
    return os.getloadavg()[0]


# ------------------------------------------------------------------ input
def speech_mel(seconds: float, mel_cfg) -> torch.Tensor:
    """A real-speech mel of about ``seconds`` (the tiny test clips, joined and repeated)."""
    import soundfile as sf

    from ..audio.mel import mel_spectrogram
    from ..importers.hifigan_universal import resample

    folder = Path(__file__).resolve().parents[2] / "tests" / "data" / "tiny_tts" / "wavs"
    pieces = []
    for path in sorted(folder.glob("*.flac")):
        wav, sr = sf.read(path, dtype="float32")
        pieces.append(resample(wav, sr, mel_cfg.sample_rate))
    if not pieces:  # no test data (an installed copy): noise has the same cost
        pieces = [np.random.default_rng(0).standard_normal(mel_cfg.sample_rate).astype(np.float32) * 0.1]
    wav = np.concatenate(pieces)
    n = int(seconds * mel_cfg.sample_rate)
    wav = np.tile(wav, n // len(wav) + 1)[:n]
    return mel_spectrogram(torch.from_numpy(wav), mel_cfg).unsqueeze(0)


# --------------------------------------------------------------- variants
class _Conv2dWrapper(nn.Module):
    """``[B, C, 1, T]`` channels-last in, the model's own forward, ``[B, T*hop]`` out."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.m = model

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = mel.unsqueeze(2).contiguous(memory_format=torch.channels_last)
        return self.m(x).reshape(mel.shape[0], -1)


def as_conv2d(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with every Conv1d/ConvTranspose1d as the equivalent height-1 2-D layer."""
    from ..vocoder.adapted import recast_conv2d

    return _Conv2dWrapper(recast_conv2d(copy.deepcopy(model))).to(memory_format=torch.channels_last).eval()


def _torch_runner(module: nn.Module, mode: str = "inference") -> Callable[[torch.Tensor], np.ndarray]:
    ctx = torch.inference_mode if mode == "inference" else torch.no_grad

    def run(mel: torch.Tensor) -> np.ndarray:
        with ctx():
            return module(mel).reshape(-1).float().numpy()

    return run


def build_variant(name: str, threads: int, mel: torch.Tensor) -> tuple[Callable, float, int, str]:
    """(runner, setup seconds, sample rate, note) for one variant."""
    from ..importers.hifigan_universal import load

    t0 = time.perf_counter()
    note = ""
    if name == "mbmelgan":
        from ..bundle import load_bundle

        b = load_bundle(None, vocoders=["mbmelgan"])
        voc = b.vocoder("mbmelgan").eval()
        return _torch_runner(voc), time.perf_counter() - t0, b.mel.sample_rate, "default voice's vocoder, eager"
    model, mel_cfg = load()
    sr = mel_cfg.sample_rate
    if name == "eager-wn":
        model.apply_weight_norm()
        run = _torch_runner(model, "no_grad")
    elif name == "eager":
        run = _torch_runner(model)
    elif name == "channels-last":
        run = _torch_runner(as_conv2d(model))
    elif name == "torchscript":
        with torch.no_grad():
            traced = torch.jit.trace(model, (mel[:, :, :40],), check_trace=False)
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))
        run = _torch_runner(frozen, "no_grad")
    elif name == "compile":
        compiled = torch.compile(model, dynamic=True)
        run = _torch_runner(compiled)
        run(mel[:, :, :40])  # compile now so the setup time holds it
        note = "compile time in setup"
    elif name in ("onnx", "onnx-conv2d", "onnx-int8", "onnx-int8-mixed"):
        from ..onnx.export import export_vocoder

        graph = export_vocoder(model if name == "onnx" else as_conv2d(model), mel_cfg.n_mels)
        if name == "onnx-int8":
            graph = quantize_int8(graph, mel_cfg)
        elif name == "onnx-int8-mixed":
            graph = quantize_int8(graph, mel_cfg, last_stage_names(model.cfg))
        run = ort_runner(graph, threads)
        ref = _torch_runner(model)(mel[:, :, :60])
        diff = float(np.abs(run(mel[:, :, :60]) - ref).max())
        note = f"{len(graph) / 1e6:.0f} MB graph, max abs diff vs torch {diff:.1e}"
    else:
        raise ValueError(f"unknown variant {name!r}; known: {ALL_VARIANTS}")
    return run, time.perf_counter() - t0, sr, note


def ort_runner(graph: bytes, threads: int) -> Callable[[torch.Tensor], np.ndarray]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(graph, sess_options=opts, providers=["CPUExecutionProvider"])
    out_name = sess.get_outputs()[0].name

    def run(m: torch.Tensor) -> np.ndarray:
        return sess.run([out_name], {"mel": m.numpy()})[0].reshape(-1)

    return run


def quantize_int8(graph: bytes, mel_cfg, keep_fp32: tuple[str, ...] = ()) -> bytes:
    """Static int8 (QDQ, per-channel weights, uint8 activations) of a vocoder graph, calibrated on
    the mels of six real clips (tests/data/tiny_tts). About a minute on this CPU.

    Convolutions whose node name contains one of ``keep_fp32`` stay in float32."""
    import tempfile

    import soundfile as sf
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from ..audio.mel import mel_spectrogram
    from ..importers.hifigan_universal import resample

    folder = Path(__file__).resolve().parents[2] / "tests" / "data" / "tiny_tts" / "wavs"
    feeds = []
    for path in sorted(folder.glob("*.flac"))[:6]:
        wav, sr = sf.read(path, dtype="float32")
        x = resample(wav, sr, mel_cfg.sample_rate)
        feeds.append({"mel": mel_spectrogram(torch.from_numpy(x), mel_cfg).unsqueeze(0).numpy()})

    class Feeds(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(feeds)

        def get_next(self):
            return next(self.it, None)

    with tempfile.TemporaryDirectory(prefix="hifigan-int8-") as tmp:
        f32, pre, q8 = (Path(tmp) / n for n in ("f32.onnx", "pre.onnx", "int8.onnx"))
        f32.write_bytes(graph)
        quant_pre_process(str(f32), str(pre), skip_symbolic_shape=True)
        import onnx

        convs = [n.name for n in onnx.load(str(pre)).graph.node if n.op_type in ("Conv", "ConvTranspose")]
        exclude = [n for n in convs if any(k in n for k in keep_fp32)]
        quantize_static(str(pre), str(q8), Feeds(), quant_format=QuantFormat.QDQ, per_channel=True,
                        weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8, nodes_to_exclude=exclude)
        return q8.read_bytes()


def last_stage_names(cfg) -> tuple[str, ...]:
    """Node-name pieces of a HiFiGAN's input conv, last upsampling stage and output conv."""
    n_k, last = len(cfg.resblock_kernel_sizes), len(cfg.upsample_rates) - 1
    return ("conv_pre/", f"ups.{last}/", "conv_post/", *(f"resblocks.{last * n_k + j}/" for j in range(n_k)))


@dataclass
class SpeedRow:
    variant: str
    threads: int
    rtf: float
    rtf_min: float
    cpu_rtf: float  # process CPU seconds per audio second (all threads): what a quiet core would need
    audio_s: float
    setup_s: float
    load_before: float  # lowest 1-minute load average seen before a timed run of this row
    load_after: float  # highest
    note: str


def run_rounds(variants: list[str], threads: list[int], seconds: float, repeats: int) -> list[SpeedRow]:
    """Build every (variant, threads) pair, then time them round-robin: one warm-up round and
    ``repeats`` timed rounds, so a change in the machine's load touches every row alike."""
    from ..bundle import load_bundle
    from ..importers.hifigan_universal import load

    hifi_mel = speech_mel(seconds, load()[1])
    mb_mel = speech_mel(seconds, load_bundle(None, vocoders=["mbmelgan"]).mel) if "mbmelgan" in variants else None
    built = {}
    for name in variants:
        mel = mb_mel if name == "mbmelgan" else hifi_mel
        for t in threads:
            torch.set_num_threads(t)
            run, setup, sr, note = build_variant(name, t, mel)
            built[(name, t)] = (run, setup, sr, note, mel)
            log.info("built %s, %d thread(s), %.1f s", name, t, setup)
    times: dict[tuple[str, int], list[float]] = {k: [] for k in built}
    cpu: dict[tuple[str, int], list[float]] = {k: [] for k in built}
    loads: dict[tuple[str, int], list[float]] = {k: [] for k in built}
    audio: dict[tuple[str, int], float] = {}
    for r in range(repeats + 1):
        for key, (run, _, sr, _, mel) in built.items():
            torch.set_num_threads(key[1])
            loads[key].append(load1())
            t0, c0 = time.perf_counter(), time.process_time()
            out = run(mel)
            if r:  # round 0 warms up (oneDNN primitives, allocator)
                times[key].append(time.perf_counter() - t0)
                cpu[key].append(time.process_time() - c0)
            audio[key] = len(out) / sr
        log.info("round %d of %d done (load %.2f)", r, repeats, load1())
    rows = []
    for key, (_, setup, _, note, _) in built.items():
        a = audio[key]
        rows.append(SpeedRow(key[0], key[1], statistics.median(times[key]) / a, min(times[key]) / a,
                             statistics.median(cpu[key]) / a, a, setup, min(loads[key]), max(loads[key]), note))
    return rows


def speed_table(rows: list[SpeedRow]) -> str:
    lines = ["| variant | threads | RTF (median) | RTF (best) | CPU s per audio s | setup s | load avg (1 min) min–max "
             "| note |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.variant} | {r.threads} | {r.rtf:.2f} | {r.rtf_min:.2f} | {r.cpu_rtf:.2f} | {r.setup_s:.1f} | "
                     f"{r.load_before:.2f}–{r.load_after:.2f} | {r.note} |")
    return "\n".join(lines)


def run_speed(args: argparse.Namespace) -> list[SpeedRow]:
    variants = ALL_VARIANTS if args.variants == "all" else tuple(args.variants.split(","))
    threads = [int(t) for t in args.threads.split(",")]
    rows = run_rounds(list(variants), threads, args.seconds, args.repeats)
    print(speed_table(rows))
    return rows


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index_tts.eval.hifigan_speed", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    sp = sub.add_parser("speed", help="vocoder-only real-time factor per way of running it")
    sp.add_argument("--seconds", type=float, default=4.0, help="audio length per run")
    sp.add_argument("--repeats", type=int, default=3)
    sp.add_argument("--threads", default="1,2", help="torch / ORT intra-op threads to try, comma-separated")
    sp.add_argument("--variants", default=",".join(DEFAULT_VARIANTS), help=f"comma list of {ALL_VARIANTS} or 'all'")
    sp.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    qp = sub.add_parser("quality", help="copy-synthesis CER / DNSMOS / similarity")
    qp.add_argument("--sentences", type=int, default=8, help="default-voice sentences (eval.sentences built-ins)")
    qp.add_argument("--kokoro", type=int, default=4, help="Kokoro teacher clips (zm_yunyang, zf_xiaoxiao)")
    qp.add_argument("--no-mbmelgan", action="store_true", help="skip the MB-MelGAN copy synthesis")
    qp.add_argument("--int8", action="store_true", help="also the int8 ONNX graph (quantised first, ~1 min)")
    qp.add_argument("--threads", type=int, default=1)
    qp.add_argument("--save", default=None, help="folder for the audio (listening)")
    qp.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    ap_ = sub.add_parser("adapter", help="the default voice's mels through a fixed mel adapter + HiFi-GAN")
    ap_.add_argument("--sentences", type=int, default=8)
    ap_.add_argument("--fit", type=int, default=0, help="also fit a correction on N other sentences (Kokoro set)")
    ap_.add_argument("--kokoro", type=int, default=0, help="also N Kokoro teacher clips through the adapters")
    ap_.add_argument("--threads", type=int, default=1)
    ap_.add_argument("--save", default=None, help="folder for the audio (listening)")
    ap_.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    pp = sub.add_parser("precision", help="fp16 vs fp32 weight storage on real clips")
    pp.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = ap.parse_args(argv if argv is not None else (sys.argv[1:] or ["speed"]))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from .hifigan_quality import run_adapter, run_precision, run_quality

    if args.cmd == "quality":
        torch.set_num_threads(args.threads)
        rows = run_quality(args)
    elif args.cmd == "adapter":
        torch.set_num_threads(args.threads)
        rows = run_adapter(args)
    elif args.cmd == "precision":
        torch.set_num_threads(1)
        rows = run_precision(args)
    else:
        rows = run_speed(args)
    if args.json:
        data = [r if isinstance(r, dict) else asdict(r) for r in rows]
        args.json.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
