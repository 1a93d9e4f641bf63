"""Cloning bench: how close the two clone routes get to voices the product never saw.

    python -m index_tts.eval.clone_bench --voices-dir package/voices [--unseen jf_alpha,jm_kumo] [--real]

Per reference (an unseen Kokoro voice reading ``REFERENCE_TEXT``, or a real recording), the product
reads 4 held-out dev sentences as ``clone_teacher`` (Kokoro style search), as ``clone`` (the
student), as the default voice and as the presets nearest the clip: the nearest student preset (by
its stored embedding) and every Kokoro preset. Similarity is to the voice's own reading of the same
sentences (mean GE2E embedding) or, for a real clip, to a second clip of the same speaker when there
is one (else to the clip itself). The margin is the clone's similarity minus the best of the default
voice and the nearest preset: the bar of issue 14 asks for at least 0.10. Whisper-base CER and
DNSMOS OVRL of the teacher clone, and the seconds its search took, are printed too.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

log = logging.getLogger(__name__)

REAL_CLIPS = {"cate_blanch.mp3": "cate_blanch_2.mp3", "heath_ledger.mp3": None}  # gradio's media assets


def _gradio_audio() -> Optional[Path]:
    import importlib.util

    spec = importlib.util.find_spec("gradio")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "media_assets" / "audio"
    return folder if folder.is_dir() else None


def references(unseen: Sequence[str], voices_dir: Optional[str], real: bool, sentences):
    """(name, clip 24 kHz, identity embedding) for each unseen Kokoro voice and each real clip."""
    from ..audio.io import load_audio
    from ..encoders.speaker import SpeakerEncoder
    from ..train.student_voices import unseen_reading
    from ..train.teacher_corpus import TeacherReader

    reader, spk = TeacherReader(threads=2), SpeakerEncoder()
    for voice in unseen:
        yield (voice, *unseen_reading(reader, spk, voice, sentences, voices_dir))
    folder = _gradio_audio() if real else None
    for clip, other in (REAL_CLIPS.items() if folder else ()):
        wav = load_audio(str(folder / clip), target_sr=24000).wav
        yield clip, wav, spk.embed_file(str(folder / (other or clip)))


def measure(unseen: Sequence[str], voices_dir: Optional[str], real: bool, n_sentences: int = 4) -> list[dict]:
    from ..encoders.speaker import SpeakerEncoder
    from ..eval.asr import WhisperASR
    from ..eval.quality import dnsmos_ovrl
    from ..eval.textnorm import cer_counts
    from ..synthesizer import Synthesizer
    from ..train.student_voices import dev_sentences, read_similarity

    sentences = dev_sentences()[:n_sentences]
    tts, spk, asr = Synthesizer(), SpeakerEncoder(), WhisperASR(cpu_threads=2)
    teachers = [v["id"] for v in tts.teacher_voices.describe() if not v.get("needs_reference")]
    rows = []
    for name, clip, truth in references(unseen, voices_dir, real, sentences):
        def read(**kw) -> tuple[float, list]:
            sim, wavs = read_similarity(tts, spk, sentences, truth, **kw)
            return round(sim, 3), wavs

        ref = (clip, 24000)
        t0 = time.perf_counter()
        vid = tts.teacher_voices.clone(ref, tts._encoder().embed)
        fit_s = time.perf_counter() - t0
        teacher_clone, wavs = read(speaker="clone_teacher", reference_audio=ref)
        counts = [cer_counts(t, asr.transcribe(w, 24000)) for (_, t), w in zip(sentences, wavs)]
        row = {"reference": name, "teacher_clone": teacher_clone, "fit_s": round(fit_s),
               "calibration_similarity": tts.teacher_voices.clone_info(vid)["similarity"],
               "teacher_clone_cer": round(sum(c.edits for c in counts) / max(1, sum(c.ref_len for c in counts)), 3),
               "teacher_clone_dnsmos": round(float(np.mean([dnsmos_ovrl(w, 24000) for w in wavs])), 2),
               "default_voice": read()[0]}
        presets = {v: read(speaker=v)[0] for v in teachers}
        if tts.student_voices.has("clone"):
            row["student_clone"] = read(speaker="clone", reference_audio=ref)[0]
            nearest_student, _ = tts.student_voices.nearest(spk.embed(clip, 24000, validate=False))
            presets[nearest_student] = read(speaker=nearest_student)[0]
        row["nearest_preset"] = max(presets, key=presets.get)
        row["preset"] = presets[row["nearest_preset"]]
        row["margin"] = round(teacher_clone - max(row["default_voice"], row["preset"]), 3)
        rows.append(row)
        log.info("%s", json.dumps(row, ensure_ascii=False))
    return rows


def print_rows(rows: list[dict], out: Optional[str] = None) -> None:
    """One JSON line per row on stdout, and all rows as a JSON file at ``out`` when given."""
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    if out:
        Path(out).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--unseen", default="jf_alpha,jm_kumo,0.5*zf_xiaoxiao+0.5*zm_yunjian",
                    help="non-Mandarin Kokoro voices or blend recipes (never in any product voice)")
    ap.add_argument("--voices-dir", help="package/voices of `npm pack kokoro-js@1.2.1` (non-Japanese voices)")
    ap.add_argument("--real", action="store_true", help="also gradio's real recordings")
    ap.add_argument("--out", help="write the rows as JSON here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    rows = measure([v for v in args.unseen.split(",") if v], args.voices_dir, args.real)
    print_rows(rows, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
