"""Export a bundle's acoustic model and vocoders to ONNX graphs stored in the bundle.

    python -m index_tts export-onnx [--bundle baker-zh]

The acoustic model is split where the prosody controls act, so the controls stay exact and
shared with the PyTorch path (``acoustic/variance.py``):

- ``encoder.onnx``: ids [1, N] (+ speaker [1, S], emotion [1, E] when the model has them)
  -> hidden [1, N, C], log_duration [1, N], f0 [1, N], energy [1, N] (predictions);
- (outside the graph: durations, pitch and energy controls, dropout masks, frame index);
- ``decoder.onnx``: hidden, f0 [1, N], energy [1, N], f0_keep / energy_keep [1, N, C]
  (variance-dropout multipliers, ones when off), frame_index [T] -> mel [1, n_mels, T];
- ``vocoder_<name>.onnx``: mel [1, n_mels, T] -> wav [1, T * hop].

``onnx/onnx.json`` records the format version, the opset, each vocoder's hop / n_mels / shortest
input, the sha256 of the weights the graphs came from (a graph
that no longer matches its weights is refused) and of every graph file. The graphs are derived
files: they stay out of the bundle's own manifest, so deleting ``onnx/`` never breaks the bundle.
"""
from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Optional

import torch
from torch import nn

from .runtime import FORMAT_VERSION, INFO, ONNX_DIR, weights_digest  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

OPSET = 17


class EncoderGraph(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.m = model

    def forward(self, ids: torch.Tensor, speaker: Optional[torch.Tensor] = None,
                emotion: Optional[torch.Tensor] = None):
        mask = torch.ones(ids.shape, dtype=torch.float32)
        x = self.m.encode(ids, mask, speaker, emotion)
        v = self.m.variance
        xin = x * mask.unsqueeze(-1)
        return x, v.duration_predictor(xin, mask), v.f0_predictor(xin, mask), v.energy_predictor(xin, mask)


class DecoderGraph(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.m = model

    def forward(self, hidden, f0, energy, f0_keep, energy_keep, frame_index):
        v = self.m.variance
        h = hidden + v.f0_embedding(f0) * f0_keep + v.energy_embedding(energy) * energy_keep
        frames = h[:, frame_index]
        t = frame_index.shape[0]
        mask = torch.ones((1, t), dtype=torch.float32)
        pos = self.m.positions[1: t + 1].unsqueeze(0)
        out = self.m.decoder(frames + pos, mask)
        mel = self.m.mel_proj(out).transpose(1, 2)
        return mel + self.m.postnet(mel, mask)


class VocoderGraph(nn.Module):
    def __init__(self, vocoder: nn.Module) -> None:
        super().__init__()
        self.v = vocoder

    def forward(self, mel):
        wav = self.v(mel)
        return wav.reshape(1, -1)


def _export(module: nn.Module, args: tuple, names: list[str], outputs: list[str], dynamic: dict) -> bytes:
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, args, buf, input_names=names, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=OPSET, dynamo=False)
    return buf.getvalue()


def export_acoustic(model: nn.Module) -> tuple[bytes, bytes, list[str]]:
    """(encoder bytes, decoder bytes, encoder input names) for a FastSpeech2 in eval mode."""
    cfg = model.cfg
    model = model.float().eval()
    n, t = 12, 40
    ids = torch.randint(1, cfg.vocab_size, (1, n))
    enc_args: list[torch.Tensor] = [ids]
    names = ["ids"]
    dynamic = {"ids": {1: "n"}, "hidden": {1: "n"}, "log_duration": {1: "n"}, "f0": {1: "n"}, "energy": {1: "n"}}
    speaker = torch.zeros(1, cfg.speaker_embed_dim) if cfg.speaker_embed_dim > 0 else None
    emotion = torch.zeros(1, cfg.emotion_dim) if cfg.emotion_dim > 0 else None
    if speaker is not None:
        enc_args.append(speaker)
        names.append("speaker")
    if emotion is not None:
        if speaker is None:
            raise NotImplementedError("ONNX export of an emotion input without a speaker input")
        enc_args.append(emotion)
        names.append("emotion")
    enc = _export(EncoderGraph(model), tuple(enc_args), names, ["hidden", "log_duration", "f0", "energy"], dynamic)
    hidden = torch.randn(1, n, cfg.hidden)
    keep = torch.ones(1, n, cfg.hidden)
    idx = torch.sort(torch.randint(0, n, (t,))).values
    dec_names = ["hidden", "f0", "energy", "f0_keep", "energy_keep", "frame_index"]
    dec_dyn = {k: {1: "n"} for k in dec_names[:5]}
    dec_dyn.update(frame_index={0: "t"}, mel={2: "t"})
    dec = _export(DecoderGraph(model), (hidden, torch.zeros(1, n), torch.zeros(1, n), keep, keep, idx), dec_names,
                  ["mel"], dec_dyn)
    return enc, dec, names


def export_vocoder(vocoder: nn.Module, n_mels: int) -> bytes:
    vocoder = vocoder.float().eval()
    return _export(VocoderGraph(vocoder), (torch.randn(1, n_mels, 30),), ["mel"], ["wav"],
                   {"mel": {2: "t"}, "wav": {1: "samples"}})


def export_bundle(bundle: str | Path | None = None) -> Path:
    """Write ``onnx/`` into a bundle (acoustic model + every vocoder)."""
    from ..bundle import load_bundle
    from ..hub import sha256_file

    b = load_bundle(bundle, device="cpu")
    out = b.path / ONNX_DIR
    out.mkdir(exist_ok=True)
    enc, dec, enc_inputs = export_acoustic(b.acoustic)
    (out / "encoder.onnx").write_bytes(enc)
    (out / "decoder.onnx").write_bytes(dec)
    vocoders, vocoder_meta = {}, {}
    for name, voc in b.vocoders.items():
        fname = f"vocoder_{name}.onnx"
        (out / fname).write_bytes(export_vocoder(voc, b.mel.n_mels))
        vocoders[name] = fname
        vocoder_meta[name] = {"hop_length": int(voc.hop_length), "n_mels": int(voc.n_mels),
                              "min_frames": int(getattr(voc, "min_frames", 1))}
    info = {
        "format_version": FORMAT_VERSION, "opset": OPSET, "torch": torch.__version__,
        "encoder": "encoder.onnx", "encoder_inputs": enc_inputs, "decoder": "decoder.onnx",
        "vocoders": vocoders, "vocoder_meta": vocoder_meta, "weights_sha256": weights_digest(b.path),
        "files_sha256": {f.name: sha256_file(f) for f in sorted(out.glob("*.onnx"))},
    }
    (out / INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    log.info("exported ONNX graphs to %s", out)
    return out
