"""The Synthesizer's view of the multi-voice student (``cache_hub/student-zh``).

The student is a FastSpeech2 on the default voice's mel grid (same frontend symbols, same
MelConfig), with its own vocoder (the default voice's MB-MelGAN fine-tuned on the teachers'
speech: the original one breaks low male voices). It is loaded on first use.

- its presets are listed with ids distinct from the Kokoro teachers' (``yunxi``, not
  ``zm_yunxi``) and display names marked ``（学生）``;
- ``voice="clone"`` with a reference clip conditions it on the clip's GE2E embedding
  (zero-shot cloning) and maps its frames' spectral envelope onto the clip's (``encoders/timbre``,
  fitted once per clip); :meth:`StudentVoices.nearest` says which preset that clip is closest to.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

import numpy as np

log = logging.getLogger(__name__)

BUNDLE_NAME = "student-zh"
CLONE = "clone"
# what a person choosing a vocoder needs to know (figures: docs/VOICES.md, 2-core CPU)
VOCODER_NOTES = {
    "adapted_hifigan": {"display_name": "HiFi-GAN（通用，音质优先）",
                        "description": "universal HiFi-GAN behind a fitted mel adapter: keeps every voice's "
                                       "pitch and timbre; vocoder ~0.3 CPU-s per audio-s"},
    "mbmelgan": {"display_name": "MB-MelGAN（快速）",
                 "description": "the default voice's multi-band MelGAN fine-tuned on the teachers: ~10x "
                                "faster, but renders low male voices ~40 Hz too high"},
}


def find_bundle(name: str = BUNDLE_NAME) -> Optional[Path]:
    from ..hub import hub_dir

    path = hub_dir() / name
    return path if (path / "config.json").is_file() else None


class StudentVoices:
    """Lazy: ``describe()`` reads only config.json; the weights load on the first request."""

    def __init__(self, mel_config, symbols: list[str], device: str = "cpu", name: str = BUNDLE_NAME) -> None:
        self.mel_config = mel_config
        self.symbols = list(symbols)
        self.device = device
        self.name = name
        self._config: Optional[dict] = None
        self._bundle = None
        self._runners: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._timbres: dict[str, Any] = {}  # clip + embedding -> TimbreMap (or None), newest last
        self._local = threading.local()  # .capture: mels recorded while a clone's timbre is calibrated
        self.timbre_config = None  # a TimbreConfig overriding the bundle's ``clone_timbre`` (measurements)

    # ----------------------------------------------------------------- listing
    def _cfg(self) -> dict:
        if self._config is None:
            folder = find_bundle(self.name)
            if folder is None:
                return {}
            cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            if list(cfg.get("symbols", [])) != self.symbols:
                log.warning("%s uses another symbol table than the default voice; not offered", folder)
                return {}
            from ..audio.mel_config import MelConfig

            if not MelConfig.from_dict(cfg["mel"]).same_features(self.mel_config):
                log.warning("%s uses another mel configuration than the default voice; not offered", folder)
                return {}
            cfg["_path"] = str(folder)
            self._config = cfg
        return self._config

    def speakers(self) -> dict[str, dict]:
        return dict(self._cfg().get("speakers") or {})

    def available(self) -> bool:
        return bool(self.speakers())

    def has(self, voice: Optional[str]) -> bool:
        return bool(voice) and (voice in self.speakers() or (voice == CLONE and self.available()))

    def describe(self) -> list[dict[str, Any]]:
        out = []
        # the named voices first; the training blends (``mix_*``, kept for speaker diversity) after them
        for sid, entry in sorted(self.speakers().items(), key=lambda kv: kv[0].startswith("mix_")):
            out.append({"id": sid, "display_name": entry.get("display_name", sid), "engine": "student",
                        "description": "Multi-voice student model of this project (FastSpeech2 fine-tuned on CPU "
                                       "from Kokoro teacher voices); every control works."})
        if out:
            out.append({"id": CLONE, "display_name": "克隆参考音色（学生）", "engine": "student",
                        "description": "The student model conditioned on the reference clip's voice (zero-shot)."})
        return out

    # ----------------------------------------------------------------- inference
    def vocoders(self) -> list[dict[str, Any]]:
        """The student bundle's vocoders, default first: ``{"id", "display_name", "description", "default"}``."""
        cfg = self._cfg()
        names = list(cfg.get("vocoders") or {})
        default = cfg.get("default_vocoder")
        names.sort(key=lambda n: n != default)
        return [{"id": n, **VOCODER_NOTES.get(cfg["vocoders"][n].get("type", ""), {"display_name": n}),
                 "default": n == default} for n in names]

    def runner(self, vocoder: Optional[str] = None, clone: Optional[tuple] = None):
        """The student's acoustic model with one of its vocoders (float32) as a TorchRunner, loaded
        once on the synthesizer's device; ``vocoder`` None or not in the bundle: its default.
        The vocoders are the bundle's own (for its voices), not the default voice's.
        ``clone=(reference_audio, speaker_vector, reference_strength, say, timbre_strength)``: wrapped
        to map every mel onto the clip's timbre (:meth:`clone_timbre`), ``timbre_strength`` (0–1) of
        the way (the request's own setting; the fitted map is shared by every strength)."""
        base = self._runner(vocoder)
        if clone is None:
            return base
        from ..encoders.timbre import CaptureRunner, TimbreRunner

        capture = getattr(self._local, "capture", None)
        if capture is not None:  # the calibration reading of clone_timbre: record its mels, vocode nothing
            return CaptureRunner(base, capture, self.mel_config.hop_length)
        reference_audio, speaker, reference_strength, say, amount = clone
        if float(amount) == 0.0:
            return base
        timbre = self.clone_timbre(reference_audio, speaker, reference_strength, say)
        if timbre is None:
            return base
        return TimbreRunner(base, replace(timbre, strength=timbre.strength * float(amount)))

    def clone_timbre(self, reference_audio, speaker: np.ndarray, reference_strength: float, say):
        """The clip's timbre map (``encoders/timbre``; None: switched off, too little speech, too noisy),
        fitted once per clip (its embedding) and reference strength. The model side is the clone
        reading the calibration text as a request would have it read (``say(text, voice, **kw)``:
        the clip's prosody imitated, no emotion, default sliders), its mels recorded, not vocoded."""
        import hashlib

        from ..audio.io import load_audio
        from ..audio.mel import mel_spectrogram
        from ..encoders.timbre import CALIBRATION_TEXT, TimbreConfig, fit_timbre_map

        cfg = self.timbre_config or TimbreConfig.from_dict(self._cfg().get("clone_timbre") or {})
        if cfg.strength == 0.0:
            return None
        spk = np.asarray(speaker, np.float32)  # the clip's GE2E embedding: it names the clip
        key = hashlib.sha1(spk.tobytes() + repr((cfg, float(reference_strength))).encode()).hexdigest()
        if key not in self._timbres:  # the clip is decoded (again, at 24 kHz) only to fit
            clip = load_audio(reference_audio, target_sr=self.mel_config.sample_rate, max_seconds=60.0).wav
            self._local.capture = own = []
            try:
                say(CALIBRATION_TEXT, CLONE, reference_audio=reference_audio, reference_strength=reference_strength)
            finally:
                self._local.capture = None
            fitted = fit_timbre_map(np.concatenate(own, axis=1), mel_spectrogram(clip, self.mel_config).numpy(),
                                    self.mel_config, cfg)
            if fitted is None:
                log.warning("reference clip too short or too noisy for a timbre map; the clone uses its embedding only")
            with self._lock:
                self._timbres[key] = fitted
                while len(self._timbres) > 16:
                    self._timbres.pop(next(iter(self._timbres)))
        return self._timbres.get(key)

    def _runner(self, vocoder: Optional[str] = None):
        with self._lock:
            if self._bundle is None:
                from ..bundle import load_bundle

                self._bundle = load_bundle(self._cfg()["_path"], device=self.device)
            name = vocoder if vocoder in self._bundle.vocoders else self._bundle.default_vocoder
            if name not in self._runners:
                from .torch_runner import TorchRunner

                self._runners[name] = TorchRunner(self._bundle.acoustic.eval(), self._bundle.vocoders[name].eval(),
                                                  self.device)
            return self._runners[name]

    def speaker_vector(self, voice: str, reference_embedding: Optional[np.ndarray] = None) -> np.ndarray:
        """The voice's speaker embedding (float32 [D]); ``clone``: the reference clip's."""
        if voice == CLONE:
            if reference_embedding is None:
                raise ValueError("voice 'clone' needs a reference clip (reference_audio)")
            return np.asarray(reference_embedding, np.float32).reshape(-1)
        return np.asarray(self.speakers()[voice]["embedding"], dtype=np.float32)

    def f0_range(self, voice: Optional[str]) -> Optional[tuple[float, float]]:
        """A preset's pitch range in Hz (``f0_range_hz`` in its entry: 1st-99th percentile of its
        training audio), or None; a clone takes its nearest preset's (``Synthesizer._prepare``)."""
        entry = self.speakers().get(voice or "") or {}
        r = entry.get("f0_range_hz")
        return None if not r else (float(r[0]), float(r[1]))

    def nearest(self, embedding: np.ndarray) -> tuple[str, float]:
        """The preset whose embedding is closest (cosine) to ``embedding``."""
        from ..encoders.speaker import SpeakerEncoder

        best, score = "", -2.0
        for sid, entry in self.speakers().items():
            s = SpeakerEncoder.similarity(embedding, np.asarray(entry["embedding"], np.float32))
            if s > score:
                best, score = sid, s
        return best, score
