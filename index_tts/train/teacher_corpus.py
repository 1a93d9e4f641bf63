"""Teacher corpus for the multi-voice student: Kokoro voices reading our frontend's phonemes.

Every clip is one frontend segment read by one teacher voice, stored with everything the
student needs and nothing it must re-derive:

- ``ids``: our Baker symbol ids (the same ``Segment.ids`` the default voice reads);
- ``durations``: mel frames per symbol, **from the teacher's own duration predictor** (the
  ONNX graph's rounded per-token durations, exposed as a second output): a Kokoro frame is
  600 samples at 24 kHz = two of our 300-sample hops, and every phoneme character is owned by
  one of our symbols (``kokoro_phonemes.aligned_phonemes``). No learned aligner is needed;
- ``mel`` (raw log10, our ``MelConfig``), ``f0`` (Hz, WORLD) and ``energy`` per frame;
- ``spk_emb``: the clip's GE2E embedding (resemblyzer), for speaker conditioning and cloning;
- the audio itself (``audio/<voice>/<uid>.flac``), so features for another vocoder's mel (the
  universal HiFi-GAN's 22.05 kHz mel) can be made without running the teacher again.

Clips are kept when Whisper base reads them back within ``--max-cer``; every attempt, kept or
not, is a line of ``index.jsonl`` (so reruns skip it: the tool is resumable and can be killed at
any point; feature files are written to a temporary name and renamed).

    python -m index_tts.train.teacher_corpus --sentences index_tts/train/data/teacher_sentences_zh.txt \\
        --out .run/student/corpus --per-sentence 2
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

log = logging.getLogger(__name__)

TEACHER_VOICES = ("zf_xiaobei", "zf_xiaoxiao", "zf_xiaoyi", "zm_yunjian", "zm_yunxi", "zm_yunxia", "zm_yunyang")
KOKORO_FRAME = 600  # samples per teacher duration unit at 24 kHz
MAX_SYLLABLES = 80
DEFAULT_VOICE = "baker"  # our own default voice as a student speaker
DEFAULT_BUNDLE = "baker-zh"  # segments are cut only beyond this (the teacher reads long sentences well)


@dataclass(frozen=True)
class ClipRecord:
    uid: str
    voice: str
    text: str
    kept: bool
    cer: float
    hyp: str
    n_ids: int
    n_frames: int
    seconds: float
    path: str
    reason: str = ""


def symbol_durations(owners: Sequence[int], token_durations: np.ndarray, phones: Sequence[str],
                     n_frames: int, hops_per_unit: int = 2) -> np.ndarray:
    """Teacher durations (one per token, with the start/end pad tokens) -> mel frames per symbol.

    The start pad goes to the first symbol (``sil``), the end pad to the last ``sil``; a zero
    initial ``^`` (no characters of its own) borrows one frame from its final when the final
    has three or more; the last ``sil`` absorbs the difference to ``n_frames``.
    """
    d = np.asarray(token_durations, dtype=np.int64).ravel()
    if len(d) != len(owners) + 2:
        raise ValueError(f"{len(d)} durations for {len(owners)} characters (+2 pads)")
    out = np.zeros(len(phones), dtype=np.int64)
    last_sil = max(i for i, p in enumerate(phones) if p == "sil")
    out[0] += d[0] * hops_per_unit
    out[last_sil] += d[-1] * hops_per_unit
    for owner, dur in zip(owners, d[1:-1]):
        out[owner] += dur * hops_per_unit
    for i, p in enumerate(phones[:-1]):
        if p == "^" and out[i] == 0 and out[i + 1] >= 3:
            out[i] += 1
            out[i + 1] -= 1
    out[last_sil] += n_frames - int(out.sum())
    if out[last_sil] < 0:
        raise ValueError(f"durations exceed the mel length ({int(out.sum())} > {n_frames})")
    return out.astype(np.int32)


PAUSES = ("sil", "#3")
SILENCE_DB = 40.0  # a frame this far below the clip's loudest is silence
EDGE_FRAMES = 12  # leading/trailing silence kept (150 ms)


def settle_pauses(durations: np.ndarray, phones: Sequence[str], energy: np.ndarray) -> np.ndarray:
    """Move silent frames that the teacher's durations give to a sound into the next pause.

    Kokoro's durations are those its decoder was conditioned on, and it often lets the last
    vowel of a clause carry the pause after it (a final tone arrow of 0.7 s followed by
    silence). Silent frames at the end of the last sound before ``sil``/``#3`` move to that
    pause, and silent frames at the start of the first sound after the leading ``sil`` move
    back into it. At least two frames stay with every sound.
    """
    d = np.asarray(durations, dtype=np.int64).copy()
    db = 20.0 * np.log10(np.maximum(np.asarray(energy, dtype=np.float64), 1e-8))
    silent = db < db.max() - SILENCE_DB
    ends = np.cumsum(d)
    sounding = [i for i, p in enumerate(phones) if d[i] > 0 and p not in PAUSES and not p.startswith("#")
                and p not in ("eos", "pad")]
    for i in sounding:
        nxt = next((j for j in range(i + 1, len(phones)) if d[j] > 0 or phones[j] in PAUSES), None)
        if nxt is not None and phones[nxt] in PAUSES:
            k = 0
            while k < d[i] - 2 and silent[ends[i] - 1 - k]:
                k += 1
            d[i] -= k
            d[nxt] += k
    first = sounding[0] if sounding else None
    if first is not None and phones[0] == "sil" and all(d[j] == 0 for j in range(1, first)):
        s0 = int(np.sum(d[:first]))
        k = 0
        while k < d[first] - 2 and silent[s0 + k]:
            k += 1
        d[first] -= k
        d[0] += k
    return d.astype(np.int32)


def trim_edges(durations: np.ndarray, phones: Sequence[str], keep: int = EDGE_FRAMES) -> tuple[np.ndarray, int, int]:
    """Shorten the leading and trailing ``sil`` to ``keep`` frames: (durations, first, last frame)."""
    d = np.asarray(durations, dtype=np.int64).copy()
    last_sil = max(i for i, p in enumerate(phones) if p == "sil")
    cut_start = max(0, int(d[0]) - keep) if phones[0] == "sil" else 0
    cut_end = max(0, int(d[last_sil]) - keep)
    d[0] -= cut_start
    d[last_sil] -= cut_end
    total = int(np.sum(durations))
    return d.astype(np.int32), cut_start, total - cut_end


class TeacherReader:
    """The Kokoro ONNX graph with its duration output exposed, plus our frontend."""

    def __init__(self, threads: int = 1) -> None:
        from ..frontend import Frontend

        self.threads = threads
        self.frontend = Frontend()
        self._engine = None
        self._tables: dict[str, np.ndarray] = {}
        self._default = None

    @property
    def engine(self):
        """The Kokoro bundle (style tables, vocabulary), loaded on first use."""
        if self._engine is None:
            from ..engines.kokoro import KokoroEngine

            self._engine = KokoroEngine.from_hub(threads=self.threads)
        return self._engine

    @property
    def session(self):
        """The teacher's ONNX session: the engine's, which also outputs the per-token durations."""
        return self.engine.session

    def read_voice(self, segment, voice: str) -> tuple[np.ndarray, np.ndarray]:
        """``voice`` = a stock Kokoro voice, a blend recipe, or ``baker`` (our default voice)."""
        if voice == DEFAULT_VOICE:
            return self._read_default(segment)
        if voice not in self._tables:
            self._tables[voice] = self.table(voice)
        return self.read(segment, self._tables[voice])

    def _read_default(self, segment) -> tuple[np.ndarray, np.ndarray]:
        """The default voice reads the segment: its own durations, vocoded with its vocoder."""
        import torch

        if self._default is None:
            from ..bundle import load_bundle

            self._default = load_bundle(DEFAULT_BUNDLE, device="cpu")
        b = self._default
        ids = torch.as_tensor([segment.ids], dtype=torch.long)
        with torch.inference_mode():
            out = b.acoustic.eval().infer(ids)
            voc = b.vocoders[next(iter(b.vocoders))].eval()
            wav = voc.infer(out.mel[..., : int(out.mel_lens[0])])[0].float().numpy().ravel()
        dur = out.durations[0].numpy().astype(np.int64)
        dur[max(i for i, p in enumerate(segment.phones) if p == "sil")] += len(wav) // 300 + 1 - int(dur.sum())
        return wav.astype(np.float32), dur.astype(np.int32)

    def table(self, voice: str) -> np.ndarray:
        if "+" in voice or "*" in voice:
            return blend_table(self.engine, voice)
        return self.engine.stock_table(voice)

    def read(self, segment, table: np.ndarray, speed: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """One segment -> (wav float32 24 kHz, symbol durations in mel frames)."""
        from ..audio.mel import MelConfig  # noqa: F401 - documents the frame grid (hop 300)
        from ..frontend.kokoro_phonemes import aligned_phonemes, tokenize

        text, owners = aligned_phonemes(segment.phones, segment.sentence_type, segment.word_index)
        ids = tokenize(text, self.engine.vocab)
        if not ids or len(ids) + 2 > self.engine.max_tokens:
            raise ValueError(f"{len(ids)} phoneme tokens (limit {self.engine.max_tokens - 2})")
        style = table[min(len(ids), table.shape[0] - 1)][None, :].astype(np.float32)
        audio, dur = self.engine.run_tokens(ids, style, speed)[:2]
        wav = np.asarray(audio, dtype=np.float32).ravel()
        n_frames = len(wav) // 300 + 1  # log_mel_raw's frame count (centred STFT, hop 300)
        return wav, symbol_durations(owners, dur, segment.phones, n_frames)

    def read_text(self, text: str, table: np.ndarray) -> np.ndarray:
        """A whole text through our frontend, segment by segment: 24 kHz audio (no pauses added)."""
        return np.concatenate([self.read(seg, table)[0] for seg in self.frontend(text).segments])


def blend_table(engine, recipe: str) -> np.ndarray:
    """``"0.5*zf_xiaobei+0.5*zm_yunxi"`` -> the weighted sum of the stock tables."""
    total = None
    for part in recipe.split("+"):
        w, _, name = part.partition("*")
        table = float(w) * engine.stock_table(name.strip())
        total = table if total is None else total + table
    return total.astype(np.float32)


def assignments(sentences: Sequence[str], voices: Sequence[str], per_sentence: int) -> list[tuple[str, str]]:
    """(sentence, voice) pairs: each sentence read by ``per_sentence`` voices, rotating evenly."""
    per = max(1, min(per_sentence, len(voices)))
    jobs = []
    for j, text in enumerate(sentences):
        for r in range(per):
            jobs.append((text, voices[(j * per + r) % len(voices)]))
    return jobs


def clip_uid(voice: str, text: str, index: int) -> str:
    h = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return f"{voice_slug(voice)}_{h}_{index}"


def voice_slug(voice: str) -> str:
    if "+" not in voice and "*" not in voice:
        return voice
    return "blend" + hashlib.sha1(voice.encode()).hexdigest()[:6]


def read_index(path: Path) -> dict[str, ClipRecord]:
    done: dict[str, ClipRecord] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rec = ClipRecord(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a line cut by a kill: that clip is simply redone
            done[rec.uid] = rec
    return done


def save_features(path: Path, **arrays: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def save_audio(path: Path, wav: np.ndarray, sample_rate: int = 24000) -> None:
    """The clip as 16-bit FLAC (written to a temporary name, then renamed)."""
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.flac")
    sf.write(str(tmp), np.clip(wav, -1.0, 1.0), sample_rate, subtype="PCM_16", format="FLAC")
    os.replace(tmp, path)


def process(reader: TeacherReader, text: str, voice: str, out: Path, done: dict[str, ClipRecord],
            asr, spk, max_cer: float, mel_cfg) -> list[ClipRecord]:
    from ..eval.textnorm import cer
    from .acoustic_data import frame_features

    records = []
    utt = reader.frontend(text, max_segment_syllables=MAX_SYLLABLES)
    for k, seg in enumerate(utt.segments):
        uid = clip_uid(voice, text, k)
        if uid in done:
            continue
        base = dict(uid=uid, voice=voice, text=seg.text, n_ids=len(seg.ids))
        if getattr(seg, "context_start", None) is not None:
            records.append(ClipRecord(**base, kept=False, cer=1.0, hyp="", n_frames=0, seconds=0.0, path="",
                                      reason="cut segment"))
            continue
        try:
            wav, dur = reader.read_voice(seg, voice)
            feats = frame_features(wav, mel_cfg)
            if feats["mel"].shape[1] != int(dur.sum()):
                raise ValueError(f"mel has {feats['mel'].shape[1]} frames, durations {int(dur.sum())}")
            dur = settle_pauses(dur, seg.phones, feats["energy"])
            dur, f_start, f_end = trim_edges(dur, seg.phones)
            feats = {"mel": feats["mel"][:, f_start:f_end], "f0": feats["f0"][f_start:f_end],
                     "energy": feats["energy"][f_start:f_end]}
            wav = wav[f_start * mel_cfg.hop_length: f_end * mel_cfg.hop_length]
            hyp = asr.transcribe(wav, 24000) if asr is not None else ""
            err = cer(seg.text, hyp) if asr is not None else 0.0
        except Exception as exc:  # one bad sentence must not stop the corpus
            records.append(ClipRecord(**base, kept=False, cer=1.0, hyp="", n_frames=0, seconds=0.0, path="",
                                      reason=f"{type(exc).__name__}: {exc}"))
            continue
        kept = err <= max_cer
        rel = f"feats/{voice_slug(voice)}/{uid}.npz"
        if kept:
            emb = spk.embed(wav, 24000, validate=False)
            save_audio(out / "audio" / voice_slug(voice) / f"{uid}.flac", wav)  # features for other mels later
            save_features(out / rel, ids=np.asarray(seg.ids, np.int32), durations=dur, mel=feats["mel"].astype(np.float16),
                          f0=feats["f0"], energy=feats["energy"], spk_emb=emb.astype(np.float32))
        records.append(ClipRecord(**base, kept=kept, cer=round(float(err), 4), hyp=hyp, n_frames=int(dur.sum()),
                                  seconds=round(len(wav) / 24000, 3), path=rel if kept else "",
                                  reason="" if kept else "cer"))
    return records


def summarise(records: Sequence[ClipRecord]) -> dict[str, dict]:
    by: dict[str, dict] = {}
    for r in records:
        s = by.setdefault(r.voice, {"clips": 0, "kept": 0, "seconds": 0.0, "cer_sum": 0.0, "read": 0})
        s["clips"] += 1
        if r.reason in ("", "cer"):
            s["read"] += 1
            s["cer_sum"] += r.cer
        if r.kept:
            s["kept"] += 1
            s["seconds"] += r.seconds
    for s in by.values():
        s["mean_cer"] = round(s.pop("cer_sum") / max(s["read"], 1), 4)
        s["survival"] = round(s["kept"] / max(s["read"], 1), 3)
        s["minutes"] = round(s.pop("seconds") / 60, 2)
    return by


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", required=True, help="UTF-8 text, one sentence per line ('#' lines skipped)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--voices", default=",".join(TEACHER_VOICES),
                    help="stock voices or blends like 0.5*zf_xiaobei+0.5*zm_yunxi, comma-separated")
    ap.add_argument("--per-sentence", type=int, default=2)
    ap.add_argument("--max-cer", type=float, default=0.15)
    ap.add_argument("--limit", type=int, default=0, help="stop after this many sentences (0 = all)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-asr", action="store_true", help="keep every clip (tests, quick looks)")
    ap.add_argument("--report", action="store_true", help="print the per-voice summary and exit")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    out = Path(args.out)
    index_path = out / "index.jsonl"
    done = read_index(index_path)
    if args.report:
        print(json.dumps(summarise(list(done.values())), ensure_ascii=False, indent=1))
        return 0
    import torch

    from ..audio.mel import MelConfig
    from ..train.sentences import read_sentences

    torch.set_num_threads(args.threads)
    sentences = read_sentences(args.sentences)
    if args.limit:
        sentences = sentences[: args.limit]
    voices = [v.strip() for v in args.voices.split(",") if v.strip()]
    reader = TeacherReader(threads=args.threads)
    mel_cfg = MelConfig()
    asr = None
    if not args.no_asr:
        from ..eval.asr import WhisperASR

        asr = WhisperASR(cpu_threads=args.threads)
    from ..encoders.speaker import SpeakerEncoder

    spk = SpeakerEncoder()
    out.mkdir(parents=True, exist_ok=True)
    t0, n_new = time.time(), 0
    with index_path.open("a", encoding="utf-8") as fh:
        for j, (text, voice) in enumerate(assignments(sentences, voices, args.per_sentence)):
            for rec in process(reader, text, voice, out, done, asr, spk, args.max_cer, mel_cfg):
                fh.write(json.dumps(asdict(rec), ensure_ascii=False) + "\n")
                fh.flush()
                done[rec.uid] = rec
                n_new += 1
            if n_new and j % 20 == 0:
                kept = [r for r in done.values() if r.kept]
                log.info("job %d: %d clips done (%d new, %.1f min audio kept) in %.0f s", j, len(done), n_new,
                         sum(r.seconds for r in kept) / 60, time.time() - t0)
    print(json.dumps(summarise(list(done.values())), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
