"""How the teacher-clone search's settings pay: held-out similarity after each round.

    python -m index_tts.eval.clone_rounds am_michael --voices-dir package/voices [--calibration one|two|TEXT]
        [--rounds 8] [--probes 40] [--report 4,6,8] [--out rows.json]

For each unseen voice (a non-Mandarin Kokoro voice or a blend recipe, as in ``clone_bench``): its
reading of ``REFERENCE_TEXT`` is the clip; :func:`~index_tts.engines.kokoro_clone.fit_clone` searches
with the given settings and keeps the style after every round. Each kept style then reads 4 held-out
dev sentences through the teacher, and the mean GE2E embedding of those readings is compared with the
voice's own reading of the same sentences. The row gives, per reported round, (similarity on the
calibration text, which the search optimises; similarity on the held-out sentences, which it does
not see), the search's seconds and the prosody half it chose. This is how the default calibration
(two sentences) and rounds (8) were chosen: docs/VOICES.md, sessions 12-14. Use development voices
for choices and keep the bench's voices for the final figures.
"""
from __future__ import annotations

import argparse
import json
import logging
from typing import Optional, Sequence

import numpy as np

from .clone_bench import print_rows

log = logging.getLogger(__name__)


def calibration_text(choice: str) -> str:
    from ..engines.kokoro_clone import CALIBRATION, CALIBRATION_MORE

    return {"one": CALIBRATION, "two": CALIBRATION + CALIBRATION_MORE}.get(choice, choice)


def measure(voices: Sequence[str], voices_dir: Optional[str], calibration: str, rounds: int, probes: int,
            report: Sequence[int], n_sentences: int = 4) -> list[dict]:
    from ..encoders.speaker import SpeakerEncoder, mean_embedding
    from ..engines import kokoro_clone as kc
    from ..engines.teacher_voices import calibration_reader, reading_quality
    from ..train.student_voices import dev_sentences, unseen_reading
    from ..train.teacher_corpus import TeacherReader
    from .kokoro_voices import f0_median

    reader, spk = TeacherReader(threads=2), SpeakerEncoder()
    engine, sentences = reader.engine, dev_sentences()[:n_sentences]
    space = kc.StyleSpace({v: engine.stock_table(v) for v in kc.MANDARIN})
    surrogate = kc.Surrogate.load()
    render = calibration_reader(engine, calibration)
    embed = lambda wav: spk.embed(wav, 24000, validate=False)  # noqa: E731

    def held_out(table: np.ndarray, truth: np.ndarray) -> float:
        embeddings = [embed(reader.read_text(text, table)) for _, text in sentences]
        return round(float(mean_embedding(np.stack(embeddings)) @ truth), 3)

    cfg = kc.SearchConfig(rounds=rounds, probes=probes, calibration=calibration)
    rows = []
    for voice in voices:
        clip, truth = unseen_reading(reader, spk, voice, sentences, voices_dir)
        trace: list = []
        style = kc.fit_clone(space, surrogate, render, embed, embed(clip), f0_median(clip, 24000), cfg, trace=trace,
                             quality=reading_quality())  # as the product searches
        row = {"voice": voice, "calibration": calibration, "rounds": rounds, "probes": probes,
               "seconds": round(style.seconds), "prosody_from": style.prosody_from,
               "by_round": {str(r): [round(float(sim), 3), held_out(table, truth)]
                            for r, sim, table in trace if r in report or r == rounds}}
        rows.append(row)
        log.info("%s", json.dumps(row, ensure_ascii=False))
    return rows


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("voices", help="comma-separated unseen voices (non-Mandarin Kokoro names or blend recipes)")
    ap.add_argument("--voices-dir", help="package/voices of `npm pack kokoro-js@1.2.1` (non-Japanese voices)")
    ap.add_argument("--calibration", default="two", help="'one', 'two' (the default search) or a text")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--probes", type=int, default=40)
    ap.add_argument("--report", default="4,6,8", help="rounds whose styles are read on the held-out sentences")
    ap.add_argument("--out", help="write the rows as JSON here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    report = [int(r) for r in args.report.split(",") if r]
    rows = measure([v for v in args.voices.split(",") if v], args.voices_dir, calibration_text(args.calibration),
                   args.rounds, args.probes, report)
    print_rows(rows, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
