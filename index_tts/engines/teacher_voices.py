"""The Synthesizer's view of the Kokoro teacher voices: the bundle's presets and clones fitted to clips.

Cheap to create; the engine loads on first use. A clone (``voice="clone_teacher"`` with a reference
clip, engines/kokoro_clone.py) is searched once per clip (minutes), then kept in memory and in the
user cache (``~/.cache/index-tts/kokoro_clones/``) under a key of the clip's samples and the search
settings; it is then a voice like the presets, named ``clone_teacher:<key>``. A search cut short keeps
its finished rounds beside it (``<key>.search.npz``) and the next request for the clip goes on from there.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ..errors import UnknownVoiceError
from .kokoro import BUNDLE_NAME, SAMPLE_RATE, SLURS_BELOW, KokoroEngine, KokoroVoice, find_bundle, read_config
from .kokoro_clone import (CALIBRATION, MANDARIN, TEACHER_CLONE, CloneStyle, SearchConfig, StyleSpace,
                           Surrogate, fit_clone)

log = logging.getLogger(__name__)

MAX_CLONES = 32  # fitted clones kept in memory (522 KB each)
EmbedFn = Callable[..., np.ndarray]  # (wav, sr, validate=...) -> unit GE2E embedding


def calibration_reader(engine: KokoroEngine, text: str = CALIBRATION) -> Callable[[np.ndarray], np.ndarray]:
    """style table -> the graph reading ``text`` with it (the product's rendering path)."""
    from ..frontend import Frontend

    segments = Frontend()(text).segments
    return lambda table: np.concatenate([engine.render_segment(s, "clone", table=table) for s in segments])


def reading_quality() -> Optional[Callable[[np.ndarray], Optional[float]]]:
    """DNSMOS OVRL of a 24 kHz reading (PyPI speechmos, in requirements.txt); None without it."""
    try:
        import speechmos  # noqa: F401
    except Exception:  # noqa: BLE001 - the guard is skipped, with a warning
        log.warning("speechmos is not installed: the clone search cannot check its readings' quality")
        return None
    from ..eval.quality import dnsmos_ovrl

    return lambda wav: dnsmos_ovrl(wav, SAMPLE_RATE)


def clone_cache_dir() -> Path:
    from ..hub import user_cache_dir

    return user_cache_dir() / "kokoro_clones"


class TeacherVoices:
    """``describe()`` is empty while the bundle is not installed (looked up again on each call
    until found, so a bundle built after start-up appears without a restart)."""

    def __init__(self, threads: int = 1, name: str = BUNDLE_NAME, clone_config: SearchConfig = SearchConfig(),
                 cache_dir: Optional[Path] = None) -> None:
        self.threads = max(1, int(threads))
        self.name = name
        self.clone_config = clone_config
        self.cache_dir = cache_dir
        self._engine: Optional[KokoroEngine] = None
        self._voices: dict[str, KokoroVoice] = {}
        self._clones: dict[str, tuple[KokoroVoice, np.ndarray, dict]] = {}  # voice, table, how found
        self._space: Optional[tuple[StyleSpace, Surrogate]] = None
        self._lock = threading.Lock()
        self._clone_lock = threading.Lock()

    def _lookup(self) -> dict[str, KokoroVoice]:
        if not self._voices:
            folder = find_bundle(self.name)
            if folder is not None:
                cfg = read_config(folder)
                self._voices = {vid: KokoroVoice.from_dict(vid, d) for vid, d in cfg["voices"].items()}
        return self._voices

    def _voice(self, voice: str) -> KokoroVoice:
        return self._clones[voice][0] if voice in self._clones else self._voices[voice]

    def describe(self) -> list[dict[str, Any]]:
        out = [v.describe() for v in self._lookup().values()]
        if out:
            out.append({"id": TEACHER_CLONE, "display_name": "克隆参考音色（Kokoro 教师，首次约 15 分钟）",
                        "gender": "as the clip", "age": "as the clip", "engine": "kokoro-onnx", "teacher_voice": True,
                        "needs_reference": True, "f0_median_hz": None, "lacks": ["seed (output is deterministic)"],
                        "description": "The Kokoro graph with a style searched to sound like the reference clip "
                                       "(a Kokoro-82M teacher voice, not a model of this project); the search takes "
                                       "about 15 minutes per new clip on 2 CPU cores, then it is cached. Every "
                                       "control works as on the teacher presets."})
        return out + [v.describe() for v, _, _ in self._clones.values()]

    def has(self, voice: Optional[str]) -> bool:
        return bool(voice) and (voice in self._clones or voice in self._lookup())

    def takes_reference(self, voice: Optional[str]) -> bool:
        """Whether the voice follows a reference clip's speaking style (its bundle opens the graph's
        prosody inputs); a preset never takes the clip's voice (a clone has it already)."""
        return self.has(voice) and not any(x.startswith("reference-audio") for x in self._voice(voice).lacks)

    def engine(self) -> KokoroEngine:
        with self._lock:
            if self._engine is None:
                self._engine = KokoroEngine.from_hub(self.name, threads=self.threads)
            return self._engine

    def prepare(self, speaker: Optional[str], *, pitch: float = 1.0, reference: bool = False,
                emotion: bool = False, speed: float = 1.0) -> tuple[Optional[str], list[str]]:
        """(teacher voice id or None, warnings for requested controls it ignores or applies in part)."""
        if not self.has(speaker):
            return None, []
        voice = self._voice(speaker)
        label = f"voice {speaker} ({voice.display_name}, Kokoro teacher voice)"
        out = []
        if abs(pitch - 1.0) > 1e-6 and "pitch" in voice.lacks:
            out.append(f"{label} has no pitch control; pitch was ignored")
        if reference and not self.takes_reference(speaker):
            out.append(f"{label} cannot imitate a reference clip; it was ignored")
        if speed * voice.speed < SLURS_BELOW:
            out.append(f"{label} at speed {speed:g}: this voice slurs when slowed below {SLURS_BELOW:g} "
                       "(Whisper error rate about 4x); the speed was applied as asked")
        if emotion and any(x.startswith("emotion") for x in voice.lacks):
            out.append(f"{label}: only the emotion's speaking rate and pauses apply")
        return speaker, out

    def render(self, segment, voice: str, speed: float, comma_pause: float,
               stats: Optional[dict[str, float]] = None, control: Optional[Any] = None
               ) -> tuple[np.ndarray, Optional[list]]:
        """One frontend segment -> (audio, its words' sample spans or None); ``stats["acoustic_s"]``
        gets the engine time. ``control``: the segment's ``ProsodyControl`` (see ``render_segment``),
        built with ``rate_share=EMOTION_RATE_SHARE``; ``speed`` is its speed."""
        t0 = time.perf_counter()
        spans: list = []
        table = self._clones[voice][1] if voice in self._clones else None
        wav = self.engine().render_segment(segment, voice, speed=speed, comma_pause=comma_pause, spans=spans,
                                           control=control, table=table)
        if stats is not None:
            stats["acoustic_s"] = stats.get("acoustic_s", 0.0) + time.perf_counter() - t0
        return wav, (spans if len(spans) == len(segment.words) else None)

    # ------------------------------------------------------------------ clones
    def clone(self, reference_audio: Any, embed: EmbedFn, progress: Optional[Callable[[int, int], None]] = None) -> str:
        """The voice id of the clip's clone: from memory, the disk cache, or a new search (minutes)."""
        from ..audio.io import load_audio
        from ..eval.kokoro_voices import f0_median

        if not self._lookup():
            raise UnknownVoiceError("voice 'clone_teacher' needs the Kokoro teacher voices (cache_hub/kokoro-zh)")
        clip = load_audio(reference_audio, target_sr=SAMPLE_RATE, max_seconds=60.0).wav
        cfg = self.clone_config
        digest = hashlib.sha256(clip.astype(np.float32).tobytes() + json.dumps(cfg.to_dict()).encode())
        vid = f"{TEACHER_CLONE}:{digest.hexdigest()[:12]}"
        with self._clone_lock:
            if vid in self._clones:
                return vid
            cached = self._read_cache(vid)
            if cached is not None:
                self._register(vid, *cached)
                return vid
            target = embed(clip, SAMPLE_RATE, validate=True)  # bad clips fail here, before the search
            f0 = f0_median(clip, SAMPLE_RATE)
            engine = self.engine()
            if self._space is None:
                self._space = (StyleSpace({v: engine.stock_table(v) for v in MANDARIN}), Surrogate.load())
            space, surrogate = self._space
            log.info("searching a Kokoro style for %s (%d readings)", vid, cfg.evaluations)
            style = fit_clone(space, surrogate, calibration_reader(engine, cfg.calibration),
                              lambda w: embed(w, SAMPLE_RATE, validate=False), target, f0, cfg, progress,
                              quality=reading_quality(), state_path=self._cache_file(vid, ".search.npz"))
            log.info("clone %s: similarity %.3f (start %.3f) in %.0f s", vid, style.similarity,
                     style.start_similarity, style.seconds)
            meta = {"f0_median_hz": round(f0, 1) if np.isfinite(f0) else None, "similarity": round(style.similarity, 3),
                    "prosody_from": style.prosody_from, "seconds": round(style.seconds, 1), "search": cfg.to_dict()}
            self._write_cache(vid, style, meta)
            self._register(vid, style.table, meta)
            return vid

    def clone_info(self, vid: str) -> dict:
        """How a fitted clone was found: similarity on the calibration, F0, prosody source, seconds."""
        return dict(self._clones[vid][2])

    def _register(self, vid: str, table: np.ndarray, meta: dict) -> None:
        f0 = meta.get("f0_median_hz")
        base = next(iter(self._lookup().values()))
        voice = KokoroVoice(
            id=vid, display_name=f"克隆·{vid.split(':')[1][:6]}（Kokoro 教师）",
            gender="male" if f0 is not None and f0 < 165 else "female", age="adult",
            description=(f"A Kokoro teacher style searched to sound like a reference clip (similarity "
                         f"{meta.get('similarity')} on the calibration text); a Kokoro-82M teacher voice, not a model of this project."),
            f0_median_hz=f0, style={}, lacks=tuple(x for x in base.lacks if "cloning" not in x))
        if len(self._clones) >= MAX_CLONES:
            self._clones.pop(next(iter(self._clones)))
        self._clones[vid] = (voice, np.asarray(table, np.float32), meta)

    def _cache_file(self, vid: str, suffix: str = ".safetensors") -> Path:
        """The fitted clone; with ``suffix=".search.npz"`` the state of its search cut short (closed tab,
        killed server), which the next request for the clip goes on from."""
        return (self.cache_dir or clone_cache_dir()) / f"{vid.split(':')[1]}{suffix}"

    def _read_cache(self, vid: str) -> Optional[tuple[np.ndarray, dict]]:
        path = self._cache_file(vid)
        if not path.is_file():
            return None
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="numpy") as f:
                return f.get_tensor("table"), json.loads(f.metadata()["json"])
        except Exception as exc:  # a damaged cache entry is searched again, never fatal
            log.warning("ignoring damaged clone cache %s: %s", path, exc)
            return None

    def _write_cache(self, vid: str, style: CloneStyle, meta: dict) -> None:
        from safetensors.numpy import save_file

        path = self._cache_file(vid)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            save_file({"table": np.ascontiguousarray(style.table, np.float32)}, str(tmp), metadata={"json": json.dumps(meta)})
            os.replace(tmp, path)
        except OSError as exc:  # a read-only home still clones; it just searches again next time
            log.warning("could not cache the clone in %s: %s", path, exc)
