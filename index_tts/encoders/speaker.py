"""Speaker (voice) embeddings for multi-speaker training, preset voices and zero-shot cloning.

``SpeakerEncoder`` wraps the GE2E d-vector model that ships inside the ``resemblyzer`` PyPI
package (3-layer LSTM over 40-band mels at 16 kHz, 256-dim output, MIT licence). The model is
loaded lazily on first use and held by the encoder instance (no module-level model).

Every clip is validated first (``check_reference``); unusable clips raise
``ReferenceAudioError`` with a message fit for the user: unreadable data, shorter than
0.5 s, silent, or no speech-like voiced frames (noise, a steady tone, most music).

Preset voices live in a bundle's ``config.json``::

    "speakers": {"f1": {"display_name": "女声·温柔", "embedding": [256 floats]}}

``read_presets`` / ``write_presets`` / ``preset_entry`` read and write that mapping.
"""
from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ReferenceAudioError

log = logging.getLogger(__name__)

ENCODER_SAMPLE_RATE = 16000
EMBED_DIM = 256
MIN_SECONDS = 0.5
SILENCE_RMS_DBFS = -60.0
_VAD_FRAME_MS = 30
_PITCH_FRAME_MS = 10.0


@dataclass(frozen=True)
class ReferenceCheck:
    """Measurements of one clip (16 kHz mono) behind ``check_reference``'s verdict."""

    duration_s: float
    rms_dbfs: float  # over the whole clip
    active_ratio: float  # frames within 35 dB of the loudest frame
    speech_ratio: float  # WebRTC VAD speech frames / active frames (NaN when webrtcvad is missing)
    voiced_ratio: float  # frames with a 60-500 Hz pitch / active frames
    pitch_spread_st: float  # std of voiced log-pitch in semitones (0 when < 5 voiced frames)


def _to_mono_float(wav: Any) -> np.ndarray:
    arr = np.asarray(wav)
    if arr.dtype.kind == "i":
        arr = arr.astype(np.float32) / float(np.iinfo(arr.dtype).max + 1)
    arr = np.asarray(arr, dtype=np.float32)
    if arr.ndim == 2:
        arr = arr.mean(axis=1 if arr.shape[0] > arr.shape[1] else 0)
    if arr.ndim != 1:
        raise ReferenceAudioError(f"reference audio must be mono or stereo samples, got shape {arr.shape}")
    return arr


def prepare_wav(wav: Any, sr: int) -> np.ndarray:
    """Mono float32 at 16 kHz; raises ReferenceAudioError on empty / non-finite / bad rate."""
    arr = _to_mono_float(wav)
    if arr.size == 0:
        raise ReferenceAudioError("reference audio is empty")
    if not np.all(np.isfinite(arr)):
        raise ReferenceAudioError("reference audio contains invalid (NaN/inf) samples")
    try:
        sr = int(sr)
    except (TypeError, ValueError):
        raise ReferenceAudioError(f"sample rate must be an integer, got {sr!r}") from None
    if not 4000 <= sr <= 384000:
        raise ReferenceAudioError(f"reference audio sample rate {sr} Hz is not plausible")
    if sr != ENCODER_SAMPLE_RATE:
        from scipy.signal import resample_poly

        g = math.gcd(sr, ENCODER_SAMPLE_RATE)
        arr = resample_poly(arr.astype(np.float64), ENCODER_SAMPLE_RATE // g, sr // g).astype(np.float32)
    return arr


def _frame_rms(wav: np.ndarray, frame: int) -> np.ndarray:
    n = len(wav) // frame
    if n == 0:
        return np.zeros(0)
    return np.sqrt(np.mean(wav[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1))


def _vad_flags(wav16: np.ndarray) -> np.ndarray | None:
    """WebRTC VAD (mode 3) speech flags per 30 ms frame, or None when webrtcvad is missing."""
    try:
        import webrtcvad
    except ImportError:
        return None
    frame = ENCODER_SAMPLE_RATE * _VAD_FRAME_MS // 1000
    n = len(wav16) // frame
    pcm = (np.clip(wav16[: n * frame], -1, 1) * 32767).astype("<i2").tobytes()
    vad = webrtcvad.Vad(3)
    return np.array([vad.is_speech(pcm[i * frame * 2 : (i + 1) * frame * 2], ENCODER_SAMPLE_RATE) for i in range(n)])


def _pitch(wav16: np.ndarray) -> np.ndarray:
    """Per-10 ms f0 in Hz (0 = unvoiced) with WORLD's DIO + StoneMask, limited to 60-500 Hz."""
    import pyworld

    x = wav16.astype(np.float64)
    f0, t = pyworld.dio(x, ENCODER_SAMPLE_RATE, f0_floor=60.0, f0_ceil=500.0, frame_period=_PITCH_FRAME_MS)
    return pyworld.stonemask(x, f0, t, ENCODER_SAMPLE_RATE)


def measure_reference(wav16: np.ndarray) -> ReferenceCheck:
    """Measure a 16 kHz mono clip (no verdict)."""
    dur = len(wav16) / ENCODER_SAMPLE_RATE
    rms = float(np.sqrt(np.mean(wav16.astype(np.float64) ** 2)))
    rms_db = 20 * math.log10(rms + 1e-12)
    hop = int(ENCODER_SAMPLE_RATE * _PITCH_FRAME_MS / 1000)
    frms = _frame_rms(wav16, hop)
    if frms.size == 0 or frms.max() <= 0:
        return ReferenceCheck(dur, rms_db, 0.0, float("nan"), 0.0, 0.0)
    fdb = 20 * np.log10(frms + 1e-12)
    active = fdb > max(fdb.max() - 35.0, SILENCE_RMS_DBFS)
    n_active = max(int(active.sum()), 1)
    f0 = _pitch(wav16)[: len(active)]
    voiced = (f0 > 0) & active[: len(f0)]
    vf0 = f0[voiced]
    spread = float(np.std(12 * np.log2(vf0))) if vf0.size >= 5 else 0.0
    flags = _vad_flags(wav16)
    speech = float("nan")
    if flags is not None and flags.size:
        thr = max(fdb.max() - 35.0, SILENCE_RMS_DBFS)
        act30 = 20 * np.log10(_frame_rms(wav16, ENCODER_SAMPLE_RATE * _VAD_FRAME_MS // 1000) + 1e-12) > thr
        act30 = act30[: len(flags)]
        speech = float((flags[: len(act30)] & act30).sum() / max(int(act30.sum()), 1))
    return ReferenceCheck(dur, rms_db, float(active.mean()), speech, float(voiced.sum() / n_active), spread)


def check_reference(wav: Any, sr: int) -> ReferenceCheck:
    """Validate a reference clip; raise ReferenceAudioError with a user-facing reason."""
    wav16 = prepare_wav(wav, sr)
    dur = len(wav16) / ENCODER_SAMPLE_RATE
    if dur < MIN_SECONDS:
        raise ReferenceAudioError(f"reference audio is too short ({dur:.2f} s); give at least {MIN_SECONDS} s of speech")
    m = measure_reference(wav16)
    if m.rms_dbfs < SILENCE_RMS_DBFS:
        raise ReferenceAudioError(f"reference audio is silent or nearly so ({m.rms_dbfs:.0f} dBFS)")
    if m.voiced_ratio < 0.05:
        raise ReferenceAudioError("no voiced speech found in the reference audio (only noise or music?)")
    if not math.isnan(m.speech_ratio) and m.speech_ratio < 0.2:
        raise ReferenceAudioError("no speech detected in the reference audio (noise or music?)")
    if m.voiced_ratio > 0.9 and m.pitch_spread_st < 0.5 and dur > 1.0:
        raise ReferenceAudioError("the reference audio is a steady tone, not speech")
    return m


def _trim_pauses(wav16: np.ndarray) -> np.ndarray:
    """Drop long low-energy stretches (> 0.3 s) so pauses do not dilute the embedding."""
    frame = ENCODER_SAMPLE_RATE // 100
    frms = _frame_rms(wav16, frame)
    if frms.size == 0:
        return wav16
    fdb = 20 * np.log10(frms + 1e-12)
    keep = fdb > fdb.max() - 40.0
    # Dilate kept frames by 15 frames on each side (0.15 s).
    k = np.convolve(keep.astype(np.int32), np.ones(31, dtype=np.int32), mode="same") > 0
    mask = np.repeat(k, frame)
    out = wav16[: len(mask)][mask]
    return out if out.size >= ENCODER_SAMPLE_RATE // 2 else wav16


class SpeakerEncoder:
    """Utterance-level voice embeddings (256-dim, L2-normalised) from Resemblyzer's GE2E model."""

    dim = EMBED_DIM
    sample_rate = ENCODER_SAMPLE_RATE

    def __init__(self, device: str = "cpu", weights_path: str | Path | None = None) -> None:
        self.device = device
        self.weights_path = weights_path
        self._model = None

    @staticmethod
    def available() -> bool:
        import importlib.util

        return importlib.util.find_spec("resemblyzer") is not None

    def _get_model(self):
        if self._model is None:
            try:
                from resemblyzer import VoiceEncoder
            except ImportError as exc:
                raise RuntimeError(
                    f"speaker encoder unavailable ({exc}); pip install resemblyzer 'setuptools<81'"
                ) from exc
            kw = {} if self.weights_path is None else {"weights_fpath": Path(self.weights_path)}
            self._model = VoiceEncoder(device=self.device, verbose=False, **kw)
            self._model.eval()
            log.info("loaded speaker encoder (resemblyzer GE2E) on %s", self.device)
        return self._model

    def embed(self, wav: Any, sr: int, validate: bool = True) -> np.ndarray:
        """One clip -> float32 [256], unit L2 norm. Raises ReferenceAudioError on bad audio."""
        if validate:
            check_reference(wav, sr)
        wav16 = prepare_wav(wav, sr)
        if len(wav16) < ENCODER_SAMPLE_RATE * MIN_SECONDS:
            raise ReferenceAudioError(f"reference audio is too short ({len(wav16) / ENCODER_SAMPLE_RATE:.2f} s)")
        x = _trim_pauses(wav16)
        rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
        if rms > 0:  # bring quiet clips up to -30 dBFS (louder ones are left alone)
            x = x * max(1.0, 10 ** (-30 / 20) / rms)
        import torch

        with torch.inference_mode():
            emb = np.asarray(self._get_model().embed_utterance(x.astype(np.float32)), dtype=np.float32)
        return l2_normalize(emb)

    def embed_file(self, source: Any, validate: bool = True) -> np.ndarray:
        """A path, bytes or (wav, sr): read with index_tts.audio.io.load_audio, then ``embed``."""
        from ..audio.io import load_audio

        loaded = load_audio(source, target_sr=ENCODER_SAMPLE_RATE, max_seconds=60.0)
        return self.embed(loaded.wav, loaded.sample_rate, validate=validate)

    def embed_many(self, clips: Iterable[tuple[Any, int]], validate: bool = True) -> np.ndarray:
        """[(wav, sr), ...] -> [K, 256] (one row per clip)."""
        rows = [self.embed(w, sr, validate=validate) for w, sr in clips]
        if not rows:
            raise ValueError("embed_many needs at least one clip")
        return np.stack(rows)

    def embed_speaker(self, clips: Iterable[tuple[Any, int]], validate: bool = True) -> np.ndarray:
        """Mean of the clips' embeddings, re-normalised: one vector for a voice."""
        return mean_embedding(self.embed_many(clips, validate=validate))

    @staticmethod
    def similarity(a: np.ndarray, b: np.ndarray) -> float:
        """Cosine similarity in [-1, 1]."""
        a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
        if a.shape != b.shape:
            raise ValueError(f"embeddings differ in size: {a.shape} vs {b.shape}")
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def l2_normalize(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = float(np.linalg.norm(v))
    if not np.isfinite(n) or n == 0:
        raise ValueError("cannot normalise a zero or non-finite embedding")
    return (v / n).astype(np.float32)


def mean_embedding(rows: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    arr = np.asarray(rows, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"mean_embedding expects [K, D] with K >= 1, got {arr.shape}")
    return l2_normalize(arr.mean(axis=0))


# --------------------------------------------------------------------------- presets
@dataclass(frozen=True)
class PresetVoice:
    id: str
    display_name: str
    embedding: np.ndarray  # float32 [D]


def preset_entry(display_name: str, embedding: np.ndarray, **extra: Any) -> dict:
    """The JSON value stored under ``speakers[id]`` (embedding rounded to 6 decimals)."""
    emb = np.asarray(embedding, dtype=np.float32).ravel()
    if emb.size == 0 or not np.all(np.isfinite(emb)):
        raise ValueError("preset embedding must be a non-empty finite vector")
    if not isinstance(display_name, str) or not display_name.strip():
        raise ValueError("preset display_name must be a non-empty string")
    return {"display_name": display_name, "embedding": [round(float(x), 6) for x in emb], **extra}


def read_presets(config: Mapping[str, Any], dim: int | None = None) -> dict[str, PresetVoice]:
    """``speakers`` of a bundle config dict -> {id: PresetVoice}; entries without an embedding are skipped."""
    out: dict[str, PresetVoice] = {}
    for sid, entry in (config.get("speakers") or {}).items():
        if not isinstance(entry, Mapping) or entry.get("embedding") is None:
            continue
        emb = np.asarray(entry["embedding"], dtype=np.float32)
        if emb.ndim != 1 or (dim is not None and emb.shape[0] != dim):
            raise ValueError(f"speaker {sid!r}: embedding must be a vector of {dim or 'D'} values, got {emb.shape}")
        out[str(sid)] = PresetVoice(str(sid), str(entry.get("display_name") or sid), emb)
    return out


def write_presets(bundle_dir: str | Path, presets: Mapping[str, PresetVoice], replace: bool = False) -> Path:
    """Add (or with ``replace`` set exactly) the presets in ``<bundle>/config.json``.

    The caller re-writes the bundle's manifest (``index_tts.hub.write_manifest``) afterwards.
    """
    path = Path(bundle_dir) / "config.json"
    cfg = json.loads(path.read_text(encoding="utf-8"))
    speakers = {} if replace else dict(cfg.get("speakers") or {})
    for sid, p in presets.items():
        speakers[sid] = preset_entry(p.display_name, p.embedding)
    cfg["speakers"] = speakers
    path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
