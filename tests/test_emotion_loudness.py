"""energy_db as a per-frame mel gain: spreading by durations, ramps, exact dB in model units,
bit-identity when there is nothing to apply."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from index_tts.acoustic import FastSpeech2, FastSpeech2Config, ProsodyControl
from index_tts.acoustic.tilt import apply_frame_gain, frame_gain_db
from index_tts.audio.mel import MelConfig

STD = (0.5, 0.8, 1.0, 0.6, 0.9, 0.7, 1.2, 0.4)
MEL_CFG = MelConfig(n_mels=8, mel_mean=(0.0,) * 8, mel_std=STD)
IDS = torch.tensor([[1, 5, 3, 7, 9, 2, 11]])


def make_model(seed: int = 0, frames: float = 6.0) -> FastSpeech2:
    torch.manual_seed(seed)
    cfg = FastSpeech2Config(vocab_size=12, n_mels=8, hidden=16, heads=2, head_dim=4, ffn_dim=32,
                            predictor_channels=16, postnet_channels=16, postnet_layers=3, encoder_layers=1,
                            decoder_layers=1, max_positions=128, f0_mean_hz=200.0, f0_std_hz=50.0,
                            energy_mean=10.0, energy_std=4.0)
    m = FastSpeech2(cfg).eval()
    with torch.no_grad():  # every symbol lasts exactly `frames` frames
        m.variance.duration_predictor.proj.weight.zero_()
        m.variance.duration_predictor.proj.bias.fill_(math.log(frames + 1.0))
    return m


def test_frame_gain_spreads_by_durations_with_short_ramps():
    db = torch.tensor([[0.0, 6.0, -3.0]])
    dur = torch.tensor([[10, 20, 10]])
    g = frame_gain_db(db, dur, 45, ramp_frames=5)[0]
    assert g.shape == (45,)
    # plateaus keep the exact value; frames past the total duration get 0 dB
    assert torch.allclose(g[:8], torch.zeros(8)) and torch.allclose(g[12:28], torch.full((16,), 6.0))
    assert torch.allclose(g[32:40], torch.full((8,), -3.0)) and torch.all(g[40:] == 0)
    # the step is a monotone ramp a few frames long, not a jump
    ramp = g[8:13]
    assert torch.all(ramp[1:] >= ramp[:-1]) and 0 < float(g[10]) < 6.0
    assert float((g[1:40] - g[:39]).abs().max()) < 0.4 * 9.0  # the 9 dB step is spread out
    # no ramp: exact steps
    hard = frame_gain_db(db, dur, 40, ramp_frames=1)[0]
    assert torch.equal(hard, torch.repeat_interleave(db[0], dur[0]))


def test_frame_gain_shape_errors():
    with pytest.raises(ValueError, match="B, N"):
        frame_gain_db(torch.zeros(1, 3), torch.ones(1, 4, dtype=torch.long), 10)


def test_apply_frame_gain_is_exact_db_in_model_units():
    mel = torch.randn(1, 8, 30)
    out = apply_frame_gain(mel, torch.full((1, 3), 6.0), torch.tensor([[10, 10, 10]]), MEL_CFG)
    expected = 6.0 / 20.0 / torch.tensor(STD).view(1, 8, 1)  # raw log10 offset / per-bin std
    assert torch.allclose(out - mel, expected.expand_as(mel), atol=1e-6)
    raw = MelConfig(n_mels=8)  # un-normalised mels: the plain log10 offset
    out = apply_frame_gain(mel, torch.full((1, 3), -4.0), torch.tensor([[10, 10, 10]]), raw)
    assert torch.allclose(out - mel, torch.full_like(mel, -0.2), atol=1e-6)
    with pytest.raises(ValueError, match="mel must be"):
        apply_frame_gain(torch.zeros(1, 5, 30), torch.zeros(1, 3), torch.tensor([[10, 10, 10]]), MEL_CFG)


def test_infer_adds_the_mel_share_of_energy_db():
    m = make_model()
    m.mel_config = MEL_CFG
    db = np.array([0.0, 4.0, 4.0, 4.0, 4.0, 4.0, 0.0], dtype=np.float32)
    m.energy_mel_share = 0.0
    input_only = m.infer(IDS, ProsodyControl(energy_db=db))
    m.energy_mel_share = 0.5
    both = m.infer(IDS, ProsodyControl(energy_db=db))
    assert torch.equal(both.durations, input_only.durations)
    diff = (both.mel - input_only.mel)[0]  # [8, T]; every symbol is 6 frames
    inner = diff[:, 9:33]  # well inside symbols 1..5 (away from the ramps)
    expected = (0.5 * 4.0 / 20.0 / torch.tensor(STD)).view(8, 1)
    assert torch.allclose(inner, expected.expand_as(inner), atol=1e-5)
    assert torch.allclose(diff[:, :3], torch.zeros(8, 3), atol=1e-6)  # first symbol: 0 dB


def test_infer_bit_identical_without_energy_and_works_without_mel_config():
    m = make_model(seed=3)
    m.mel_config = MEL_CFG
    base = m.infer(IDS).mel
    assert torch.equal(m.infer(IDS, ProsodyControl()).mel, base)
    zeros = ProsodyControl(energy_db=np.zeros(7, np.float32))
    with_gain = m.infer(IDS, zeros).mel
    m.energy_mel_share = 0.0
    assert torch.equal(m.infer(IDS, zeros).mel, with_gain)  # a 0 dB request adds nothing on the mel
    m.energy_mel_share = 0.1
    louder = m.infer(IDS, ProsodyControl(energy_db=np.full(7, 3.0, np.float32))).mel
    assert float((louder - base).mean()) > 0
    m.mel_config = None  # no MelConfig: only the energy input acts, no error
    out = m.infer(IDS, ProsodyControl(energy_db=np.full(7, 3.0, np.float32)))
    assert out.mel.shape == base.shape
    with pytest.raises(ValueError, match="energy_db"):
        m.infer(IDS, ProsodyControl(energy_db=np.full(7, np.nan, np.float32)))


def test_config_routes_boosts_to_the_mel_and_cuts_to_the_input():
    """energy_boost_via_mel (a bundle's config): a boost leaves the model's energy input alone and
    raises the mel by exactly the requested dB; a cut still moves the input (plus the usual share)."""
    import dataclasses

    from index_tts.acoustic import prosody_math as pm

    base_model = make_model(seed=5)
    cfg = dataclasses.replace(base_model.cfg, energy_boost_via_mel=True)
    m = FastSpeech2(cfg, mel_config=MEL_CFG).eval()
    m.load_state_dict(base_model.state_dict())
    plain = m.infer(IDS)
    db = np.array([0.0, 5.0, 5.0, 5.0, 5.0, 5.0, 0.0], dtype=np.float32)
    loud = m.infer(IDS, ProsodyControl(energy_db=db))
    assert torch.allclose(loud.energy, plain.energy, atol=1e-6)  # the model's energy input did not move
    inner = (loud.mel - plain.mel)[0, :, 9:33]
    expected = (5.0 / 20.0 / torch.tensor(STD)).view(8, 1)
    assert torch.allclose(inner, expected.expand_as(inner), atol=1e-5)
    quiet = m.infer(IDS, ProsodyControl(energy_db=-db))
    assert float((quiet.energy - plain.energy)[0, 1:6].max()) < 0  # a cut moves the input down
    # the numpy arithmetic both backends share
    e = np.zeros((1, 7), np.float32)
    mask = np.ones((1, 7), np.float32)
    ctrl = ProsodyControl(energy_db=np.array([-6, -6, 0, 3, 3, 6, 6], np.float32))
    lin = lambda out, c: c.energy_mean + c.energy_std * out
    moved = 20 * np.log10(lin(pm.controlled_energy(e, mask, cfg, ctrl), cfg) / lin(e, cfg))[0]
    assert np.allclose(moved, [-6, -6, 0, 0, 0, 0, 0], atol=1e-4)
    half = dataclasses.replace(base_model.cfg, energy_input_share=0.5)
    moved = 20 * np.log10(lin(pm.controlled_energy(e, mask, half, ctrl), half) / lin(e, half))[0]
    assert np.allclose(moved, [-3, -3, 0, 1.5, 1.5, 3, 3], atol=1e-4)
    gain = pm.mel_gain_db(np.array([-6.0, 0.0, 6.0]), 0.1, True)
    assert np.allclose(gain, [-0.6, 0.0, 6.0]) and np.allclose(pm.mel_gain_db(np.array([-6.0, 6.0]), 0.1, False), [-0.6, 0.6])
    with pytest.raises(ValueError, match="energy_mel_share"):
        dataclasses.replace(cfg, energy_mel_share=3.0)
