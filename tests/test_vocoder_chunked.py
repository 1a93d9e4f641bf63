"""Chunked vocoding (index_tts/vocoder/chunked.py): the pieces, concatenated, are the whole-mel audio.

Real mels of the default voice through its MB-MelGAN (torch, and the ONNX export when the bundle
has one): the concatenation matches whole-mel vocoding sample by sample, each join has the same
short-time spectrum as the reference and no step larger than the reference's own, and the edge
cases (a mel shorter than a chunk, exactly one chunk, a boundary at the last frame) hold.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from index_tts.vocoder.chunked import (CONTEXT_FRAMES, infer_fn, plan_chunks, receptive_field,
                                       vocode_all, vocode_chunked)

HOP, SR = 300, 24000
TOL = 1e-4  # max |chunked - whole|, full scale 1.0 (measured 3.6e-5: float32 kernel choice on short inputs)
DB_TOL = 0.1  # dB, log-magnitude of a 20 ms window across a join, bins within 60 dB of its peak (measured 0.005)
TEXTS = ["今天天气真不错，我们一起去公园散步吧。",
         "在遥远的山村里，住着一位年迈的老人，他每天清晨都会到河边去打水。",
         "你吃过晚饭了吗？"]


# ------------------------------------------------------------------ numpy-only units
def test_importing_the_module_does_not_import_torch():
    code = "import sys, index_tts.vocoder.chunked; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_plan_covers_the_mel_grows_and_merges_a_tiny_tail():
    assert plan_chunks(480) == [(0, 40), (40, 120), (120, 280), (280, 480)]
    assert plan_chunks(30) == [(0, 30)] and plan_chunks(1) == [(0, 1)] and plan_chunks(40) == [(0, 40)]
    assert plan_chunks(47) == [(0, 47)]  # a 7-frame tail joins the first chunk
    assert plan_chunks(48) == [(0, 40), (40, 48)]
    assert plan_chunks(121, min_tail=0) == [(0, 40), (40, 120), (120, 121)]
    for n in (1, 39, 41, 200, 999, 2001):
        p = plan_chunks(n, first_frames=24, chunk_frames=150)
        assert p[0][0] == 0 and p[-1][1] == n and all(a[1] == b[0] for a, b in zip(p, p[1:]))
        assert all(b - a <= 150 + 7 for a, b in p)
    with pytest.raises(ValueError):
        plan_chunks(0)


def fir_vocoder(reach: int):
    """A numpy stand-in with a known receptive field: each frame's mean, upsampled, smoothed over
    +-reach frames with reflection at the mel's ends (as the real vocoders pad)."""
    kernel = np.hanning(2 * reach * HOP + 1)
    kernel /= kernel.sum()

    def fn(mel):
        x = np.repeat(mel[0].mean(axis=0), HOP)
        x = np.pad(x, reach * HOP, mode="reflect")
        return np.convolve(x, kernel, mode="valid").astype(np.float32)

    return fn


def test_fir_stand_in_is_exact_with_enough_context_and_wrong_without():
    rng = np.random.default_rng(0)
    mel = rng.standard_normal((1, 80, 333)).astype(np.float32)
    fn = fir_vocoder(6)
    assert receptive_field(fn, mel, HOP) == pytest.approx((6.0, 6.0), abs=0.1)  # the Hann tails round to 0
    whole = fn(mel)
    assert np.max(np.abs(vocode_all(fn, mel, HOP, ctx=7) - whole)) < 1e-5
    assert np.max(np.abs(vocode_all(fn, mel, HOP, ctx=3) - whole)) > 1e-3


def test_window_is_widened_to_min_frames_with_real_frames():
    seen = []

    def fn(mel):
        seen.append(mel.shape[2])
        return np.zeros(mel.shape[2] * HOP, np.float32)

    mel = np.zeros((1, 80, 100), np.float32)
    pieces = list(vocode_chunked(fn, mel, HOP, first_frames=5, chunk_frames=5, ctx=1, min_frames=30, min_tail=0))
    assert [(c.start, c.stop) for c in pieces][:2] == [(0, 5), (5, 10)]
    assert all(len(c.wav) == (c.stop - c.start) * HOP for c in pieces)
    assert min(seen) == 30
    with pytest.raises(ValueError):
        list(vocode_chunked(fn, mel, HOP, plan=[(0, 50), (60, 100)]))


# ------------------------------------------------------------------ the real voice
@pytest.fixture(scope="module")
def voice():
    from index_tts.bundle import load_bundle
    from index_tts.hub import ModelNotFoundError

    try:
        return load_bundle(None)
    except ModelNotFoundError as e:
        pytest.skip(f"default voice bundle missing ({e}); `bash tests/run.sh` builds it")


@pytest.fixture(scope="module")
def mels(voice):
    import torch

    from index_tts.frontend import Frontend

    fe = Frontend(symbols=voice.symbols)
    out = []
    with torch.inference_mode():
        for text in TEXTS:
            for seg in fe(text).segments:
                out.append(voice.acoustic.infer(torch.tensor([seg.ids])).mel.float().numpy())
    assert max(m.shape[2] for m in out) > 300  # one mel long enough for several chunks
    return out


@pytest.fixture(scope="module")
def mbmelgan(voice):
    voc = voice.vocoder("mbmelgan").eval()
    return infer_fn(voc), int(voc.min_frames)


@pytest.fixture(scope="module")
def onnx_mbmelgan(voice, mbmelgan):
    pytest.importorskip("onnxruntime")
    from index_tts.onnx.runtime import OnnxGraphsMissing, OnnxVocoder

    try:  # the product's own ONNX vocoder (pads mels shorter than min_frames as the module does)
        vocoder = OnnxVocoder(voice.path, "mbmelgan", threads=2)
    except (OnnxGraphsMissing, KeyError) as e:
        pytest.skip(f"no current ONNX export with an mbmelgan graph ({e}): python -m index_tts export-onnx")
    assert vocoder.min_frames == mbmelgan[1]
    return infer_fn(vocoder), mbmelgan[1]


def log_spectrum(x: np.ndarray) -> np.ndarray:
    return 20 * np.log10(np.abs(np.fft.rfft(x * np.hanning(len(x)))) + 1e-12)


def check_joins(pieces, whole: np.ndarray) -> None:
    """Each join: same 20 ms spectrum as the reference, and no step beyond the reference's own."""
    cat = np.concatenate([c.wav for c in pieces])
    half = SR // 100  # 10 ms: a 20 ms window centred on the join
    for c in pieces[1:]:
        j = c.start * HOP
        lo, hi = max(0, j - half), min(len(whole), j + half)
        ref, got = log_spectrum(whole[lo:hi]), log_spectrum(cat[lo:hi])
        loud = ref > ref.max() - 60.0
        assert np.max(np.abs(got[loud] - ref[loud])) < DB_TOL, f"spectrum differs at the join at frame {c.start}"
        step = abs(float(cat[j]) - float(cat[j - 1]))
        near = whole[max(0, j - SR // 200):j + SR // 200]  # the 10 ms around the join
        assert step <= float(np.max(np.abs(np.diff(near)))) + 2 * TOL, f"a click at the join at frame {c.start}"


def check_chunked(fn, min_frames: int, mels) -> float:
    worst = 0.0
    for mel in mels:
        whole = fn(mel)
        pieces = list(vocode_chunked(fn, mel, HOP, min_frames=min_frames))
        assert [(c.start, c.stop) for c in pieces] == plan_chunks(mel.shape[2])
        cat = np.concatenate([c.wav for c in pieces])
        assert cat.shape == whole.shape == (mel.shape[2] * HOP,)
        worst = max(worst, float(np.max(np.abs(cat - whole))))
        check_joins(pieces, whole)
    assert worst < TOL
    return worst


def check_edges(fn, min_frames: int, mel: np.ndarray) -> None:
    cases = [(mel[:, :, :5], {}),  # shorter than the vocoder's min_frames
             (mel[:, :, :30], {}),  # shorter than the first chunk: one call
             (mel[:, :, :40], {}),  # exactly one chunk
             (mel[:, :, :47], {}),  # one chunk and a merged 7-frame tail
             (mel[:, :, :120], {}),  # a chunk boundary at the last frame
             (mel[:, :, :121], dict(min_tail=0)),  # a last chunk of one frame
             (mel[:, :, :100], dict(first_frames=1, chunk_frames=7, growth=1.0, min_tail=0))]  # many tiny ones
    for m, kw in cases:
        n = m.shape[2]
        whole = fn(m)
        pieces = list(vocode_chunked(fn, m, HOP, min_frames=min_frames, **kw))
        assert [(c.start, c.stop) for c in pieces] == plan_chunks(n, **kw)
        cat = np.concatenate([c.wav for c in pieces])
        assert cat.shape == whole.shape == (n * HOP,)
        assert float(np.max(np.abs(cat - whole))) < TOL, f"{n} frames, {kw}"


def test_torch_stop_vocodes_only_the_segments_own_frames_with_the_rest_as_context(mbmelgan, mels):
    fn, min_frames = mbmelgan
    mel = max(mels, key=lambda m: m.shape[2])
    n = mel.shape[2]
    whole = fn(mel)
    for stop in (30, 130, n - 20):
        pieces = list(vocode_chunked(fn, mel, HOP, min_frames=min_frames, stop=stop))
        assert pieces[-1].stop == stop
        assert float(np.max(np.abs(np.concatenate([c.wav for c in pieces]) - whole[:stop * HOP]))) < TOL
    with pytest.raises(ValueError):
        list(vocode_chunked(fn, mel, HOP, stop=n + 1))


def test_torch_receptive_field_is_within_the_context(mbmelgan, mels):
    fn, _ = mbmelgan
    mel = max(mels, key=lambda m: m.shape[2])
    left, right = receptive_field(fn, mel, HOP)
    assert 15 < left < CONTEXT_FRAMES - 2 and 15 < right < CONTEXT_FRAMES - 2  # measured 20.1 / 20.5


def test_torch_chunks_equal_whole_mel_vocoding(mbmelgan, mels):
    check_chunked(*mbmelgan, mels)


def test_torch_chunks_need_the_context(mbmelgan, mels):
    fn, min_frames = mbmelgan
    mel = max(mels, key=lambda m: m.shape[2])
    diff = np.max(np.abs(vocode_all(fn, mel, HOP, ctx=0, min_frames=min_frames) - fn(mel)))
    assert diff > 100 * TOL  # reflection at a cut is audible: the context is what makes it exact


def test_torch_edge_cases(mbmelgan, mels):
    check_edges(*mbmelgan, max(mels, key=lambda m: m.shape[2]))


def test_chunking_itself_is_exact_in_float64(voice, mels):
    """The float32 differences are kernel rounding: in float64 chunked == whole to 1e-7."""
    import copy

    import torch

    voc = copy.deepcopy(voice.vocoder("mbmelgan")).eval().double()

    def fn(mel):
        with torch.inference_mode():
            return voc(torch.from_numpy(mel).double())[0, 0].numpy()

    mel = mels[0].astype(np.float64)
    assert np.max(np.abs(vocode_all(fn, mel, HOP, min_frames=voc.min_frames) - fn(mel))) < 1e-7


@pytest.mark.parametrize("preset", ["HIFIGAN_V2", "HIFIGAN_V3"])
def test_hifigan_receptive_field_is_within_the_context(preset, mels):
    import torch

    from index_tts.vocoder import hifigan

    torch.manual_seed(0)
    fn = infer_fn(hifigan.HiFiGAN(getattr(hifigan, preset)).eval())
    mel = mels[0][:, :, :120]
    left, right = receptive_field(fn, mel, HOP)
    assert max(left, right) < CONTEXT_FRAMES - 2  # measured V2 16.4 / 16.0, V3 8.9 (V1 18.6)
    assert np.max(np.abs(vocode_all(fn, mel, HOP) - fn(mel))) < TOL


def test_onnx_chunks_equal_whole_mel_vocoding(onnx_mbmelgan, mels):
    fn, min_frames = onnx_mbmelgan
    left, right = receptive_field(fn, mels[0], HOP)
    assert max(left, right) < CONTEXT_FRAMES - 2
    check_chunked(fn, min_frames, mels)
    check_edges(fn, min_frames, max(mels, key=lambda m: m.shape[2]))
