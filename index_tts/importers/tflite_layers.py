"""Recognisers for common layer patterns in TFLite graphs (conv + bias, dense, LayerNorm)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .tflite_graph import GraphWalker, Op, TFLiteFormatError


@dataclass
class Linear:
    weight: np.ndarray  # torch layout: conv [O, I, k], transposed conv [I, O, k], dense [O, I]
    bias: np.ndarray
    out: int  # tensor after the bias
    op: Op
    activation: Optional[str] = None  # fused activation of the bias ADD


def _op_bias(w: GraphWalker, op: Op, width: int, slot: int = 2) -> np.ndarray:
    if len(op.inputs) > slot and op.inputs[slot] >= 0:
        b = w.g.resolve_const(op.inputs[slot])
        if b is None:
            raise TFLiteFormatError(f"op {op.index}: bias input is not constant")
        return b.reshape(-1).astype(np.float32)
    return np.zeros(width, dtype=np.float32)


def _with_bias(w: GraphWalker, op: Op, weight: np.ndarray, width: int, what: str, bias_slot: int = 2) -> Linear:
    bias = _op_bias(w, op, width, bias_slot)
    out = op.outputs[0]
    activation = op.activation
    # A separate bias ADD usually follows (the converter keeps a zero bias in the op itself).
    for nxt in w.next_ops(out):
        if nxt.kind == "ADD":
            c, _ = w.const_operand(nxt)
            if c is not None and c.size == width:
                bias = bias + c.reshape(-1)
                out = nxt.outputs[0]
                activation = nxt.activation
                break
    return Linear(weight.astype(np.float32), bias.astype(np.float32), out, op, activation)


def conv1d(w: GraphWalker, op: Op, what: str) -> Linear:
    """CONV_2D on [B, 1, T, C] (a 1-D conv) -> weight [O, I, k]."""
    if op.kind != "CONV_2D":
        raise TFLiteFormatError(f"{what}: expected CONV_2D, got {op.kind}")
    k = w.g.resolve_const(op.inputs[1])
    if k is None or k.ndim != 4 or k.shape[1] != 1:
        raise TFLiteFormatError(f"{what}: unexpected conv filter {None if k is None else k.shape}")
    weight = k[:, 0, :, :].transpose(0, 2, 1)  # [O, k, I] -> [O, I, k]
    return _with_bias(w, op, weight, k.shape[0], what)


def transpose_conv1d(w: GraphWalker, op: Op, what: str) -> Linear:
    """TRANSPOSE_CONV on [B, T, 1, C] -> torch ConvTranspose1d weight [I, O, k]."""
    if op.kind != "TRANSPOSE_CONV":
        raise TFLiteFormatError(f"{what}: expected TRANSPOSE_CONV, got {op.kind}")
    k = w.g.resolve_const(op.inputs[1])
    if k is None or k.ndim != 4 or k.shape[2] != 1:
        raise TFLiteFormatError(f"{what}: unexpected transposed-conv filter {None if k is None else k.shape}")
    weight = k[:, :, 0, :].transpose(2, 0, 1)  # [O, k, I] -> [I, O, k]
    return _with_bias(w, op, weight, k.shape[0], what, bias_slot=3)


def dense(w: GraphWalker, op: Op, what: str) -> Linear:
    """FULLY_CONNECTED -> weight [O, I]."""
    if op.kind != "FULLY_CONNECTED":
        raise TFLiteFormatError(f"{what}: expected FULLY_CONNECTED, got {op.kind}")
    k = w.g.resolve_const(op.inputs[1])
    if k is None or k.ndim != 2:
        raise TFLiteFormatError(f"{what}: dense weight is not a constant matrix")
    return _with_bias(w, op, k, k.shape[0], what)


@dataclass
class Norm:
    gamma: np.ndarray
    beta: np.ndarray
    eps: float
    out: int


def layer_norm(w: GraphWalker, tensor: int, what: str) -> Norm:
    """Match TF's decomposed LayerNorm on ``tensor``: mean, variance, rsqrt, gamma, beta."""
    g = w.g
    means = [op for op in w.next_ops(tensor) if op.kind == "MEAN"]
    if len(means) != 1:
        raise TFLiteFormatError(f"{what}: no LayerNorm after tensor {tensor}")
    mean = means[0].outputs[0]
    sqd = w.next_op(mean, "SQUARED_DIFFERENCE")
    var = w.next_op(sqd.outputs[0], "MEAN")
    add_eps = w.next_op(var.outputs[0], "ADD")
    eps_c, _ = w.const_operand(add_eps)
    rsqrt = w.next_op(add_eps.outputs[0], "RSQRT")
    mul_g = w.next_op(rsqrt.outputs[0], "MUL")
    gamma, _ = w.const_operand(mul_g)
    if gamma is None or eps_c is None:
        raise TFLiteFormatError(f"{what}: LayerNorm constants not found")
    beta = None
    out = None
    for op in w.next_ops(mul_g.outputs[0]):
        if op.kind != "MUL":
            continue
        if mean in op.inputs:  # mean * scale -> beta - that
            sub = w.next_op(op.outputs[0], "SUB")
            beta = g.resolve_const(sub.inputs[0])
            out = w.next_op(sub.outputs[0], "ADD").outputs[0]
    if beta is None or out is None:
        raise TFLiteFormatError(f"{what}: LayerNorm beta not found")
    return Norm(gamma.reshape(-1), beta.reshape(-1), float(eps_c.reshape(-1)[0]), out)
