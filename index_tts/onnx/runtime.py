"""The ONNX Runtime backend: a bundle's exported graphs run without PyTorch.

``OnnxAcoustic.infer`` takes the arguments of ``FastSpeech2.infer`` and gives numpy arrays.
The prosody controls, the frame index and the mel gain / spectral tilt are computed by
``acoustic/prosody_math.py``, the very functions the PyTorch model calls, and the seeded
variance-dropout masks are drawn by ``utils/rng.TorchRandom`` exactly as ``torch.rand`` draws
them, so only the network layers differ between the backends. ``OnnxVocoder.infer`` maps a
mel to a waveform. ``OnnxRunner`` is the Synthesizer's interface to both (the PyTorch twin:
``engines/torch_runner.TorchRunner``). Nothing here imports torch: an ``--api-only`` server on
this backend never loads it (a missing export is written by a child process).
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..acoustic import prosody_math as pm
from ..acoustic.config import SequenceTooLongError
from ..utils.rng import TorchRandom

log = logging.getLogger(__name__)

# Kept in step with onnx/export.py (which needs torch to write the graphs).
ONNX_DIR = "onnx"
INFO = "onnx.json"
FORMAT_VERSION = 2  # 2: onnx.json describes the vocoders (hop, n_mels, min_frames)
THREADS_ENV = "INDEX_TTS_THREADS"


class OnnxGraphsMissing(FileNotFoundError):
    """The bundle has no (current) ONNX export."""


def default_threads() -> int:
    """CPU threads for ONNX Runtime: ``INDEX_TTS_THREADS`` or the cores this process may use."""
    env = os.environ.get(THREADS_ENV, "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _session(path: Path, threads: Optional[int]):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(threads or default_threads())
    opts.inter_op_num_threads = 1
    # Spinning worker threads burn the cores the rest of the pipeline (and other requests) need;
    # on a 2-core machine they made every run slower.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
    return ort.InferenceSession(str(path), sess_options=opts, providers=providers)


def weights_digest(bundle_dir: Path) -> dict[str, str]:
    """sha256 of the weight files the graphs are made from (from the bundle manifest)."""
    files = json.loads((bundle_dir / "manifest.json").read_text(encoding="utf-8"))["files"]
    return {k: v for k, v in files.items() if k.endswith(".safetensors")}


def read_info(bundle_dir: Path) -> dict[str, Any]:
    """The bundle's ONNX export description; raises OnnxGraphsMissing if absent or stale."""
    hint = f"run: python -m index_tts export-onnx --bundle {bundle_dir}"
    path = bundle_dir / ONNX_DIR / INFO
    if not path.is_file():
        raise OnnxGraphsMissing(f"{bundle_dir.name} has no ONNX export; {hint}")
    info = json.loads(path.read_text(encoding="utf-8"))
    if int(info.get("format_version", 1)) < FORMAT_VERSION:
        raise OnnxGraphsMissing(f"the ONNX export of {bundle_dir.name} is of an older format; {hint}")
    if info.get("weights_sha256") != weights_digest(bundle_dir):
        raise OnnxGraphsMissing(f"the ONNX export of {bundle_dir.name} is older than its weights; {hint}")
    from ..hub import sha256_file

    for name, digest in (info.get("files_sha256") or {}).items():
        f = bundle_dir / ONNX_DIR / name
        if not f.is_file() or sha256_file(f) != digest:
            raise OnnxGraphsMissing(f"{ONNX_DIR}/{name} of {bundle_dir.name} is missing or changed; {hint}")
    return info


def _array(value: Any, dtype: Any) -> np.ndarray:
    """numpy view of an array-like (a CPU torch tensor included) without importing torch."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=dtype)


@dataclass
class AcousticArrays:
    mel: np.ndarray  # [1, n_mels, T] float32
    durations: np.ndarray  # [1, N] int64 frames
    f0: np.ndarray  # [1, N] normalised f0 used
    energy: np.ndarray  # [1, N] normalised energy used


class OnnxAcoustic:
    """The acoustic model's two graphs (encoder + predictors, decoder) and the controls between them."""

    def __init__(self, bundle_dir: Path, cfg: Any, mel_config: Any, threads: Optional[int] = None,
                 info: Optional[dict[str, Any]] = None) -> None:
        info = info or read_info(bundle_dir)
        root = bundle_dir / ONNX_DIR
        self.cfg = cfg
        self.mel_config = mel_config
        self.energy_mel_share = float(getattr(cfg, "energy_mel_share", pm.ENERGY_MEL_SHARE))
        self.encoder_inputs = list(info["encoder_inputs"])
        self.encoder = _session(root / info["encoder"], threads)
        self.decoder = _session(root / info["decoder"], threads)

    def eval(self) -> "OnnxAcoustic":
        return self

    def _conditioning(self, name: str, vec: Any, dim: int) -> Optional[np.ndarray]:
        if name in self.encoder_inputs:
            return np.zeros((1, dim), np.float32) if vec is None else _array(vec, np.float32).reshape(1, dim)
        if vec is not None:
            raise ValueError(f"this model has no {name} conditioning but a {name} vector was given")
        return None

    def infer(self, ids: Any, control: Any = None, speaker: Any = None, emotion: Any = None,
              variance_dropout: bool = False, generator: Optional[TorchRandom] = None,
              ids_lens: Any = None) -> AcousticArrays:
        pm.check_control(control)
        ids = _array(ids, np.int64)
        if ids.ndim == 1:
            ids = ids[None]
        if ids.shape[0] != 1 or ids_lens is not None:
            raise ValueError("the ONNX backend synthesizes one item at a time")
        feeds = {"ids": ids}
        for name, vec, dim in (("speaker", speaker, self.cfg.speaker_embed_dim),
                               ("emotion", emotion, self.cfg.emotion_dim)):
            v = self._conditioning(name, vec, dim)
            if v is not None:
                feeds[name] = v
        hidden, log_dur, f0_pred, energy_pred = self.encoder.run(None, feeds)
        mask = np.ones_like(log_dur, dtype=np.float32)
        durations = pm.controlled_durations(log_dur, mask, self.cfg, control)
        f0 = pm.controlled_f0(f0_pred, mask, durations.astype(np.float32), self.cfg, control)
        energy = pm.controlled_energy(energy_pred, mask, self.cfg, control)
        ones = np.ones(hidden.shape, np.float32)
        f0_keep = energy_keep = ones
        p = float(self.cfg.variance_embed_dropout)
        if variance_dropout and p > 0.0:  # same draws, same order as VarianceAdaptor (energy first)
            rng = generator if generator is not None else TorchRandom()
            scale = np.float32(1.0 / (1.0 - p) if p < 1.0 else 0.0)
            energy_keep = (rng.rand(hidden.shape) >= p).astype(np.float32) * scale
            f0_keep = (rng.rand(hidden.shape) >= p).astype(np.float32) * scale
        idx = pm.frame_index(durations[0])
        limit = self.cfg.max_positions - 1
        if idx.shape[0] > limit:
            raise SequenceTooLongError(f"{idx.shape[0]} mel frames exceed the model's position table ({limit})")
        mel = self.decoder.run(None, {"hidden": hidden, "f0": f0, "energy": energy, "f0_keep": f0_keep,
                                      "energy_keep": energy_keep, "frame_index": idx})[0]
        if control is not None and float(control.spectral_tilt_db) != 0.0:
            offset = pm.spectral_tilt_offset(self.mel_config, float(control.spectral_tilt_db))
            mel = mel + offset.astype(mel.dtype)[None, :, None]
        boost = bool(getattr(self.cfg, "energy_boost_via_mel", False))
        if control is not None and control.energy_db is not None and (self.energy_mel_share or boost):
            db = np.broadcast_to(pm.control_array(control.energy_db, energy.shape, "energy_db"), energy.shape)
            if np.any(db != 0):
                gain = pm.frame_gain_db(pm.mel_gain_db(db, np.float32(self.energy_mel_share), boost).astype(np.float32),
                                        durations, mel.shape[2])
                scale = pm.per_bin_scale(self.mel_config).astype(mel.dtype)
                mel = mel + (gain / np.float32(20.0))[:, None, :] * scale[None, :, None]
        return AcousticArrays(mel.astype(np.float32), durations, f0, energy)


class OnnxVocoder:
    """A vocoder graph: ``infer(mel [1, n_mels, T]) -> wav [1, T * hop]`` (numpy)."""

    def __init__(self, bundle_dir: Path, name: str, threads: Optional[int] = None,
                 info: Optional[dict[str, Any]] = None) -> None:
        info = info or read_info(bundle_dir)
        if name not in info["vocoders"]:
            raise OnnxGraphsMissing(f"the ONNX export of {bundle_dir.name} has no vocoder {name!r}")
        meta = info["vocoder_meta"][name]
        self.session = _session(bundle_dir / ONNX_DIR / info["vocoders"][name], threads)
        self.hop_length = int(meta["hop_length"])
        self.n_mels = int(meta["n_mels"])
        # A graph traced on a normal-length mel has no branch for mels shorter than the
        # vocoder's reflection pads: extend those by repetition here, as the module does.
        self.min_frames = int(meta.get("min_frames", 1))

    def eval(self) -> "OnnxVocoder":
        return self

    def infer(self, mel: Any) -> np.ndarray:
        m = _array(mel, np.float32)
        if m.ndim == 2:
            m = m[None]
        t = m.shape[2]
        if t < self.min_frames:
            m = np.concatenate([m, np.repeat(m[:, :, -1:], self.min_frames - t, axis=2)], axis=2)
        wav = self.session.run(None, {"mel": np.ascontiguousarray(m)})[0]
        return wav[:, : t * self.hop_length].astype(np.float32)


class OnnxRunner:
    """One voice's networks on ONNX Runtime, as the Synthesizer drives them (see TorchRunner)."""

    backend = "onnx"

    def __init__(self, acoustic: OnnxAcoustic, vocoder: OnnxVocoder) -> None:
        self.acoustic = acoustic
        self.vocoder = vocoder

    @staticmethod
    def generator(seed: Optional[int]) -> Optional[TorchRandom]:
        return None if seed is None else TorchRandom(seed)

    def mel(self, ids: list[int], control: Any, speaker: Optional[np.ndarray], emotion: Optional[np.ndarray],
            dropout: bool, generator: Any) -> tuple[np.ndarray, np.ndarray]:
        out = self.acoustic.infer(np.asarray([ids], np.int64), control=control, speaker=speaker, emotion=emotion,
                                  variance_dropout=dropout, generator=generator)
        return out.mel, out.durations[0]

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        return self.vocoder.infer(mel)[0]


def export_in_child(bundle_dir: Path, timeout_s: float = 900.0) -> None:
    """Write the bundle's ONNX graphs with ``python -m index_tts export-onnx`` in a child process
    (exporting needs PyTorch; this process stays free of it)."""
    log.info("no current ONNX export in %s: exporting now (once, in a child process)", bundle_dir)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "index_tts", "export-onnx", "--bundle", str(bundle_dir)],
                          capture_output=True, text=True, timeout=timeout_s)
    if proc.returncode != 0:
        raise OnnxGraphsMissing(f"exporting ONNX graphs for {bundle_dir.name} failed: {proc.stderr.strip()[-600:]}")
    log.info("ONNX export of %s took %.1f s", bundle_dir.name, time.perf_counter() - t0)


def load_onnx_runner(bundle_dir: Path, cfg: Any, mel_config: Any, vocoder_name: str, *,
                     export_if_missing: bool = True, threads: Optional[int] = None) -> OnnxRunner:
    """The ONNX runner of a bundle (its spec: ``cfg``, ``mel_config``), exporting the graphs first if needed."""
    try:
        info = read_info(bundle_dir)
    except OnnxGraphsMissing:
        if not export_if_missing or not os.access(bundle_dir, os.W_OK):
            raise
        export_in_child(bundle_dir)
        info = read_info(bundle_dir)
    # read (and hashed) once: both networks come from the same checked export
    return OnnxRunner(OnnxAcoustic(bundle_dir, cfg, mel_config, threads, info),
                      OnnxVocoder(bundle_dir, vocoder_name, threads, info))
