"""The default bundle's estimated statistics put controls and features in the right units.

Uses the installed bundle (cache_hub/baker-zh); skipped when it is absent.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from index_tts.acoustic import ProsodyControl
from index_tts.audio.mel import mel_spectrogram
from index_tts.hub import ModelNotFoundError

pytest.importorskip("pyworld")

from index_tts.importers.calibrate import calibration_segments, frame_f0, per_symbol  # noqa: E402


@pytest.fixture(scope="module")
def bundle():
    from index_tts.bundle import load_bundle

    try:
        return load_bundle()
    except ModelNotFoundError as exc:
        pytest.skip(f"default bundle not installed: {exc}")


@pytest.fixture(scope="module")
def ids(bundle):
    segs = calibration_segments(bundle.symbols)
    return torch.tensor([max(segs[:8], key=len)])


def _synth(bundle, ids, control=None):
    out = bundle.acoustic.infer(ids, control)
    return out, bundle.vocoder().infer(out.mel)[0]


def test_bundle_is_self_consistent(bundle):
    cfg = bundle.acoustic.cfg
    assert cfg.vocab_size == len(bundle.symbols) == 219 and cfg.n_mels == bundle.mel.n_mels
    assert bundle.mel.normalized and bundle.acoustic.mel_config == bundle.mel
    assert 150 < cfg.f0_mean_hz < 350 and 10 < cfg.f0_std_hz < 100
    prov = bundle.config["provenance"]
    assert len(prov["wheel_sha256"]) == 64 and bundle.config["licence"]["commercial_use"] is False


def test_mel_of_vocoded_audio_lands_in_model_space(bundle, ids):
    out, wav = _synth(bundle, ids)
    feats = mel_spectrogram(wav, bundle.mel)[:, : out.mel.shape[2]]
    diff = feats - out.mel[0]
    assert float(diff.abs().mean()) < 0.35  # measured 0.21-0.24
    assert float(diff.mean(dim=1).abs().max()) < 0.4  # per-bin bias, measured <= 0.25


def test_f0_units_and_octave_shift(bundle, ids):
    cfg = bundle.acoustic.cfg
    out, wav = _synth(bundle, ids)
    f0 = frame_f0(wav.numpy(), bundle.mel.sample_rate, bundle.mel.hop_length)
    measured = per_symbol(f0, out.durations[0].numpy(), voiced_only=True)
    predicted = cfg.f0_mean_hz + cfg.f0_std_hz * out.f0[0].numpy()
    ok = ~np.isnan(measured)
    assert ok.sum() >= 8
    assert np.median(np.abs(measured[ok] - predicted[ok]) / measured[ok]) < 0.05  # measured 1-2 %
    # Semitone shifts move the measured pitch of the audio by the requested ratio. (The model
    # itself only follows about +-4 semitones: beyond that its f0 embedding saturates.)
    n = ids.shape[1]
    for st in (-3.0, 3.0):
        up, wav_up = _synth(bundle, ids, ProsodyControl(pitch_shift=np.full(n, st)))
        assert torch.equal(up.durations, out.durations)
        f0_up = per_symbol(frame_f0(wav_up.numpy(), bundle.mel.sample_rate, bundle.mel.hop_length),
                           up.durations[0].numpy(), voiced_only=True)
        both = ok & ~np.isnan(f0_up)
        ratio = float(np.median(f0_up[both] / measured[both]))
        assert abs(np.log2(ratio) * 12 - st) < 1.0, (st, ratio)


def test_energy_db_raises_level(bundle, ids):
    n = ids.shape[1]
    _, quiet = _synth(bundle, ids, ProsodyControl(energy_db=np.full(n, -6.0)))
    _, loud = _synth(bundle, ids, ProsodyControl(energy_db=np.full(n, 6.0)))
    gain_db = 20 * np.log10(float(loud.pow(2).mean().sqrt()) / float(quiet.pow(2).mean().sqrt()))
    assert 4.0 < gain_db < 20.0, gain_db
