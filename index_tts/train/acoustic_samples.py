"""Validation samples of an acoustic training run: synthesize ``val_texts`` with the current
model, vocode them with the source bundle's vocoder when there is one (else save the mel),
and write them under ``<out>/samples/step_<N>/``."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

log = logging.getLogger(__name__)


def load_bundle_vocoder(bundle_dir: Path, device: torch.device):
    """The default vocoder of a bundle (None, with a warning, when it cannot be loaded)."""
    from ..bundle import load_bundle

    try:
        return load_bundle(bundle_dir, device=str(device)).vocoder()
    except Exception as exc:  # samples are a convenience; training goes on without them
        log.warning("cannot load a vocoder from %s (%s); validation samples are saved as mels", bundle_dir, exc)
        return None


def synth_mel(trainer, text: str, speaker: np.ndarray | None) -> torch.Tensor:
    """Text -> mel [1, n_mels, T] with the trainer's model (eval mode, deterministic)."""
    from ..frontend import Frontend
    from .acoustic_data import text_to_ids

    if getattr(trainer, "_frontend", None) is None:
        trainer._frontend = Frontend(symbols=trainer.symbols)
    _, ids = text_to_ids(trainer._frontend, text)
    ids_t = torch.tensor([ids], dtype=torch.long, device=trainer.device)
    spk = None if speaker is None else torch.as_tensor(speaker, dtype=torch.float32, device=trainer.device)[None]
    trainer.model.eval()
    return trainer.model.infer(ids_t, speaker=spk).mel.float()


def write_samples(trainer, count: int) -> list[Path]:
    if count <= 0 or not trainer.cfg.val_texts:
        return []
    import soundfile as sf

    out = trainer.out / "samples" / f"step_{trainer.step}"
    out.mkdir(parents=True, exist_ok=True)
    if trainer.vocoder_dir is not None and trainer._vocoder is None:
        trainer._vocoder = load_bundle_vocoder(trainer.vocoder_dir, trainer.device) or False
    speakers = list(trainer.speaker_table.items())[:2] or [("default", None)]
    written: list[Path] = []
    for k, text in enumerate(trainer.cfg.val_texts[:count]):
        sid, emb = speakers[k % len(speakers)]
        try:
            mel = synth_mel(trainer, text, emb)
        except Exception as exc:  # a sample must never stop training
            log.warning("validation sample %d failed: %s", k, exc)
            continue
        if trainer._vocoder:
            with torch.inference_mode():
                wav = trainer._vocoder.infer(mel.to(next(iter(trainer._vocoder.parameters())).device))
            path = out / f"{k:02d}_{sid}.wav"
            sf.write(path, wav[0].float().cpu().numpy(), trainer.mel_cfg.sample_rate, subtype="PCM_16")
        else:
            path = out / f"{k:02d}_{sid}.mel.npy"
            np.save(path, mel[0].cpu().numpy())
        written.append(path)
    return written
