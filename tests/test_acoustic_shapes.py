"""FastSpeech2 on tiny random configs: shapes, conditioning, prosody controls, errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from index_tts.acoustic import FastSpeech2, FastSpeech2Config, ProsodyControl, SequenceTooLongError
from index_tts.acoustic.length_regulator import frame_index, regulate_length


def tiny_cfg(**kw) -> FastSpeech2Config:
    base = dict(vocab_size=12, n_mels=8, hidden=16, heads=2, head_dim=4, ffn_dim=32, predictor_channels=16,
                postnet_channels=16, postnet_layers=3, encoder_layers=1, decoder_layers=1, max_positions=64,
                f0_mean_hz=200.0, f0_std_hz=50.0, energy_mean=10.0, energy_std=4.0)
    base.update(kw)
    return FastSpeech2Config(**base)


def make_model(seed: int = 0, frames: float | None = 8.0, **kw) -> FastSpeech2:
    torch.manual_seed(seed)
    m = FastSpeech2(tiny_cfg(**kw)).eval()
    if frames is not None:  # make the duration predictor output exactly log(frames + 1)
        proj = m.variance.duration_predictor.proj
        with torch.no_grad():
            proj.weight.zero_()
            proj.bias.fill_(math.log(frames + 1.0))
    return m


IDS = torch.tensor([[1, 5, 3, 7, 9, 2, 11]])


def test_infer_shapes_and_types():
    m = make_model()
    out = m.infer(IDS)
    assert out.mel.shape == (1, 8, int(out.durations.sum()))
    assert out.durations.dtype == torch.long and out.durations.shape == (1, 7)
    assert torch.all(out.durations == 8)
    assert out.f0.shape == (1, 7) and out.energy.shape == (1, 7)
    assert int(out.mel_lens[0]) == out.mel.shape[2]


def test_forward_teacher_forced_batch_shapes():
    m = make_model()
    ids = torch.tensor([[1, 5, 3, 7, 9], [2, 4, 6, 0, 0]])
    dur = torch.tensor([[2, 3, 1, 4, 2], [1, 1, 2, 0, 0]])
    out = m.forward(ids, torch.tensor([5, 3]), dur, torch.randn(2, 5), torch.randn(2, 5))
    assert out.mel_after.shape == (2, 8, 12) and out.mel_before.shape == (2, 8, 12)
    assert out.log_duration_pred.shape == (2, 5)
    assert out.mel_mask.sum(1).tolist() == [12, 4]
    assert out.src_mask.sum(1).tolist() == [5, 3]
    # padded frames are zero after the postnet residual is masked
    assert torch.all(out.mel_after[1, :, 4:] == out.mel_before[1, :, 4:])


def test_length_regulator_matches_repeat_interleave():
    g = torch.Generator().manual_seed(3)
    d = torch.randint(0, 5, (3, 6), generator=g)
    h = torch.randn(3, 6, 4, generator=g)
    frames, mask = regulate_length(h, d)
    for b in range(3):
        ref = torch.repeat_interleave(h[b], d[b], dim=0)
        n = ref.shape[0]
        assert torch.equal(frames[b, :n], ref)
        assert mask[b].sum() == n and torch.all(frames[b, n:] == 0)
    idx, _ = frame_index(torch.tensor([[0, 2, 1]]))
    assert idx.tolist() == [[1, 1, 2]]


def test_speed_two_halves_frames():
    m = make_model(frames=8.0)
    base = m.infer(IDS).durations
    fast = m.infer(IDS, ProsodyControl(speed=2.0)).durations
    assert torch.all(fast * 2 == base)


def test_duration_scale_changes_only_that_symbol():
    m = make_model(frames=None, seed=4)
    with torch.no_grad():
        m.variance.duration_predictor.proj.bias.fill_(math.log(7.0))
    base = m.infer(IDS).durations[0]
    scale = np.ones(7, dtype=np.float32)
    scale[3] = 2.0
    out = m.infer(IDS, ProsodyControl(duration_scale=scale)).durations[0]
    changed = (out != base).nonzero().flatten().tolist()
    assert changed == [3]
    assert out[3] > base[3]


def test_pitch_shift_octave_in_model_units():
    m = make_model(seed=1)
    cfg = m.cfg
    base = m.infer(IDS).f0
    up = m.infer(IDS, ProsodyControl(pitch_shift=np.full(7, 12.0))).f0
    hz_base = cfg.f0_mean_hz + cfg.f0_std_hz * base
    hz_up = cfg.f0_mean_hz + cfg.f0_std_hz * up
    assert torch.all(hz_base > cfg.f0_floor_hz)
    assert torch.allclose(hz_up, 2.0 * hz_base, rtol=1e-4)
    # the mel changes too (the controlled f0 is what gets embedded)
    assert not torch.allclose(m.infer(IDS).mel, m.infer(IDS, ProsodyControl(pitch_shift=np.full(7, 12.0))).mel)


def test_pitch_range_zero_flattens_and_one_is_identity():
    m = make_model(seed=2)
    cfg = m.cfg
    base = m.infer(IDS).f0
    same = m.infer(IDS, ProsodyControl(pitch_range=np.ones(7))).f0
    assert torch.allclose(same, base, atol=1e-4)
    flat = m.infer(IDS, ProsodyControl(pitch_range=np.zeros(7))).f0
    hz = cfg.f0_mean_hz + cfg.f0_std_hz * flat
    assert float(hz.max() - hz.min()) < 1e-2
    wide = m.infer(IDS, ProsodyControl(pitch_range=np.full(7, 2.0))).f0
    assert float(wide.std()) > float(base.std())


def test_energy_db_scales_linear_energy():
    m = make_model(seed=5)
    cfg = m.cfg
    base = m.infer(IDS).energy
    loud = m.infer(IDS, ProsodyControl(energy_db=np.full(7, 6.0))).energy
    lin_b = cfg.energy_mean + cfg.energy_std * base
    lin_l = cfg.energy_mean + cfg.energy_std * loud
    assert torch.allclose(lin_l, lin_b * 10 ** (6 / 20), rtol=1e-4)


def test_zero_durations_never_empty():
    m = make_model(frames=0.0)
    out = m.infer(IDS)
    assert int(out.durations.sum()) >= 1 and out.mel.shape[2] >= 1
    slow = m.infer(IDS, ProsodyControl(speed=10.0))
    assert int(slow.durations.sum()) >= 1


def test_speaker_and_emotion_change_output():
    m = make_model(speaker_embed_dim=4, emotion_dim=3, frames=4.0, seed=6)
    a = m.infer(IDS, speaker=torch.zeros(1, 4), emotion=torch.zeros(1, 3))
    b = m.infer(IDS, speaker=torch.ones(1, 4), emotion=torch.zeros(1, 3))
    c = m.infer(IDS, speaker=torch.zeros(1, 4), emotion=torch.ones(1, 3))
    for other in (b, c):
        assert not torch.allclose(a.f0, other.f0)
        assert not torch.allclose(a.mel, other.mel)
    with pytest.raises(ValueError):
        m.infer(IDS, speaker=torch.zeros(1, 5))
    with pytest.raises(ValueError):
        make_model().infer(IDS, speaker=torch.zeros(1, 4))


def test_variance_dropout_seedable():
    m = make_model(seed=7)
    det1, det2 = m.infer(IDS).mel, m.infer(IDS).mel
    assert torch.equal(det1, det2)
    s1 = m.infer(IDS, variance_dropout=True, generator=torch.Generator().manual_seed(1)).mel
    s1b = m.infer(IDS, variance_dropout=True, generator=torch.Generator().manual_seed(1)).mel
    s2 = m.infer(IDS, variance_dropout=True, generator=torch.Generator().manual_seed(2)).mel
    assert torch.equal(s1, s1b)
    assert not torch.allclose(s1, s2)
    assert not torch.allclose(s1, det1)


def test_bad_inputs_raise_value_error():
    m = make_model()
    with pytest.raises(SequenceTooLongError):
        m.infer(torch.ones(1, 64, dtype=torch.long))
    with pytest.raises(SequenceTooLongError):  # 7 symbols x 10 frames > 63 positions
        make_model(frames=10.0).infer(IDS)
    with pytest.raises(ValueError):
        m.infer(torch.tensor([[1, 99]]))
    with pytest.raises(ValueError):
        m.infer(torch.zeros(1, 0, dtype=torch.long))
    with pytest.raises(ValueError):
        m.infer(IDS, ProsodyControl(pitch_shift=np.zeros(3)))
    with pytest.raises(ValueError):
        m.infer(IDS, ProsodyControl(speed=0.0))
    with pytest.raises(ValueError):
        m.infer(IDS, ProsodyControl(spectral_tilt_db=3.0))  # no MelConfig attached
    with pytest.raises(ValueError):
        tiny_cfg(ffn_kernel=4)


def test_config_round_trip():
    cfg = tiny_cfg(speaker_embed_dim=3)
    assert FastSpeech2Config.from_dict(cfg.to_dict()) == cfg


def test_spectral_tilt_brightens_above_1khz():
    from index_tts.acoustic.tilt import mel_band_centres
    from index_tts.audio.mel import MelConfig

    m = make_model(seed=8)
    cfg = MelConfig(n_mels=8, mel_mean=(0.0,) * 8, mel_std=(0.5,) * 8)
    m.mel_config = cfg
    base = m.infer(IDS).mel
    bright = m.infer(IDS, ProsodyControl(spectral_tilt_db=6.0)).mel
    diff = (bright - base).mean(dim=-1)[0]
    centres = mel_band_centres(cfg)
    low = torch.from_numpy(centres <= 1000.0)
    assert torch.allclose(diff[low], torch.zeros(int(low.sum())), atol=1e-6)
    assert torch.all(diff[~low] > 0) and torch.all(diff[~low][1:] >= diff[~low][:-1])
    # +6 dB per octave: one octave above 1 kHz adds 6 / 20 log10 units, / std in model units
    top = float(np.log2(centres[-1] / 1000.0)) * 6.0 / 20.0 / 0.5
    assert float(diff[-1]) == pytest.approx(top, rel=1e-4)


def test_half_precision_inference_runs():
    m = make_model(seed=9).to(torch.bfloat16)
    out = m.infer(IDS, ProsodyControl(pitch_shift=np.full(7, 2.0), energy_db=np.ones(7)), variance_dropout=True,
                  generator=torch.Generator().manual_seed(0))
    assert out.mel.dtype == torch.bfloat16 and out.mel.shape[2] == int(out.durations.sum())
