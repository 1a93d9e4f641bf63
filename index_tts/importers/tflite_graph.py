"""Read-only view of a ``.tflite`` flatbuffer: tensors, constants and the op graph.

Uses the flatbuffers schema shipped with ``ai-edge-litert`` (no TensorFlow). Constants
are dequantised (int8/uint8/int16 with per-tensor or per-axis scales). Helpers walk the
data flow so that importers can locate weights by graph position rather than by the
(converter-mangled) tensor names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

import numpy as np


class TFLiteFormatError(ValueError):
    """The file is not a TFLite model or its graph does not have the expected structure."""


def load_schema():
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("reading .tflite files needs the 'ai-edge-litert' package (pip install ai-edge-litert)") from exc
    return schema


_NP_TYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_, 7: np.int16, 9: np.int8,
             10: np.float64}
_ACTIVATIONS = {0: None, 1: "relu", 2: "relu_n1_to_1", 3: "relu6", 4: "tanh", 5: "sign_bit", 6: "sigmoid"}


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    type_id: int
    data: Optional[np.ndarray]  # raw stored values (constants only)
    scale: Optional[np.ndarray]
    zero_point: Optional[np.ndarray]
    quant_axis: int

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def quantized(self) -> bool:
        return self.scale is not None and self.scale.size > 0 and self.type_id in (3, 7, 9)


@dataclass
class Op:
    index: int
    kind: str  # builtin name (e.g. "CONV_2D") or "CUSTOM:<code>"
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict = field(default_factory=dict)

    @property
    def activation(self) -> Optional[str]:
        return _ACTIVATIONS.get(self.options.get("fusedActivationFunction", 0))


class TFLiteGraph:
    def __init__(self, buf: bytes) -> None:
        if len(buf) < 8 or buf[4:8] != b"TFL3":
            raise TFLiteFormatError("not a TFLite flatbuffer (missing TFL3 identifier)")
        schema = load_schema()
        model = schema.ModelT.InitFromPackedBuf(bytearray(buf), 0)
        if not model.subgraphs:
            raise TFLiteFormatError("TFLite model has no subgraphs")
        names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
        g = model.subgraphs[0]
        self.tensors: list[Tensor] = []
        for i, t in enumerate(g.tensors):
            raw = model.buffers[t.buffer].data if t.buffer < len(model.buffers) else None
            shape = tuple(int(s) for s in (t.shape if t.shape is not None else ()))
            data = None
            if raw is not None and len(raw) > 0:
                dtype = _NP_TYPES.get(t.type)
                if dtype is None:
                    raise TFLiteFormatError(f"tensor {i}: unsupported constant type {t.type}")
                data = np.frombuffer(bytes(raw), dtype=dtype).reshape(shape)
            q = t.quantization
            scale = np.asarray(q.scale, dtype=np.float32) if q is not None and q.scale is not None else None
            zp = np.asarray(q.zeroPoint, dtype=np.int64) if q is not None and q.zeroPoint is not None else None
            axis = int(q.quantizedDimension) if q is not None else 0
            name = t.name.decode("utf-8", "replace") if isinstance(t.name, bytes) else str(t.name)
            self.tensors.append(Tensor(i, name, shape, int(t.type), data, scale, zp, axis))
        self.ops: list[Op] = []
        for i, op in enumerate(g.operators):
            code = model.operatorCodes[op.opcodeIndex]
            builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
            kind = names.get(builtin, str(builtin))
            if kind == "CUSTOM":
                custom = code.customCode.decode() if isinstance(code.customCode, bytes) else str(code.customCode)
                kind = f"CUSTOM:{custom}"
            opts = dict(vars(op.builtinOptions)) if op.builtinOptions is not None else {}
            ins = tuple(int(x) for x in (op.inputs if op.inputs is not None else ()))
            outs = tuple(int(x) for x in (op.outputs if op.outputs is not None else ()))
            self.ops.append(Op(i, kind, ins, outs, opts))
        self.inputs = tuple(int(x) for x in g.inputs)
        self.outputs = tuple(int(x) for x in g.outputs)
        self._producer: dict[int, Op] = {}
        self._consumers: dict[int, list[Op]] = {}
        for op in self.ops:
            for t in op.outputs:
                self._producer[t] = op
            for t in op.inputs:
                if t >= 0:
                    self._consumers.setdefault(t, []).append(op)

    @classmethod
    def from_file(cls, path) -> "TFLiteGraph":
        with open(path, "rb") as f:
            return cls(f.read())

    # ----------------------------------------------------------------- tensors
    def input_index(self, name: str) -> int:
        for i in self.inputs:
            if self.tensors[i].name == name:
                return i
        raise TFLiteFormatError(f"graph has no input named {name!r}")

    def constant(self, index: int) -> np.ndarray:
        """Constant tensor ``index`` as float32 (dequantised) or its stored integer values."""
        t = self.tensors[index]
        if t.data is None:
            raise TFLiteFormatError(f"tensor {index} ({t.name}) is not a constant")
        if not t.quantized:
            return t.data.astype(np.float32) if t.data.dtype.kind == "f" else t.data.copy()
        scale = t.scale.astype(np.float32)
        zp = t.zero_point if t.zero_point is not None and t.zero_point.size else np.zeros_like(scale, dtype=np.int64)
        if scale.size > 1:
            shape = [1] * t.data.ndim
            shape[t.quant_axis] = scale.size
            scale, zp = scale.reshape(shape), zp.reshape(shape)
        return ((t.data.astype(np.int64) - zp).astype(np.float32) * scale).astype(np.float32)

    def is_const(self, index: int) -> bool:
        return index >= 0 and self.tensors[index].is_constant

    def resolve_const(self, index: int) -> Optional[np.ndarray]:
        """Constant value of ``index``, looking through a DEQUANTIZE of a constant."""
        if self.is_const(index):
            return self.constant(index)
        op = self._producer.get(index)
        if op is not None and op.kind == "DEQUANTIZE" and self.is_const(op.inputs[0]):
            return self.constant(op.inputs[0])
        return None

    # ------------------------------------------------------------------- graph
    def producer(self, index: int) -> Optional[Op]:
        return self._producer.get(index)

    def consumers(self, index: int, kinds: Optional[Iterable[str]] = None) -> list[Op]:
        ops = self._consumers.get(index, [])
        if kinds is None:
            return list(ops)
        wanted = set(kinds)
        return [op for op in ops if op.kind in wanted]

    def ops_of(self, kind: str) -> list[Op]:
        return [op for op in self.ops if op.kind == kind]

    def op_kinds(self) -> set[str]:
        return {op.kind for op in self.ops}


# Ops that only move or re-type data; weight mapping looks through them.
PASSTHROUGH = frozenset(
    {"RESHAPE", "EXPAND_DIMS", "SQUEEZE", "TRANSPOSE", "DEQUANTIZE", "QUANTIZE", "SPACE_TO_BATCH_ND",
     "BATCH_TO_SPACE_ND"}
)
# Ops that read only a tensor's shape.
SHAPE_ONLY = frozenset({"SHAPE"})


class GraphWalker:
    """Follow the data flow of a :class:`TFLiteGraph` through pass-through ops."""

    def __init__(self, graph: TFLiteGraph) -> None:
        self.g = graph

    def next_ops(self, tensor: int) -> list[Op]:
        """Compute ops fed (directly or through pass-through ops) by ``tensor``."""
        out: list[Op] = []
        seen: set[int] = set()
        stack = [tensor]
        while stack:
            t = stack.pop()
            for op in self.g.consumers(t):
                if op.index in seen or op.kind in SHAPE_ONLY:
                    continue
                seen.add(op.index)
                if op.kind in PASSTHROUGH and op.inputs and op.inputs[0] == t:
                    stack.extend(op.outputs)
                elif op.kind not in PASSTHROUGH:
                    out.append(op)
        return sorted(out, key=lambda o: o.index)

    def next_op(self, tensor: int, kind: str | tuple[str, ...]) -> Op:
        kinds = (kind,) if isinstance(kind, str) else kind
        ops = [op for op in self.next_ops(tensor) if op.kind in kinds]
        if len(ops) != 1:
            found = [o.kind for o in self.next_ops(tensor)]
            raise TFLiteFormatError(
                f"expected one {'/'.join(kinds)} after tensor {tensor} ({self.g.tensors[tensor].name}), found {found}"
            )
        return ops[0]

    def source(self, tensor: int) -> int:
        """Look back through pass-through ops to the tensor that carries the data."""
        while True:
            op = self.g.producer(tensor)
            if op is None or op.kind not in PASSTHROUGH:
                return tensor
            tensor = op.inputs[0]

    def reaches(self, start: int, target: int, limit: int = 64) -> bool:
        """True when ``target`` is ``start`` or lies downstream of it through pass-through ops only."""
        stack, steps = [start], 0
        while stack and steps < limit:
            t = stack.pop()
            steps += 1
            if t == target:
                return True
            for op in self.g.consumers(t):
                if op.kind in PASSTHROUGH and op.inputs and op.inputs[0] == t:
                    stack.extend(op.outputs)
        return False

    def const_operand(self, op: Op) -> tuple[Optional[np.ndarray], Optional[int]]:
        """(constant value, index of the other operand) of a binary op with one constant input."""
        a, b = op.inputs[0], op.inputs[1]
        ca, cb = self.g.resolve_const(a), self.g.resolve_const(b)
        if ca is not None and cb is None:
            return ca, b
        if cb is not None and ca is None:
            return cb, a
        return None, None

    def add_const(self, tensor: int, what: str) -> tuple[np.ndarray, int, Op]:
        """The ADD of ``tensor`` with a constant right after it: (constant, output, op)."""
        for op in self.next_ops(tensor):
            if op.kind == "ADD":
                c, other = self.const_operand(op)
                if c is not None:
                    return c, op.outputs[0], op
        raise TFLiteFormatError(f"{what}: no bias ADD after tensor {tensor} ({self.g.tensors[tensor].name})")

    def other_input(self, op: Op, tensor: int) -> int:
        """The operand of binary ``op`` that does not come from ``tensor``."""
        a, b = op.inputs[0], op.inputs[1]
        if self.reaches(tensor, a):
            return b
        if self.reaches(tensor, b):
            return a
        raise TFLiteFormatError(f"op {op.index} ({op.kind}) is not fed by tensor {tensor}")
