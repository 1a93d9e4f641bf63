"""The Kokoro v1.0 graph opened at its prosody predictor: per-token durations, pitch and energy.

Kokoro (a StyleTTS2-style model) predicts per-token durations, then a pitch curve (F0, Hz) and an
energy curve (N) at twice its 600-sample frame rate, and its decoder renders audio from them. The
stock graph takes only ``tokens``, ``style`` and ``speed``. :func:`controllable` edits the graph so
that the request's prosody reaches those curves, the way our own FastSpeech2 takes it:

- output ``durations``: the rounded per-token frame counts the decoder used (word timing);
- inputs, one value per token (pads included, so ``len(tokens)``):
  ``duration_scale`` (multiplies the predicted duration before rounding),
  ``pitch_shift`` (semitones), ``pitch_range`` (factor on each voiced frame's log-F0 distance from
  the utterance's mean voiced log-F0) and ``energy`` (added to N; :data:`DB_PER_UNIT` converts dB).
  The engine sends loudness as a smooth gain on the audio instead (:data:`ENERGY_VIA`,
  :func:`apply_gain`): lowering N costs intelligibility (docs/VOICES.md).

Token values reach the frames through the graph's own alignment matrix (tokens x frames), so a
token's control covers exactly the frames it was given. With every input neutral (1, 0, 1, 0) the
output is the stock graph's. A graph without the expected tensors (another Kokoro export) is left
as it is and :func:`controllable` reports it, so the engine falls back to speed only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

DURATIONS = "durations"
CONTROL_INPUTS = ("duration_scale", "pitch_shift", "pitch_range", "energy")
NEUTRAL = {"duration_scale": 1.0, "pitch_shift": 0.0, "pitch_range": 1.0, "energy": 0.0}

# Tensors of the kokoro-v1.0 (int8) export that the edit hooks into.
_DUR_BEFORE_ROUND = "/encoder/Div_output_0"  # predicted frames / speed, [1, tokens]
_DUR_ROUNDED = "/encoder/Clip_output_0"  # rounded, at least 1: what the decoder used
_ALIGNMENT = "/encoder/Cast_4_output_0"  # [tokens, frames], one 1 per frame
_F0 = "/encoder/Squeeze_output_0"  # [1, 2 * frames], Hz
_N = "/encoder/Squeeze_1_output_0"  # [1, 2 * frames]
_VOICED_HZ = 60.0  # frames of the F0 curve below this are unvoiced: shifted, never widened

# How a ProsodyControl's energy_db reaches the audio: "gain" (a smooth per-token gain on the rendered
# audio, exact in dB, articulation untouched) or "effort" (added to N, the decoder's effort input).
ENERGY_VIA = "gain"
# Loudness per unit added to N, measured on zf_xiaoxiao / zm_yunjian (docs/VOICES.md, one sentence):
# +5 / +10 / +20 units gave +1.35..1.44 / +2.24..2.42 / +3.93 dB, -5 / -10 gave -1.3..-1.9 / -2.4..-3.4 dB.
# N is the decoder's effort input, not a gain: the response flattens, so offsets stop at ENERGY_LIMIT.
DB_PER_UNIT = 0.27
ENERGY_LIMIT = 20.0


@dataclass(frozen=True)
class GraphInfo:
    durations: bool  # the graph reports per-token durations
    controls: bool  # the graph takes CONTROL_INPUTS


def controllable(model: Any, controls: bool = True) -> GraphInfo:
    """Edit an ``onnx.ModelProto`` in place (see the module docstring); what it now offers.
    ``controls=False`` adds only the durations output."""
    from onnx import TensorProto, helper

    g = model.graph
    produced = {o for n in g.node for o in n.output}
    info = GraphInfo(durations=_DUR_ROUNDED in produced,
                     controls=controls and {_DUR_BEFORE_ROUND, _DUR_ROUNDED, _ALIGNMENT, _F0, _N} <= produced)
    if info.durations:
        g.node.append(helper.make_node("Identity", [_DUR_ROUNDED], [DURATIONS], name="ctl/durations"))
        g.output.append(helper.make_tensor_value_info(DURATIONS, TensorProto.FLOAT, None))
    if not info.controls:
        return info

    consumers = {t: [n for n in g.node if t in n.input] for t in (_DUR_BEFORE_ROUND, _F0, _N)}
    new: list = []

    def node(op: str, inputs: Sequence[str], out: str, **attrs) -> str:
        new.append(helper.make_node(op, list(inputs), [out], name=f"ctl/{out}", **attrs))
        return out

    def const(name: str, value) -> str:
        if any(i.name == f"ctl/{name}" for i in g.initializer):
            return f"ctl/{name}"
        arr = np.asarray(value, dtype=np.int64 if isinstance(value, (list, tuple)) else np.float32)
        g.initializer.append(helper.make_tensor(f"ctl/{name}", TensorProto.INT64 if arr.dtype == np.int64
                                                else TensorProto.FLOAT, list(arr.shape), arr.ravel().tolist()))
        return f"ctl/{name}"

    for name in CONTROL_INPUTS:
        g.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["tokens"]))
    # durations: scaled before rounding, so the decoder, the alignment and the reported durations agree
    node("Mul", [_DUR_BEFORE_ROUND, "duration_scale"], "ctl/dur_scaled")
    # per-token values -> per frame (alignment) -> twice the frame rate (the F0 / N curves)
    rows = [node("Unsqueeze", [n, const("ax0", [0])], f"ctl/{n}_row") for n in CONTROL_INPUTS[1:]]
    stacked = node("Concat", rows, "ctl/rows", axis=0)  # [3, tokens]
    frames = node("MatMul", [stacked, _ALIGNMENT], "ctl/frames")  # [3, frames]
    col = node("Unsqueeze", [frames, const("ax2", [2])], "ctl/frames_col")
    pair = node("Concat", [col, col], "ctl/frames_pair", axis=2)
    curves = node("Reshape", [pair, const("shape3", [3, -1])], "ctl/curves")  # [3, 2 * frames]
    shift, widen, energy = (node("Gather", [curves, const(f"row{i}", [i])], f"ctl/curve{i}", axis=0)
                            for i in range(3))
    # pitch: f * exp(shift * ln2 / 12 + voiced * (log f - mean voiced log f) * (range - 1))
    voiced = node("Cast", [node("Greater", [_F0, const("vhz", _VOICED_HZ)], "ctl/is_voiced")], "ctl/voiced",
                  to=TensorProto.FLOAT)
    logf = node("Log", [node("Max", [_F0, const("vhz2", _VOICED_HZ)], "ctl/f_floor")], "ctl/logf")
    n_voiced = node("Max", [node("ReduceSum", [voiced], "ctl/n_voiced_raw", keepdims=1), const("one", 1.0)],
                    "ctl/n_voiced")
    mean = node("Div", [node("ReduceSum", [node("Mul", [logf, voiced], "ctl/logf_v")], "ctl/sum_logf",
                             keepdims=1), n_voiced], "ctl/mean_logf")
    spread = node("Mul", [node("Mul", [node("Sub", [logf, mean], "ctl/dev"), voiced], "ctl/dev_v"),
                          node("Sub", [widen, const("one2", 1.0)], "ctl/widen_m1")], "ctl/spread")
    level = node("Mul", [shift, const("st", math.log(2.0) / 12.0)], "ctl/level")
    gain = node("Exp", [node("Add", [level, spread], "ctl/log_gain")], "ctl/gain")
    f0_out = node("Mul", [_F0, gain], "ctl/f0")
    n_out = node("Add", [_N, energy], "ctl/n")
    for src, dst in ((_DUR_BEFORE_ROUND, "ctl/dur_scaled"), (_F0, f0_out), (_N, n_out)):
        for n in consumers[src]:
            for k, name in enumerate(n.input):
                if name == src:
                    n.input[k] = dst
    g.node.extend(new)
    return info


def neutral_inputs(n_tokens: int) -> dict[str, np.ndarray]:
    return {k: np.full(n_tokens, v, np.float32) for k, v in NEUTRAL.items()}


def piece_offsets(text: str, pieces: Sequence[str]) -> Optional[list[int]]:
    """Where each rendered piece starts in the segment's phoneme text (pieces come in order);
    None when one cannot be found."""
    out, cursor = [], 0
    for piece in pieces:
        at = text.find(piece, cursor)
        if at < 0:
            return None
        out.append(at)
        cursor = at + len(piece)
    return out


def char_controls(control: Any, owners: Sequence[int], n_symbols: int,
                  energy_via: Optional[str] = None) -> Optional[dict[str, np.ndarray]]:
    """Per-character control values for a phoneme string whose characters belong to ``owners``
    (symbol indices): a :class:`ProsodyControl`'s per-symbol arrays read at each owner. ``energy_db``
    goes to ``gain_db`` (``energy_via="gain"``, the default :data:`ENERGY_VIA`) or, converted and held
    within :data:`ENERGY_LIMIT`, to the graph's ``energy`` input (``"effort"``). None when the control
    changes nothing per token (``speed`` is the graph's own input)."""
    arrays = {"duration_scale": control.duration_scale, "pitch_shift": control.pitch_shift,
              "pitch_range": control.pitch_range, "energy": control.energy_db}
    if all(a is None for a in arrays.values()):
        return None
    idx = np.clip(np.asarray(owners, dtype=int), 0, max(0, n_symbols - 1))
    out = {k: np.full(len(idx), NEUTRAL[k], np.float32) for k in CONTROL_INPUTS}
    for name, arr in arrays.items():
        if arr is not None and len(idx):
            out[name] = np.asarray(arr, dtype=np.float32)[idx]
    db = out["energy"]
    if (energy_via or ENERGY_VIA) == "gain":
        out["gain_db"], out["energy"] = db, np.zeros_like(db)
    else:
        out["gain_db"] = np.zeros_like(db)
        out["energy"] = np.clip(db / DB_PER_UNIT, -ENERGY_LIMIT, ENERGY_LIMIT).astype(np.float32)
    return out


def apply_gain(wav: np.ndarray, durations: np.ndarray, token_db: np.ndarray, hop: int = 600,
               smooth_s: float = 0.02, sample_rate: int = 24000) -> np.ndarray:
    """``wav`` times each token's gain (dB) over the samples its duration gave it (``durations`` in
    ``hop``-sample frames, pads included), the gain curve smoothed over ``smooth_s``."""
    if not np.any(token_db) or len(durations) != len(token_db):
        return wav
    per = np.repeat(np.asarray(token_db, np.float64), np.maximum(0, np.round(durations)).astype(int) * hop)
    per = np.pad(per, (0, max(0, len(wav) - len(per))), mode="edge")[:len(wav)]
    if len(per) > 1:
        from scipy.ndimage import uniform_filter1d

        per = uniform_filter1d(per, size=max(1, int(smooth_s * sample_rate)), mode="nearest")
    return (wav * np.power(10.0, per / 20.0)).astype(np.float32)


def padded_inputs(chars: Optional[dict[str, np.ndarray]], start: int, end: int) -> dict[str, np.ndarray]:
    """The graph's control inputs for characters ``start:end`` of a string (``chars`` from
    :func:`char_controls`, or None: neutral), plus ``gain_db`` when ``chars`` has it (not a graph
    input: the engine applies it to the audio). The two pad tokens take their neighbour's pitch and
    energy and keep their own duration (the edges' silence is the pauses' business)."""
    n = end - start
    out = neutral_inputs(n + 2)
    if chars is None or n <= 0:
        return out
    for name in (*CONTROL_INPUTS, "gain_db"):
        if name not in chars:
            continue
        vals = chars[name][start:end]
        out.setdefault(name, np.zeros(n + 2, np.float32))[1:-1] = vals
        if name != "duration_scale":
            out[name][0], out[name][-1] = vals[0], vals[-1]
    return out


__all__ = ["CONTROL_INPUTS", "DURATIONS", "ENERGY_LIMIT", "ENERGY_VIA", "DB_PER_UNIT", "GraphInfo", "NEUTRAL",
           "apply_gain", "char_controls", "controllable", "neutral_inputs", "padded_inputs", "piece_offsets"]
