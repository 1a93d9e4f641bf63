"""ONNX Runtime versions of a bundle's acoustic model and vocoder, with the PyTorch interface.

``OnnxAcoustic.infer`` takes the same arguments as ``FastSpeech2.infer`` and returns the same
``AcousticOutput``; the prosody controls, the seeded variance-dropout masks, the frame index
and the mel gain / spectral tilt are computed by the very functions the PyTorch path uses, so
only the network layers run in ONNX Runtime. ``OnnxVocoder.infer`` maps a mel to a waveform.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

from .export import INFO, ONNX_DIR, weights_digest

log = logging.getLogger(__name__)


class OnnxGraphsMissing(FileNotFoundError):
    """The bundle has no (current) ONNX export."""


def _session(path: Path, threads: Optional[int]):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(threads or torch.get_num_threads())
    opts.inter_op_num_threads = 1
    # Spinning worker threads burn the cores the rest of the pipeline (and other requests) need;
    # on a 2-core machine they made every run slower.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
    return ort.InferenceSession(str(path), sess_options=opts, providers=providers)


def read_info(bundle_dir: Path) -> dict[str, Any]:
    """The bundle's ONNX export description; raises OnnxGraphsMissing if absent or stale."""
    path = bundle_dir / ONNX_DIR / INFO
    if not path.is_file():
        raise OnnxGraphsMissing(f"{bundle_dir.name} has no ONNX export; run: python -m index_tts export-onnx "
                                f"--bundle {bundle_dir}")
    info = json.loads(path.read_text(encoding="utf-8"))
    if info.get("weights_sha256") != weights_digest(bundle_dir):
        raise OnnxGraphsMissing(f"the ONNX export of {bundle_dir.name} is older than its weights; run: "
                                f"python -m index_tts export-onnx --bundle {bundle_dir}")
    from ..hub import sha256_file

    for name, digest in (info.get("files_sha256") or {}).items():
        f = bundle_dir / ONNX_DIR / name
        if not f.is_file() or sha256_file(f) != digest:
            raise OnnxGraphsMissing(f"{ONNX_DIR}/{name} of {bundle_dir.name} is missing or changed; run: "
                                    f"python -m index_tts export-onnx --bundle {bundle_dir}")
    return info


class OnnxAcoustic:
    """Drop-in for ``FastSpeech2`` at inference (``cfg``, ``mel_config``, ``infer``)."""

    def __init__(self, bundle_dir: Path, torch_model: Any, threads: Optional[int] = None,
                 info: Optional[dict[str, Any]] = None) -> None:
        info = info or read_info(bundle_dir)
        root = bundle_dir / ONNX_DIR
        self.cfg = torch_model.cfg
        self.mel_config = torch_model.mel_config
        self.energy_mel_share = torch_model.energy_mel_share
        self.encoder_inputs = list(info["encoder_inputs"])
        self.encoder = _session(root / info["encoder"], threads)
        self.decoder = _session(root / info["decoder"], threads)

    def eval(self) -> "OnnxAcoustic":
        return self

    def infer(self, ids, control=None, speaker=None, emotion=None, variance_dropout: bool = False,
              generator: Optional[torch.Generator] = None, ids_lens=None) -> Any:
        from ..acoustic.model import AcousticOutput
        from ..acoustic.length_regulator import frame_index
        from ..acoustic.tilt import apply_frame_gain, apply_spectral_tilt
        from ..acoustic.variance import (_control_array, check_control, controlled_durations, controlled_energy,
                                         controlled_f0)

        check_control(control)
        ids = torch.as_tensor(ids)
        if ids.dim() == 1:
            ids = ids.unsqueeze(0)
        if ids.shape[0] != 1 or ids_lens is not None:
            raise ValueError("the ONNX backend synthesizes one item at a time")
        feeds = {"ids": ids.cpu().numpy().astype(np.int64)}
        for name, vec, dim in (("speaker", speaker, self.cfg.speaker_embed_dim),
                               ("emotion", emotion, self.cfg.emotion_dim)):
            if name in self.encoder_inputs:
                v = np.zeros((1, dim), np.float32) if vec is None else np.asarray(
                    torch.as_tensor(vec, dtype=torch.float32).reshape(1, dim).cpu())
                feeds[name] = v
            elif vec is not None:
                raise ValueError(f"this model has no {name} conditioning but a {name} vector was given")
        hidden, log_dur, f0_pred, energy_pred = (torch.from_numpy(a) for a in self.encoder.run(None, feeds))
        mask = torch.ones_like(log_dur)
        durations = controlled_durations(log_dur, mask, self.cfg, control)
        f0 = controlled_f0(f0_pred, mask, durations.to(f0_pred.dtype), self.cfg, control)
        energy = controlled_energy(energy_pred, mask, self.cfg, control)
        shape = hidden.shape
        ones = torch.ones(shape)
        f0_keep = energy_keep = ones
        p = float(self.cfg.variance_embed_dropout)
        if variance_dropout and p > 0.0:  # same draws, same order as VarianceAdaptor (energy first)
            scale = 1.0 / (1.0 - p) if p < 1.0 else 0.0
            energy_keep = (torch.rand(shape, generator=generator) >= p).float() * scale
            f0_keep = (torch.rand(shape, generator=generator) >= p).float() * scale
        idx, mel_mask = frame_index(durations)
        limit = self.cfg.max_positions - 1
        if idx.shape[1] > limit:
            from ..acoustic.model import SequenceTooLongError

            raise SequenceTooLongError(f"{idx.shape[1]} mel frames exceed the model's position table ({limit})")
        mel = torch.from_numpy(self.decoder.run(None, {
            "hidden": hidden.numpy(), "f0": f0.numpy().astype(np.float32), "energy": energy.numpy().astype(np.float32),
            "f0_keep": f0_keep.numpy(), "energy_keep": energy_keep.numpy(),
            "frame_index": idx[0].numpy().astype(np.int64),
        })[0])
        if control is not None and float(control.spectral_tilt_db) != 0.0:
            mel = apply_spectral_tilt(mel, float(control.spectral_tilt_db), self.mel_config)
        if control is not None and control.energy_db is not None and self.energy_mel_share:
            db = _control_array(control.energy_db, energy, "energy_db").expand_as(energy)
            if bool(torch.any(db != 0)):
                mel = apply_frame_gain(mel, db * self.energy_mel_share, durations, self.mel_config)
        return AcousticOutput(mel, durations, f0, energy, mel_mask.sum(dim=1))


class OnnxVocoder:
    """Drop-in for a vocoder module at inference (``infer(mel) -> wav [1, T * hop]``)."""

    def __init__(self, bundle_dir: Path, name: str, torch_vocoder: Any, threads: Optional[int] = None,
                 info: Optional[dict[str, Any]] = None) -> None:
        info = info or read_info(bundle_dir)
        if name not in info["vocoders"]:
            raise OnnxGraphsMissing(f"the ONNX export of {bundle_dir.name} has no vocoder {name!r}")
        self.session = _session(bundle_dir / ONNX_DIR / info["vocoders"][name], threads)
        self.hop_length = int(torch_vocoder.hop_length)
        self.n_mels = int(torch_vocoder.n_mels)
        # A graph traced on a normal-length mel has no branch for mels shorter than the
        # vocoder's reflection pads: extend those by repetition here, as the module does.
        self.min_frames = int(getattr(torch_vocoder, "min_frames", 1))

    def eval(self) -> "OnnxVocoder":
        return self

    def infer(self, mel) -> torch.Tensor:
        m = np.asarray(torch.as_tensor(mel, dtype=torch.float32).cpu())
        if m.ndim == 2:
            m = m[None]
        t = m.shape[2]
        if t < self.min_frames:
            m = np.concatenate([m, np.repeat(m[:, :, -1:], self.min_frames - t, axis=2)], axis=2)
        wav = self.session.run(None, {"mel": np.ascontiguousarray(m, dtype=np.float32)})[0]
        return torch.from_numpy(wav[:, : t * self.hop_length].astype(np.float32))


def load_onnx(bundle_dir: Path, torch_model: Any, vocoder_name: str, torch_vocoder: Any, *, export_if_missing: bool = True,
              threads: Optional[int] = None) -> tuple[OnnxAcoustic, OnnxVocoder]:
    """ONNX acoustic model + vocoder for a loaded bundle, exporting the graphs first if needed."""
    try:
        info = read_info(bundle_dir)
    except OnnxGraphsMissing:
        if not export_if_missing or not os.access(bundle_dir, os.W_OK):
            raise
        from .export import export_bundle

        log.info("no current ONNX export in %s: exporting now (once)", bundle_dir)
        export_bundle(bundle_dir)
        info = read_info(bundle_dir)
    # read (and hashed) once: both networks come from the same checked export
    return (OnnxAcoustic(bundle_dir, torch_model, threads, info),
            OnnxVocoder(bundle_dir, vocoder_name, torch_vocoder, threads, info))
