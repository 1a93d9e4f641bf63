"""Names of the student's voices and the measurements that decide whether it ships.

    python -m index_tts.train.student_voices --bundle .run/student/run/export --voices zm_yunxi,zf_xiaoxiao

prints, per voice, Whisper-base CER on held-out sentences (default: 8 of the team's dev set),
the resemblyzer similarity of the student's audio to the teacher reading the same sentences,
the nearest teacher, the F0 median of both and the real-time factor.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

log = logging.getLogger(__name__)

STUDENT_SUFFIX = "（学生）"
DEV_IDS = ("d01", "d05", "d09", "d13", "d17", "d21", "d25", "d29")


def student_id(teacher_voice: str) -> str:
    """The student's id for a teacher voice: ``zm_yunxi`` -> ``yunxi``; a blend -> ``mix_<hash>``.

    Distinct from the teacher ids, so a request never reaches the wrong engine.
    """
    import hashlib

    if "*" in teacher_voice or "+" in teacher_voice:
        return "mix_" + hashlib.sha1(teacher_voice.encode()).hexdigest()[:6]
    return teacher_voice.split("_", 1)[1] if teacher_voice[:3] in ("zf_", "zm_") else teacher_voice


def display_names(table: Mapping[str, object]) -> dict[str, str]:
    """Student id -> name for people: the teacher preset's name marked as the student's."""
    from ..importers.kokoro_voices import PRESETS

    by_student = {student_id(k): v for k, v in PRESETS.items()}
    names: dict[str, str] = {}
    blends = 0
    for sid in table:
        if sid in by_student:
            names[sid] = by_student[sid]["display_name"].replace("（Kokoro）", "") + STUDENT_SUFFIX
        else:
            blends += 1
            names[sid] = f"混合音色{blends}{STUDENT_SUFFIX}"
    return names


def dev_sentences(path: Optional[str] = None, ids: Sequence[str] = DEV_IDS) -> list[tuple[str, str]]:
    """(id, text) of the held-out sentences: ``path``'s rows, or ``ids`` of the shared dev set."""
    from ..eval.sentences import default_sentences

    rows, _ = default_sentences(path)
    picked = [r for r in rows if r.id in ids] if ids and not path else rows
    return [(r.id, r.text) for r in (picked or rows)]


def _f0_median(wav: np.ndarray, sr: int) -> float:
    import pyworld

    x = wav.astype(np.float64)
    f0, t = pyworld.dio(x, sr, f0_floor=60, f0_ceil=600, frame_period=10)
    f0 = pyworld.stonemask(x, f0, t, sr)
    v = f0[f0 > 0]
    return float(np.median(v)) if v.size else 0.0


def teacher_reference(spk, sentences: Sequence[tuple[str, str]], threads: int = 1,
                      cache: Optional[Path] = None) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Each teacher's mean GE2E embedding and F0 median over ``sentences`` (cached in ``cache``)."""
    from ..encoders.speaker import mean_embedding
    from ..engines.kokoro import KokoroEngine
    from ..frontend import Frontend
    from .teacher_corpus import TEACHER_VOICES

    key = "|".join(i for i, _ in sentences)
    if cache is not None and cache.is_file():
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return ({k: np.asarray(v, np.float32) for k, v in data["emb"].items()}, data["f0"])
    teacher = KokoroEngine.from_hub(threads=threads)
    fe = Frontend()
    emb, f0 = {}, {}
    for tv in TEACHER_VOICES:  # the teachers reading the same sentences
        wavs = [teacher.render_segment(seg, tv) for _, text in sentences for seg in fe(text).segments]
        emb[tv] = mean_embedding(np.stack([spk.embed(w, 24000, validate=False) for w in wavs]))
        f0[tv] = _f0_median(np.concatenate(wavs), 24000)
    if cache is not None:
        cache.write_text(json.dumps({"key": key, "emb": {k: v.tolist() for k, v in emb.items()}, "f0": f0}))
    return emb, f0


def measure(bundle: str, voices: Sequence[str], sentences: Sequence[tuple[str, str]], threads: int = 1,
            cache: Optional[Path] = None) -> list[dict]:
    import torch

    from ..encoders.speaker import SpeakerEncoder, mean_embedding
    from ..eval.asr import WhisperASR
    from ..eval.textnorm import cer_counts
    from ..synthesizer import Synthesizer

    torch.set_num_threads(threads)
    tts = Synthesizer(model_path=bundle)
    asr = WhisperASR(cpu_threads=threads)
    spk = SpeakerEncoder()
    teacher_emb, f0_teacher = teacher_reference(spk, sentences[:4], threads, cache)
    rows = []
    for tv in voices:
        v = student_id(tv)
        edits = chars = 0
        embs, audio, t_synth, seconds = [], [], 0.0, 0.0
        for _, text in sentences:
            t0 = time.perf_counter()
            res = tts.synthesize(text, speaker=v, seed=0)
            t_synth += time.perf_counter() - t0
            seconds += len(res.wav) / res.sample_rate
            c = cer_counts(text, asr.transcribe(res.wav, res.sample_rate))
            edits, chars = edits + c.edits, chars + c.ref_len
            audio.append(res.wav)
        for w in audio[:4]:
            embs.append(spk.embed(w, tts.sample_rate, validate=False))
        emb = mean_embedding(np.stack(embs))
        sims = {k: float(np.dot(emb, e)) for k, e in teacher_emb.items()}
        nearest = max(sims, key=sims.get)
        rows.append({"voice": v, "teacher": tv, "cer": round(edits / max(chars, 1), 4),
                     "sim_own": round(sims.get(tv, float("nan")), 3),
                     "nearest": nearest, "sim_nearest": round(sims[nearest], 3),
                     "f0": round(_f0_median(np.concatenate(audio), tts.sample_rate), 1),
                     "f0_teacher": round(f0_teacher.get(tv, float("nan")), 1), "rtf": round(t_synth / seconds, 3)})
        log.info("%s", rows[-1])
    return rows


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--voices", default="zm_yunxi,zf_xiaoxiao")
    ap.add_argument("--sentences", help="TSV id<TAB>text (default: 8 of the shared dev set)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", help="append the rows to this JSONL file")
    ap.add_argument("--teacher-cache", help="JSON file caching the teachers' embeddings")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    rows = measure(args.bundle, [v for v in args.voices.split(",") if v], dev_sentences(args.sentences),
                   args.threads, Path(args.teacher_cache) if args.teacher_cache else None)
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    if args.out:
        with Path(args.out).open("a", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps({"bundle": args.bundle, "time": time.time(), **r}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
