"""Synthesize a sentence set, transcribe it with Whisper and score CER (+ speaker similarity)."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import soundfile as sf

from ..request import DEFAULTS
from .sentences import EvalSentence
from .homophones import split_errors
from .textnorm import cer_counts

log = logging.getLogger(__name__)


@dataclass
class SentenceResult:
    id: str
    category: str
    text: str
    hypothesis: str
    ref_norm: str
    hyp_norm: str
    edits: int
    ref_len: int
    cer: float
    audio_s: float
    synth_s: float
    rtf: float
    speaker_similarity: Optional[float] = None
    wav: Optional[str] = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class EvalReport:
    model: str
    emotion: Optional[str]
    sentences_source: str
    sentences: list[SentenceResult]
    cer: float  # length-weighted: total edits / total reference characters
    mean_cer: float  # unweighted mean of per-sentence CERs
    rtf: float  # total synthesis time / total audio duration
    speaker_similarity: Optional[float] = None
    reference: Optional[str] = None
    asr: str = "whisper-base (faster-whisper, int8, greedy)"
    # Errors that are Whisper writing another character with the same syllable and tone
    # (eval/homophones.py), and the CER with those counted as right.
    homophones: Optional[int] = None
    cer_without_homophones: Optional[float] = None

    def worst(self, n: int = 5) -> list[SentenceResult]:
        return sorted(self.sentences, key=lambda s: (-s.cer, s.id))[:n]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["worst"] = [s.id for s in self.worst()]
        return d


def summarize(results: Sequence[SentenceResult], **meta: Any) -> EvalReport:
    """Aggregate per-sentence results into an EvalReport."""
    if not results:
        raise ValueError("no sentence results to summarise")
    edits = sum(r.edits for r in results)
    chars = sum(r.ref_len for r in results)
    sims = [r.speaker_similarity for r in results if r.speaker_similarity is not None]
    audio = sum(r.audio_s for r in results)
    split = split_errors([(r.ref_norm, r.hyp_norm) for r in results])
    return EvalReport(
        sentences=list(results),
        cer=edits / chars,
        mean_cer=float(np.mean([r.cer for r in results])),
        rtf=sum(r.synth_s for r in results if r.audio_s > 0) / audio if audio > 0 else float("inf"),
        speaker_similarity=float(np.mean(sims)) if sims else None,
        homophones=split.homophones,
        cer_without_homophones=(edits - split.homophones) / chars,
        **meta,
    )


def format_worst(report: EvalReport, n: Optional[int] = 5) -> str:
    """Tab-separated worst sentences; ``n=None`` lists every sentence with a non-zero CER."""
    if n is None:
        rows = [s for s in report.worst(len(report.sentences)) if s.edits > 0]
        title = f"{len(rows)} of {len(report.sentences)} sentences with errors"
    else:
        rows = report.worst(n)
        title = f"worst {len(rows)} of {len(report.sentences)}"
    lines = [f"# {title} by CER (overall CER {report.cer:.4f}); columns: id, category, cer, "
             "reference, hypothesis, normalised reference, normalised hypothesis"]
    for s in rows:
        lines.append("\t".join([s.id, s.category, f"{s.cer:.4f}", s.text, s.hypothesis, s.ref_norm, s.hyp_norm]))
    return "\n".join(lines) + "\n"


def run_eval(
    sentences: Sequence[EvalSentence],
    tts: Any,
    out_dir: str | Path,
    *,
    emotion: Optional[str] = None,
    intensity: float = DEFAULTS.intensity,
    reference: Optional[str | Path] = None,
    model_name: str = "",
    sentences_source: str = "",
    beam_size: int = 1,
    seed: Optional[int] = None,
    voice: Optional[str] = None,
    extra: Optional[dict[str, Any]] = None,
) -> EvalReport:
    """Synthesize each sentence with ``tts``, save wavs, transcribe, score.

    ``tts`` is a Synthesizer or anything whose ``synthesize(text, **kw)`` returns an object with
    ``wav`` and ``sample_rate`` (e.g. ``reference.OriginalZhtts``).

    ``extra``: further request fields passed to ``synthesize`` as they are (e.g. ``speed``).

    Writes ``report.json``, ``worst.txt`` (every sentence with errors, worst first) and
    ``wavs/<id>.wav`` under ``out_dir``.
    """
    from . import asr

    out = Path(out_dir)
    (out / "wavs").mkdir(parents=True, exist_ok=True)
    ref_embedding = None
    if reference is not None:
        from . import speaker_similarity as speaker

        ref_embedding = speaker.embed_file(reference)
    kwargs: dict[str, Any] = {}
    if emotion:
        kwargs.update(emotion_label=emotion, intensity=intensity)
    if seed is not None:
        kwargs["seed"] = seed
    if voice:
        kwargs["speaker"] = voice
    kwargs.update(extra or {})
    results = []
    for i, sent in enumerate(sentences, 1):
        t0 = time.perf_counter()
        try:
            res = tts.synthesize(sent.text, **kwargs)
        except Exception as exc:  # noqa: BLE001 - an engine that cannot say a text scores CER 1 on it
            log.warning("%s: synthesis failed (%s); scored as CER 1.0", sent.id, exc)
            counts = cer_counts(sent.text, "")
            results.append(SentenceResult(
                id=sent.id, category=sent.category, text=sent.text, hypothesis="", ref_norm=counts.ref_norm,
                hyp_norm="", edits=counts.ref_len, ref_len=counts.ref_len, cer=1.0, audio_s=0.0,
                synth_s=time.perf_counter() - t0, rtf=float("inf"), warnings=[f"synthesis failed: {exc}"],
            ))
            continue
        synth_s = time.perf_counter() - t0
        wav_path = out / "wavs" / f"{sent.id}.wav"
        sf.write(str(wav_path), np.clip(res.wav, -1.0, 1.0), res.sample_rate, subtype="PCM_16")
        hyp = asr.transcribe(res.wav, res.sample_rate, beam_size=beam_size)
        counts = cer_counts(sent.text, hyp)
        sim = None
        if ref_embedding is not None:
            from . import speaker_similarity as speaker

            sim = speaker.similarity(speaker.embed(res.wav, res.sample_rate), ref_embedding)
        audio_s = len(res.wav) / float(res.sample_rate)
        results.append(SentenceResult(
            id=sent.id, category=sent.category, text=sent.text, hypothesis=hyp,
            ref_norm=counts.ref_norm, hyp_norm=counts.hyp_norm, edits=counts.edits,
            ref_len=counts.ref_len, cer=counts.cer, audio_s=audio_s, synth_s=synth_s,
            rtf=synth_s / audio_s if audio_s > 0 else float("inf"), speaker_similarity=sim,
            wav=str(wav_path), warnings=list(getattr(res, "warnings", [])),
        ))
        log.info("[%d/%d] %s cer=%.3f hyp=%s", i, len(sentences), sent.id, counts.cer, hyp)
    report = summarize(results, model=model_name, emotion=emotion, sentences_source=sentences_source,
                       reference=str(reference) if reference else None,
                       asr=f"whisper-base (faster-whisper, int8, beam {beam_size})")
    (out / "report.json").write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n",
                                     encoding="utf-8")
    (out / "worst.txt").write_text(format_worst(report, n=None), encoding="utf-8")
    return report
