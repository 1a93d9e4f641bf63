"""One engine worker shared by the HTTP API and the web UI, plus audio encoders.

The synthesizer is not thread-safe and the machine has few cores, so every request
(API or UI) runs on the same engine one at a time: callers block on a lock in a
worker thread; the asyncio event loop never runs synthesis itself.  When more than
``max_pending`` requests wait, new ones are refused with :class:`ServerBusyError`
(HTTP 503) instead of piling up without bound.
"""
from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Response formats the server can produce.
AUDIO_MEDIA_TYPES = {
    "wav": "audio/wav",
    "pcm": "audio/L16",  # raw 16-bit little-endian mono, no header (OpenAI's "pcm")
    "flac": "audio/flac",
}


class ServerBusyError(RuntimeError):
    """Too many requests are already waiting for the engine."""


@dataclass(frozen=True)
class EngineInfo:
    """What the loaded engine offers, normalised from ``Synthesizer.info()``."""

    voices: list[str] = field(default_factory=list)
    voice_labels: dict[str, str] = field(default_factory=dict)
    emotions: list[str] = field(default_factory=list)
    emotion_labels: dict[str, str] = field(default_factory=dict)
    sample_rate: int = 24000
    max_chars: int | None = None
    device: str = "cpu"
    reference_audio: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> EngineInfo:
        voices, labels = _names(info.get("voices"))
        emotions, emotion_labels = _names(info.get("emotions"))
        max_chars = info.get("max_chars")
        reference = info.get("supports_reference_audio", info.get("reference_audio", False))
        return cls(
            voices=voices,
            voice_labels=labels,
            emotions=emotions,
            emotion_labels=emotion_labels,
            sample_rate=int(info.get("sample_rate") or 24000),
            max_chars=int(max_chars) if max_chars else None,
            device=str(info.get("device") or "cpu"),
            reference_audio=bool(reference),
            raw=dict(info),
        )


def _names(items: Any) -> tuple[list[str], dict[str, str]]:
    """Names (and display labels) from a list of strings or of dicts with id/name + label."""
    names: list[str] = []
    labels: dict[str, str] = {}
    for item in items or []:
        if isinstance(item, dict):
            name = str(item.get("id") or item.get("name") or item.get("label") or "")
            label = str(item.get("display_name") or item.get("label") or name)
        else:
            name = label = str(item)
        if name and name not in labels:
            names.append(name)
            labels[name] = label
    return names, labels


class EngineWorker:
    """Serialises calls into one synthesizer; safe to call from any thread."""

    def __init__(self, synth: Any, *, max_pending: int = 16) -> None:
        self.synth = synth
        self.max_pending = max_pending
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._pending = 0
        self._info: EngineInfo | None = None

    @property
    def info(self) -> EngineInfo:
        if self._info is None:
            self._info = EngineInfo.from_info(self.synth.info())
        return self._info

    @property
    def pending(self) -> int:
        return self._pending

    def _enter(self) -> None:
        with self._count_lock:
            if self._pending >= self.max_pending:
                raise ServerBusyError(
                    f"the server is busy ({self._pending} requests waiting); try again shortly"
                )
            self._pending += 1

    def _leave(self) -> None:
        with self._count_lock:
            self._pending -= 1

    def synthesize(self, text: str, progress: Callable[[int, int], None] | None = None, **kwargs: Any):
        """Blocking synthesis; waits for the engine when another job runs."""
        self._enter()
        try:
            with self._lock:
                t0 = time.perf_counter()
                res = self.synth.synthesize(text, progress=progress, **kwargs)
                log.info("synthesized %d chars in %.2fs", len(text), time.perf_counter() - t0)
                return res
        finally:
            self._leave()

    async def synthesize_async(self, text: str, **kwargs: Any):
        """Run :meth:`synthesize` in a worker thread so the event loop stays free."""
        import anyio.to_thread

        return await anyio.to_thread.run_sync(partial(self.synthesize, text, **kwargs))


def to_int16(wav: np.ndarray) -> np.ndarray:
    x = np.asarray(wav, dtype=np.float32).reshape(-1)
    x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    return (np.clip(x, -1.0, 1.0) * 32767.0).round().astype("<i2")


def encode_audio(wav: np.ndarray, sample_rate: int, fmt: str) -> bytes:
    """Encode mono float audio as wav (16-bit PCM), raw pcm (s16le) or flac."""
    if fmt == "pcm":
        return to_int16(wav).tobytes()
    if fmt not in ("wav", "flac"):
        raise ValueError(f"unsupported audio format {fmt!r}")
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, to_int16(wav), sample_rate, format=fmt.upper(), subtype="PCM_16")
    return buf.getvalue()
