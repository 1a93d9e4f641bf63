"""Measure the kokoro-zh teacher voices: Whisper CER both ways, F0 median, real-time factor.

    python -m index_tts.eval.kokoro_voices cer --out outputs/kokoro_eval.jsonl \
        [--voices zf_xiaoni,...] [--modes frontend,misaki] [--sentences FILE.tsv] [--threads 1]
    python -m index_tts.eval.kokoro_voices report outputs/kokoro_eval.jsonl
    python -m index_tts.eval.kokoro_voices rtf --threads 1 [--voice zf_xiaoxiao]
    python -m index_tts.eval.kokoro_voices similarity --voices child_synth,zf_xiaoyi,zm_yunxia,...

Modes: ``frontend`` = our frontend's segments through ``kokoro_phonemes`` (what the product
uses); ``misaki`` = misaki's own ``ZHG2P`` on the raw text (needs ``misaki[zh]`` from
requirements-dev.txt). Results are appended per clip to a JSONL file, so a run can be stopped
and resumed; ``report`` aggregates CER as total edits / total reference characters.
``--blend zf_xiaoyi=1.25,zm_yunyang=-0.25`` measures an ad-hoc style as voice ``blend``.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Optional

import numpy as np

from ..request import DEFAULTS

log = logging.getLogger(__name__)

SENTENCES = Path(__file__).with_name("kokoro_sentences_zh.tsv")
SEGMENT_PAUSE_S = DEFAULTS.sentence_pause  # the facade's default sentence pause
COMMA_PAUSE_S = DEFAULTS.comma_pause  # and comma pause


def f0_median(wav: np.ndarray, sr: int) -> float:
    import pyworld

    x = wav.astype(np.float64)
    f0, t = pyworld.dio(x, sr, f0_floor=60.0, f0_ceil=600.0, frame_period=10.0)
    f0 = pyworld.stonemask(x, f0, t, sr)
    voiced = f0[f0 > 0]
    return float(np.median(voiced)) if voiced.size else float("nan")


class Renderer:
    """Text -> audio with one Kokoro voice, by our frontend or by misaki."""

    def __init__(self, engine, frontend=None) -> None:
        self.engine = engine
        self.frontend = frontend
        self._g2p = None

    def frontend_wav(self, text: str, voice: str, table=None) -> tuple[np.ndarray, str]:
        """The product path: segments rendered clause by clause with the facade's default pauses."""
        from ..frontend.kokoro_phonemes import segment_phonemes

        utt = self.frontend(text)
        gap = np.zeros(int(SEGMENT_PAUSE_S * self.engine.sample_rate), np.float32)
        out, phon = [], []
        for seg in utt.segments:
            phon.append(segment_phonemes(seg))
            out += [self.engine.render_segment(seg, voice, 1.0, COMMA_PAUSE_S, table=table), gap]
        return np.concatenate(out), " | ".join(phon)

    def misaki_wav(self, text: str, voice: str, table=None) -> tuple[np.ndarray, str]:
        if self._g2p is None:
            from misaki.zh import ZHG2P

            self._g2p = ZHG2P()
        ph, _ = self._g2p(text)
        kept = "".join(c for c in ph if c in self.engine.vocab)  # misaki's own pipeline drops the rest
        speed = self.engine.voices[voice].speed if voice in self.engine.voices else 1.0
        return self.engine.render_phonemes(kept, voice, speed, table=table), ph


def _parse_blend(spec: str) -> dict[str, float]:
    out = {}
    for part in spec.split(","):
        name, w = part.split("=")
        out[name.strip()] = float(w)
    return out


def run_cer(args: argparse.Namespace) -> None:
    from ..engines.kokoro import KokoroEngine
    from ..frontend import Frontend
    from .asr import WhisperASR, cer_counts
    from .sentences import load_sentences

    engine = KokoroEngine.from_hub(threads=args.threads)
    sentences = load_sentences(args.sentences)
    if args.limit:
        sentences = sentences[: args.limit]
    voices = args.voices.split(",") if args.voices else list(engine.voices)  # presets or stock names
    table = None
    if args.blend:
        weights = _parse_blend(args.blend)
        table = sum(np.float32(w) * engine.stock_table(n) for n, w in weights.items())
        voices = ["blend"]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out.is_file():
        for line in out.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            done.add((r["voice"], r["mode"], r["id"], r.get("tag", "")))
    asr = WhisperASR(cpu_threads=args.threads)
    rend = Renderer(engine, Frontend())
    modes = args.modes.split(",")
    for mode in modes:
        for voice in voices:
            for s in sentences:
                key = (voice, mode, s.id, args.tag)
                if key in done:
                    continue
                t0 = time.perf_counter()
                fn = rend.frontend_wav if mode == "frontend" else rend.misaki_wav
                tab = table if table is not None or voice in engine.voices else engine.stock_table(voice)
                wav, ph = fn(s.text, voice, table=tab)
                synth_s = time.perf_counter() - t0
                hyp = asr.transcribe(wav, engine.sample_rate)
                c = cer_counts(s.text, hyp)
                rec = {"voice": voice, "mode": mode, "id": s.id, "category": s.category, "tag": args.tag,
                       "text": s.text, "hyp": hyp, "edits": c.edits, "ref_len": c.ref_len,
                       "audio_s": round(len(wav) / engine.sample_rate, 3), "synth_s": round(synth_s, 3),
                       "f0_median": round(f0_median(wav, engine.sample_rate), 1), "phonemes": ph}
                with out.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                log.info("%s %s %s CER %.3f  %s", voice, mode, s.id, c.edits / max(c.ref_len, 1), hyp)


def report(path: str, ids: Optional[set[str]] = None) -> list[dict]:
    rows: dict[tuple, dict] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if ids and r["id"] not in ids:
            continue
        k = (r["voice"], r["mode"], r.get("tag", ""))
        a = rows.setdefault(k, {"voice": k[0], "mode": k[1], "tag": k[2], "n": 0, "edits": 0, "ref_len": 0,
                                "f0": [], "audio_s": 0.0, "synth_s": 0.0, "bad": []})
        a["n"] += 1
        a["edits"] += r["edits"]
        a["ref_len"] += r["ref_len"]
        a["f0"].append(r["f0_median"])
        a["audio_s"] += r["audio_s"]
        a["synth_s"] += r["synth_s"]
        if r["edits"] / max(r["ref_len"], 1) > 0.2:
            a["bad"].append(r["id"])
    out = []
    for a in rows.values():
        out.append({"voice": a["voice"], "mode": a["mode"], "tag": a["tag"], "n": a["n"],
                    "cer": round(a["edits"] / max(a["ref_len"], 1), 4),
                    "f0_median_hz": round(float(np.nanmedian(a["f0"])), 1),
                    "rtf": round(a["synth_s"] / max(a["audio_s"], 1e-9), 2), "bad": a["bad"]})
    return sorted(out, key=lambda r: (r["mode"], r["voice"], r["tag"]))


def run_rtf(args: argparse.Namespace) -> None:
    from ..engines.kokoro import KokoroEngine
    from ..frontend import Frontend
    from ..frontend.kokoro_phonemes import segment_phonemes
    from .sentences import load_sentences

    engine = KokoroEngine.from_hub(threads=args.threads)
    fe = Frontend()
    texts = [s.text for s in load_sentences(args.sentences)[: args.limit or 6]]
    phon = [segment_phonemes(seg) for t in texts for seg in fe(t).segments]
    engine.render_phonemes(phon[0], args.voice)  # warm-up (session creation)
    t0 = time.perf_counter()
    audio = sum(len(engine.render_phonemes(p, args.voice)) for p in phon) / engine.sample_rate
    dt = time.perf_counter() - t0
    print(json.dumps({"threads": args.threads, "voice": args.voice, "segments": len(phon),
                      "audio_s": round(audio, 2), "synth_s": round(dt, 2), "rtf": round(dt / audio, 3)}))


def run_similarity(args: argparse.Namespace) -> None:
    """Mean Resemblyzer embedding per voice over a few sentences; every pair's cosine similarity."""
    from ..engines.kokoro import KokoroEngine
    from ..frontend import Frontend
    from .sentences import load_sentences
    from .speaker_similarity import embed, similarity

    engine = KokoroEngine.from_hub(threads=args.threads)
    rend = Renderer(engine, Frontend())
    wanted = set(args.ids.split(","))
    texts = [s.text for s in load_sentences(args.sentences) if s.id in wanted]
    means = {}
    for voice in args.voices.split(","):
        tab = None if voice in engine.voices else engine.stock_table(voice)
        embs = [embed(rend.frontend_wav(t, voice, table=tab)[0], engine.sample_rate) for t in texts]
        m = np.mean(embs, axis=0)
        means[voice] = m / np.linalg.norm(m)
        log.info("embedded %s", voice)
    names = list(means)
    rows = {a: {b: round(similarity(means[a], means[b]), 3) for b in names} for a in names}
    for a in names:
        others = {b: v for b, v in rows[a].items() if b != a}
        nearest = max(others, key=others.get)
        print(json.dumps({"voice": a, "nearest": nearest, "similarity": others[nearest], "row": rows[a]}))


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index_tts.eval.kokoro_voices", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cer")
    c.add_argument("--out", required=True)
    c.add_argument("--voices", default="")
    c.add_argument("--modes", default="frontend,misaki")
    c.add_argument("--sentences", default=str(SENTENCES))
    c.add_argument("--limit", type=int, default=0)
    c.add_argument("--threads", type=int, default=1)
    c.add_argument("--blend", default="", help="ad-hoc style, e.g. zf_xiaoyi=1.25,zm_yunyang=-0.25")
    c.add_argument("--tag", default="")
    r = sub.add_parser("report")
    r.add_argument("path")
    r.add_argument("--ids", default="", help="comma-separated sentence ids to include")
    t = sub.add_parser("rtf")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--voice", default="zf_xiaoxiao")
    t.add_argument("--sentences", default=str(SENTENCES))
    t.add_argument("--limit", type=int, default=6)
    m = sub.add_parser("similarity")
    m.add_argument("--voices", required=True, help="preset ids or stock names, comma-separated")
    m.add_argument("--ids", default="k01,k11,k20,k25")
    m.add_argument("--sentences", default=str(SENTENCES))
    m.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.cmd == "cer":
        run_cer(args)
    elif args.cmd == "report":
        for row in report(args.path, set(args.ids.split(",")) if args.ids else None):
            print(json.dumps(row, ensure_ascii=False))
    elif args.cmd == "similarity":
        run_similarity(args)
    else:
        run_rtf(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
