"""Robust audio loading for user-supplied clips (reference audio, speaker prompts).

``load_audio`` accepts a path, raw bytes / a binary file object, or ``(array, sample_rate)``;
reads wav/flac/ogg/mp3 with soundfile (libsndfile), falling back to librosa/audioread for
anything else; mixes to mono; resamples; trims long clips with a warning; and refuses
unusable input with ``ReferenceAudioError``. Sample rates and channel counts are always
converted, never rejected. Only the part that is kept is decoded, so a 10-minute file
costs no more than its first ``max_seconds``.
"""
from __future__ import annotations

import io
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Optional, Tuple, Union

import numpy as np

from ..errors import ReferenceAudioError

log = logging.getLogger(__name__)

AudioSource = Union[str, os.PathLike, bytes, bytearray, memoryview, BinaryIO, Tuple[Any, int]]

MAX_FILE_BYTES = 200 * 1024 * 1024
MIN_SAMPLE_RATE = 4000
MAX_SAMPLE_RATE = 384000
SILENCE_PEAK = 10 ** (-70 / 20)  # a clip whose peak is below -70 dBFS is silent


@dataclass
class LoadedAudio:
    wav: np.ndarray                 # float32 mono [n], roughly within [-1, 1]
    sample_rate: int
    source_sample_rate: int
    source_channels: int
    source_duration_s: Optional[float]  # None when the container does not say
    trimmed: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return len(self.wav) / float(self.sample_rate)


def _describe(src: Any) -> str:
    if isinstance(src, (str, os.PathLike)):
        return f"'{Path(src).name}'"
    if isinstance(src, (bytes, bytearray, memoryview)):
        return f"uploaded audio ({len(src)} bytes)"
    return "uploaded audio"


def _to_mono(data: np.ndarray, channels_first: bool = False) -> tuple[np.ndarray, int]:
    data = np.asarray(data)
    if data.ndim == 1:
        return data, 1
    if data.ndim != 2:
        raise ReferenceAudioError(f"audio array must be 1-D or 2-D (samples x channels), got shape {data.shape}")
    if channels_first or (data.shape[0] <= 8 and data.shape[1] > data.shape[0]):
        data = data.T  # [channels, n] -> [n, channels]
    return data.mean(axis=1), data.shape[1]


def _as_float(data: np.ndarray) -> np.ndarray:
    if data.dtype.kind == "i":
        scale = float(np.iinfo(data.dtype).max) + 1.0
        return (data.astype(np.float32) / scale).astype(np.float32)
    if data.dtype.kind == "u":
        info = np.iinfo(data.dtype)
        mid = (float(info.max) + 1.0) / 2.0
        return ((data.astype(np.float32) - mid) / mid).astype(np.float32)
    if data.dtype.kind in "fc":
        return np.real(data).astype(np.float32)
    if data.dtype == np.bool_:
        return data.astype(np.float32)
    raise ReferenceAudioError(f"audio array has unsupported dtype {data.dtype}")


def resample(wav: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Polyphase resampling (scipy); exact for any pair of integer rates."""
    if sr_in == sr_out or len(wav) == 0:
        return wav.astype(np.float32, copy=False)
    from scipy.signal import resample_poly

    g = math.gcd(int(sr_in), int(sr_out))
    up, down = int(sr_out) // g, int(sr_in) // g
    return resample_poly(wav.astype(np.float64), up, down).astype(np.float32)


def _read_soundfile(obj: Any, max_seconds: Optional[float]) -> tuple[np.ndarray, int, int, Optional[float], bool]:
    import soundfile as sf

    with sf.SoundFile(obj) as f:
        sr, channels = int(f.samplerate), int(f.channels)
        total = int(f.frames) if f.frames and f.frames > 0 else None
        limit = -1
        if max_seconds is not None:
            limit = int(round(max_seconds * sr))
        data = f.read(frames=limit, dtype="float32", always_2d=True)
        trimmed = False
        if max_seconds is not None and data.shape[0] >= limit:
            if total is not None:
                trimmed = total > limit
            else:  # length unknown (some streams): is there anything after the limit?
                trimmed = len(f.read(frames=1, dtype="float32")) > 0
    duration = total / sr if total else None
    return data, sr, channels, duration, trimmed


def _read_librosa(obj: Any, max_seconds: Optional[float]) -> tuple[np.ndarray, int, int, Optional[float], bool]:
    import warnings

    import librosa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dur = None if max_seconds is None else max_seconds + 0.5
        y, sr = librosa.load(obj, sr=None, mono=False, duration=dur)
    y = np.asarray(y, dtype=np.float32)
    data = y[:, None] if y.ndim == 1 else y.T
    channels = data.shape[1]
    trimmed = max_seconds is not None and data.shape[0] > int(round(max_seconds * sr))
    if trimmed:
        data = data[: int(round(max_seconds * sr))]
    return data, int(sr), channels, None, trimmed


def _decode(src: Any, max_seconds: Optional[float]) -> tuple[np.ndarray, int, int, Optional[float], bool]:
    """Decode a path / bytes / file object; raises ReferenceAudioError when nothing can read it."""
    errors: list[str] = []
    if isinstance(src, (str, os.PathLike)):
        path = Path(src)
        if not path.exists():
            raise ReferenceAudioError(f"reference audio file not found: {path}")
        if not path.is_file():
            raise ReferenceAudioError(f"reference audio path is not a file: {path}")
        size = path.stat().st_size
        if size == 0:
            raise ReferenceAudioError(f"reference audio file {path.name!r} is empty")
        if size > MAX_FILE_BYTES:
            raise ReferenceAudioError(f"reference audio file {path.name!r} is too large "
                                      f"({size / 1e6:.0f} MB > {MAX_FILE_BYTES / 1e6:.0f} MB)")
        raw = b""
    else:
        if isinstance(src, (bytes, bytearray, memoryview)):
            raw = bytes(src)
        else:
            raw = src.read()
            if not isinstance(raw, (bytes, bytearray)):
                raise ReferenceAudioError("reference audio file object must be opened in binary mode")
        if len(raw) == 0:
            raise ReferenceAudioError("uploaded reference audio is empty (0 bytes)")
        if len(raw) > MAX_FILE_BYTES:
            raise ReferenceAudioError(f"uploaded reference audio is too large ({len(raw) / 1e6:.0f} MB)")
        path = None
    try:
        return _read_soundfile(str(path) if path is not None else io.BytesIO(raw), max_seconds)
    except Exception as exc:  # libsndfile cannot read it; try librosa/audioread
        errors.append(f"soundfile: {type(exc).__name__}: {exc}")
    try:
        if path is not None:
            return _read_librosa(str(path), max_seconds)
        import tempfile

        # audioread needs a real file.
        with tempfile.NamedTemporaryFile(suffix=".audio") as tmp:
            tmp.write(raw)
            tmp.flush()
            return _read_librosa(tmp.name, max_seconds)
    except Exception as exc:
        errors.append(f"librosa: {type(exc).__name__}: {exc}")
    log.info("could not decode %s: %s", _describe(src), "; ".join(errors))
    raise ReferenceAudioError(
        f"could not read {_describe(src)} as audio; supported formats are wav, mp3, flac and ogg "
        f"(is it really an audio file?)")


def load_audio(src: AudioSource, *, target_sr: Optional[int] = None, max_seconds: Optional[float] = 60.0,
               check_silence: bool = True) -> LoadedAudio:
    """Load a clip as float32 mono, resampled to ``target_sr`` (None keeps the file's rate).

    Any DC offset is removed. Clips longer than ``max_seconds`` are cut to their first ``max_seconds`` and a warning is
    returned in ``LoadedAudio.warnings``. Raises ``ReferenceAudioError`` for unreadable data,
    empty or non-finite audio, impossible sample rates and (``check_silence``) silent clips.
    """
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f"max_seconds must be positive, got {max_seconds}")
    warnings_out: list[str] = []
    if isinstance(src, tuple):
        if len(src) != 2:
            raise ReferenceAudioError("in-memory reference audio must be a pair (samples, sample_rate)")
        data, sr = src
        if isinstance(data, int) and not isinstance(sr, int):  # (sr, samples), as gradio gives it
            data, sr = sr, data
        try:
            sr = int(sr)
        except (TypeError, ValueError):
            raise ReferenceAudioError(f"sample rate must be an integer, got {sr!r}") from None
        arr = np.asarray(data)
        if arr.size == 0:
            raise ReferenceAudioError("reference audio array is empty")
        mono, channels = _to_mono(_as_float(arr))
        duration = len(mono) / sr if sr > 0 else None
        trimmed = False
        if sr > 0 and max_seconds is not None and len(mono) > int(round(max_seconds * sr)):
            mono, trimmed = mono[: int(round(max_seconds * sr))], True
    else:
        data, sr, channels, duration, trimmed = _decode(src, max_seconds)
        mono, _ = _to_mono(data)
        if duration is None and not trimmed:
            duration = len(mono) / sr if sr > 0 else None
    if not MIN_SAMPLE_RATE <= sr <= MAX_SAMPLE_RATE:
        raise ReferenceAudioError(f"reference audio sample rate {sr} Hz is outside "
                                  f"{MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz")
    if len(mono) == 0:
        raise ReferenceAudioError(f"{_describe(src)} contains no audio samples")
    mono = np.asarray(mono, dtype=np.float32)
    if not np.all(np.isfinite(mono)):
        raise ReferenceAudioError(f"{_describe(src)} contains invalid (NaN/inf) samples")
    mono = mono - np.float32(mono.mean())  # a DC offset (cheap interfaces) hides the pauses from level-based analyses
    peak = float(np.max(np.abs(mono)))
    if check_silence and peak < SILENCE_PEAK:
        raise ReferenceAudioError(f"{_describe(src)} is silent (peak level {20 * math.log10(peak + 1e-12):.0f} dBFS)")
    if peak > 1.0:
        mono = mono / peak  # float input outside [-1, 1]: normalise rather than clip
    if trimmed:
        total = f"{duration:.1f} s" if duration else "longer than that"
        msg = f"reference audio is {total}; only the first {max_seconds:g} s are used"
        warnings_out.append(msg)
        log.info(msg)
    out_sr = sr if target_sr is None else int(target_sr)
    if out_sr != sr:
        mono = resample(mono, sr, out_sr)
    return LoadedAudio(wav=mono, sample_rate=out_sr, source_sample_rate=sr, source_channels=channels,
                       source_duration_s=duration, trimmed=trimmed, warnings=warnings_out)


__all__ = ["AudioSource", "LoadedAudio", "load_audio", "resample"]
