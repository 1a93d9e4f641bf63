"""``TorchRunner``: one voice's PyTorch networks as the Synthesizer drives them.

The Synthesizer talks to a voice's networks through a runner with four members, the same for
both backends (the ONNX twin: ``onnx/runtime.OnnxRunner``):

- ``generator(seed)``: the random source for the seeded variance dropout;
- ``mel(ids, control, speaker, emotion, dropout, generator)``: ``(mel [1, n_mels, T] float32,
  durations [N] int64)`` as numpy arrays;
- ``vocode(mel)``: the waveform (numpy float32, ``T * hop`` samples);
- ``acoustic`` / ``vocoder``: the networks themselves.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
import torch


class TorchRunner:
    backend = "torch"

    def __init__(self, acoustic: Any, vocoder: Any, device: str = "cpu", fp16: bool = False) -> None:
        self.acoustic = acoustic
        self.vocoder = vocoder
        self.device = device
        self.fp16 = fp16

    def generator(self, seed: Optional[int]) -> Optional[torch.Generator]:
        return None if seed is None else torch.Generator(device=self.device).manual_seed(int(seed))

    def _vector(self, v: Optional[np.ndarray]) -> Optional[torch.Tensor]:
        if v is None:
            return None
        return torch.as_tensor(np.asarray(v, np.float32), device=self.device).reshape(1, -1)

    def mel(self, ids: list[int], control: Any, speaker: Optional[np.ndarray], emotion: Optional[np.ndarray],
            dropout: bool, generator: Optional[torch.Generator]) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            x = torch.tensor([ids], dtype=torch.long, device=self.device)
            out = self.acoustic.infer(x, control=control, speaker=self._vector(speaker),
                                      emotion=self._vector(emotion), variance_dropout=dropout, generator=generator)
            return out.mel.float().cpu().numpy(), out.durations[0].cpu().numpy().astype(np.int64)

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            m = torch.from_numpy(np.ascontiguousarray(mel, np.float32)).to(self.device)
            wav = self.vocoder.infer(m.half() if self.fp16 else m)
            return wav[0].float().cpu().numpy()
