"""Quality probes of the universal HiFi-GAN: copy synthesis, fp16 storage, the mel adapter.

The ``quality``, ``precision`` and ``adapter`` subcommands of ``python -m index_tts.eval.hifigan_speed``
(what each measures: that module's docstring; results: docs/HIFIGAN.md).
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..vocoder.mel_adapter import FittedMelAdapter, MelAdapter
from .hifigan_speed import as_conv2d, last_stage_names, ort_runner, quantize_int8
from .quality import dnsmos_ovrl

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- quality
@dataclass
class QualityRow:
    source: str
    path: str  # "original", "hifigan-universal", "mbmelgan"
    n: int
    cer: float
    dnsmos_ovrl: float
    similarity: float  # resemblyzer cosine to the original clip (1.0 for the original)


class CopySynth:
    """audio -> mel -> vocoder, for the universal HiFi-GAN and the default bundle's MB-MelGAN."""

    def __init__(self, mbmelgan: bool = True, int8: bool = False) -> None:
        from ..importers.hifigan_universal import load

        self.hifigan, self.hifi_mel = load()
        self.int8 = None
        if int8:
            from ..onnx.export import export_vocoder

            graph = export_vocoder(as_conv2d(self.hifigan), self.hifi_mel.n_mels)
            self.int8 = ort_runner(quantize_int8(graph, self.hifi_mel), 1)
            self.int8_mixed = ort_runner(quantize_int8(graph, self.hifi_mel, last_stage_names(self.hifigan.cfg)), 1)
        self.mb = None
        if mbmelgan:
            from ..bundle import load_bundle

            b = load_bundle(None, vocoders=["mbmelgan"])
            self.mb, self.mb_mel = b.vocoder("mbmelgan").eval(), b.mel

    def through(self, path: str, wav: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
        from ..audio.mel import mel_spectrogram
        from ..importers.hifigan_universal import resample

        model, cfg = (self.mb, self.mb_mel) if path == "mbmelgan" else (self.hifigan, self.hifi_mel)
        x = resample(wav, sr, cfg.sample_rate)
        mel = mel_spectrogram(torch.from_numpy(x), cfg).unsqueeze(0)
        if path.startswith("hifigan-int8"):
            out = (self.int8 if path == "hifigan-int8" else self.int8_mixed)(mel)
        else:
            out = model.infer(mel)[0].numpy()
        return out, cfg.sample_rate


def run_quality(args: argparse.Namespace) -> list[QualityRow]:
    from . import asr
    from .sentences import BUILTIN_SENTENCES
    from .speaker_similarity import embed, similarity

    texts = [s.text for s in BUILTIN_SENTENCES[: args.sentences]]
    clips: list[tuple[str, str, np.ndarray, int]] = []  # (source, text, wav, sr)
    from .. import Synthesizer

    tts = Synthesizer(device="cpu")
    for t in texts:
        res = tts.synthesize(t, seed=0)
        clips.append(("baker-zh (default voice)", t, res.wav, res.sample_rate))
    del tts
    if args.kokoro:
        from ..engines.kokoro import KokoroEngine
        from ..frontend import Frontend
        from .kokoro_voices import Renderer

        rend = Renderer(KokoroEngine.from_hub(threads=1), Frontend())
        for i in range(args.kokoro):
            voice = ("zm_yunyang", "zf_xiaoxiao")[i % 2]
            t = texts[(i // 2) * 3 % len(texts)]
            wav, _ = rend.frontend_wav(t, voice)
            clips.append((f"kokoro {voice}", t, wav, rend.engine.sample_rate))
    paths = ["original", "hifigan-universal"] + ([] if args.no_mbmelgan else ["mbmelgan"])
    paths += ["hifigan-int8", "hifigan-int8-mixed"] if args.int8 else []
    cs = CopySynth(mbmelgan=not args.no_mbmelgan, int8=args.int8)
    acc: dict[tuple[str, str], list] = {}
    out_dir = Path(args.save) if args.save else None
    for k, (source, text, wav, sr) in enumerate(clips):
        ref_emb = embed(wav, sr)
        for path in paths:
            y, ysr = (wav, sr) if path == "original" else cs.through(path, wav, sr)
            hyp = asr.transcribe(y, ysr)
            c = asr.cer_counts(text, hyp)
            row = (c.edits, c.ref_len, dnsmos_ovrl(y, ysr), similarity(ref_emb, embed(y, ysr)))
            acc.setdefault((source, path), []).append(row)
            log.info("%s | %s | %s -> %s | cer %.3f dnsmos %.2f sim %.3f", source, path, text, hyp, c.cer, row[2],
                     row[3])
            if out_dir is not None:
                import soundfile as sf

                out_dir.mkdir(parents=True, exist_ok=True)
                slug = source.split()[-1] if source.startswith("kokoro") else "default"
                sf.write(out_dir / f"{k:02d}_{slug}_{path}.wav", y, ysr)
    rows = []
    for (source, path), vals in acc.items():
        a = np.array(vals, dtype=np.float64)
        rows.append(QualityRow(source, path, len(vals), a[:, 0].sum() / a[:, 1].sum(), a[:, 2].mean(), a[:, 3].mean()))
    print("| source | path | clips | Whisper CER | DNSMOS OVRL | similarity to original |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.source} | {r.path} | {r.n} | {r.cer * 100:.1f}% | {r.dnsmos_ovrl:.2f} | {r.similarity:.3f} |")
    return rows


# -------------------------------------------------------------- precision
def run_precision(args: argparse.Namespace) -> list[dict]:
    import tempfile

    import soundfile as sf

    from ..audio.mel import mel_spectrogram
    from ..importers.hifigan_universal import build, load, resample

    fp16, mel_cfg = load()
    with tempfile.TemporaryDirectory(prefix="hifigan-fp32-") as tmp:
        fp32, _ = load(build(Path(tmp) / "hifigan-universal", dtype="fp32"))
    folder = Path(__file__).resolve().parents[2] / "tests" / "data" / "tiny_tts" / "wavs"

    def logmel(y: np.ndarray) -> torch.Tensor:
        return mel_spectrogram(torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)), mel_cfg)

    rows = []
    for path in sorted(folder.glob("*.flac")):
        wav, sr = sf.read(path, dtype="float32")
        x = resample(wav, sr, mel_cfg.sample_rate)
        mel = logmel(x).unsqueeze(0)
        a, b = fp32.infer(mel)[0].numpy(), fp16.infer(mel)[0].numpy()
        n = min(len(a), len(x))
        m_in, m32, m16 = logmel(x[:n]), logmel(a[:n]), logmel(b[:n])
        rows.append({
            "clip": path.name, "max_abs_diff": float(np.abs(a - b).max()),
            "snr_db": float(10 * np.log10((a**2).sum() / ((a - b) ** 2).sum())),
            "mel_l1_fp16_vs_fp32": float((m16 - m32).abs().mean()),
            "mel_l1_fp32_vs_input": float((m32 - m_in).abs().mean()),
        })
    print("| clip | max abs diff | SNR fp16 vs fp32 (dB) | log-mel L1 fp16↔fp32 | log-mel L1 fp32↔input |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['clip']} | {r['max_abs_diff']:.1e} | {r['snr_db']:.1f} | {r['mel_l1_fp16_vs_fp32']:.4f} | "
              f"{r['mel_l1_fp32_vs_input']:.3f} |")
    return rows


# ---------------------------------------------------------------- adapter
class AdaptedVocoder:
    """Stands in for a bundle vocoder: source mel -> MelAdapter -> HiFi-GAN -> resampled to the
    source rate, exactly ``frames * hop`` samples (what the Synthesizer expects)."""

    def __init__(self, src_mel, hifigan=None, hifi_mel=None) -> None:
        if hifigan is None:
            from ..importers.hifigan_universal import load

            hifigan, hifi_mel = load()
        self.model, self.dst, self.src = hifigan, hifi_mel, src_mel
        self.adapter = MelAdapter(src_mel, hifi_mel)

    def infer(self, mel: torch.Tensor) -> torch.Tensor:
        from ..vocoder.adapted import to_source_frames

        wav = self.model.infer(self.adapter(mel))[0].numpy()
        return torch.from_numpy(to_source_frames(wav, self.dst.sample_rate, self.src, mel.shape[2]))[None]

    def eval(self) -> "AdaptedVocoder":
        return self


def adapter_on_teachers(n: int, texts: list[str], paths: dict, adapted: "AdaptedVocoder") -> list[QualityRow]:
    """Kokoro clips: their 24 kHz default-voice-space mel through each adapter + HiFi-GAN, and
    their own 22.05 kHz mel straight into HiFi-GAN, each scored against the clip."""
    from ..audio.mel import mel_spectrogram
    from ..engines.kokoro import KokoroEngine
    from ..frontend import Frontend
    from ..importers.hifigan_universal import resample
    from . import asr
    from .kokoro_voices import Renderer
    from .speaker_similarity import embed, similarity

    rend = Renderer(KokoroEngine.from_hub(threads=1), Frontend())
    acc: dict[tuple[str, str], list] = {}
    for i in range(n):
        voice = ("zm_yunyang", "zf_xiaoxiao")[i % 2]
        t = texts[(i // 2) * 3 % len(texts)]
        wav, _ = rend.frontend_wav(t, voice)
        sr = rend.engine.sample_rate
        src = mel_spectrogram(torch.from_numpy(resample(wav, sr, adapted.src.sample_rate)), adapted.src)[None]
        direct = mel_spectrogram(torch.from_numpy(resample(wav, sr, adapted.dst.sample_rate)), adapted.dst)[None]
        outs = {"hifigan-universal (own mel)": adapted.model.infer(direct)[0].numpy()}
        for name, voc in paths.items():
            outs[name] = adapted.model.infer(voc.adapter(src))[0].numpy()
        ref_emb = embed(wav, sr)
        for name, y in outs.items():
            c = asr.cer_counts(t, asr.transcribe(y, adapted.dst.sample_rate))
            acc.setdefault((voice, name), []).append((c.edits, c.ref_len, dnsmos_ovrl(y, adapted.dst.sample_rate),
                                                      similarity(ref_emb, embed(y, adapted.dst.sample_rate))))
    rows = []
    print("| teacher clip | path | clips | Whisper CER | DNSMOS OVRL | similarity to the original |")
    print("|---|---|---|---|---|---|")
    for (voice, name), vals in acc.items():
        a = np.array(vals, dtype=np.float64)
        row = QualityRow(f"kokoro {voice}", name, len(vals), a[:, 0].sum() / a[:, 1].sum(), a[:, 2].mean(),
                         a[:, 3].mean())
        rows.append(row)
        print(f"| {voice} | {name} | {row.n} | {row.cer * 100:.1f}% | {row.dnsmos_ovrl:.2f} | {row.similarity:.3f} |")
    return rows


def run_adapter(args: argparse.Namespace) -> list[QualityRow]:
    """The default voice's own mels through MB-MelGAN and through MelAdapter + universal HiFi-GAN."""
    from .. import Synthesizer
    from ..audio.mel import mel_spectrogram
    from ..importers.hifigan_universal import resample
    from . import asr
    from .sentences import BUILTIN_SENTENCES
    from .speaker_similarity import embed, similarity

    texts = [s.text for s in BUILTIN_SENTENCES[: args.sentences]]
    tts = Synthesizer(device="cpu")
    mb = tts.vocoder
    adapted = AdaptedVocoder(tts.mel_config)
    paths = {"adapter + hifigan-universal": adapted}
    if args.fit:
        from .kokoro_voices import SENTENCES
        from .sentences import load_sentences

        train = [s.text for s in load_sentences(SENTENCES) if s.text not in texts][: args.fit]
        wavs = [tts.synthesize(t, seed=1).wav for t in train]
        fitted = AdaptedVocoder(tts.mel_config, adapted.model, adapted.dst)
        fitted.adapter = FittedMelAdapter.fit(adapted.adapter, wavs, tts.sample_rate)
        paths["fitted adapter + hifigan-universal"] = fitted
        log.info("fitted the adapter on %d sentences (%.0f s of the default voice)", len(wavs),
                 sum(len(w) for w in wavs) / tts.sample_rate)
    mel_err: dict[str, list[float]] = {}
    acc: dict[str, list] = {}
    for k, t in enumerate(texts):
        tts.vocoder = mb
        ref = tts.synthesize(t, seed=0)
        results = [("mbmelgan (own)", ref)]
        src = mel_spectrogram(torch.from_numpy(ref.wav), tts.mel_config).unsqueeze(0)
        true = mel_spectrogram(torch.from_numpy(resample(ref.wav, ref.sample_rate, adapted.dst.sample_rate)),
                               adapted.dst).unsqueeze(0)
        for name, voc in paths.items():
            # how far the adapted mel is from the true 22.05 kHz mel of the same audio
            got = voc.adapter(src)
            n = min(got.shape[2], true.shape[2])
            mel_err.setdefault(name, []).append(float((got[..., :n] - true[..., :n]).abs().mean()))
            tts.vocoder = voc
            results.append((name, tts.synthesize(t, seed=0)))
        ref_emb = embed(ref.wav, ref.sample_rate)
        for name, r in results:
            c = asr.cer_counts(t, asr.transcribe(r.wav, r.sample_rate))
            acc.setdefault(name, []).append((c.edits, c.ref_len, dnsmos_ovrl(r.wav, r.sample_rate),
                                             similarity(ref_emb, embed(r.wav, r.sample_rate)),
                                             r.timings["vocoder_s"] / r.timings["audio_s"]))
            if args.save:
                import soundfile as sf

                Path(args.save).mkdir(parents=True, exist_ok=True)
                sf.write(Path(args.save) / f"{k:02d}_{name.split()[0]}.wav", r.wav, r.sample_rate)
        log.info("%s: adapted-mel L1 to the true mel %s", t, {k: round(v[-1], 3) for k, v in mel_err.items()})
    tts.vocoder = mb
    rows = []
    for name, errs in mel_err.items():
        print(f"{name}: adapted mel vs the true 22.05 kHz mel of the same audio: mean |ln diff| {np.mean(errs):.3f}")
    print("| acoustic model | vocoder path | sentences | Whisper CER | DNSMOS OVRL | similarity to MB-MelGAN output "
          "| vocoder RTF |")
    print("|---|---|---|---|---|---|---|")
    for name, vals in acc.items():
        a = np.array(vals, dtype=np.float64)
        row = QualityRow("baker-zh acoustic", name, len(vals), a[:, 0].sum() / a[:, 1].sum(), a[:, 2].mean(),
                         a[:, 3].mean())
        rows.append(row)
        print(f"| baker-zh | {name} | {row.n} | {row.cer * 100:.1f}% | {row.dnsmos_ovrl:.2f} | {row.similarity:.3f} "
              f"| {a[:, 4].mean():.2f} |")
    if args.kokoro:
        rows += adapter_on_teachers(args.kokoro, texts, paths, adapted)
    return rows
