"""The clone's timbre map (``index_tts/encoders/timbre.py``) on synthetic mels with known statistics."""
from __future__ import annotations

import numpy as np
import pytest

from index_tts.audio.mel_config import MelConfig
from index_tts.encoders.timbre import TimbreConfig, TimbreMap, TimbreRunner, fit_timbre_map, speech_frames
from index_tts.encoders import timbre as tb

N_MELS = 80


def _cfg(normalised: bool = True) -> MelConfig:
    if not normalised:
        return MelConfig(n_mels=N_MELS)
    rng = np.random.default_rng(5)
    return MelConfig(n_mels=N_MELS, mel_mean=tuple(rng.uniform(-2.5, -1.0, N_MELS)),
                     mel_std=tuple(rng.uniform(0.5, 0.9, N_MELS)))


def _frames(rng, n_frames: int, scale: float, tilt: float, pause_db: float | None = None) -> np.ndarray:
    """Raw log mels [80, T]: a smooth random envelope per frame (low cepstra) plus fine ripple;
    ``pause_db``: the last quarter of the frames are pauses that much quieter (a reference clip)."""
    ceps = np.zeros((N_MELS, n_frames))
    ceps[0] = -14.0 + 0.5 * rng.standard_normal(n_frames)
    if pause_db is not None:
        ceps[0, -n_frames // 4:] -= pause_db / 20.0 * np.sqrt(N_MELS)  # c0 = sqrt(80) x mean log10 level
    ceps[1] = tilt + scale * rng.standard_normal(n_frames)
    ceps[2:24] = scale * rng.standard_normal((22, n_frames)) / np.arange(2, 24)[:, None]
    ceps[24:] = 0.05 * rng.standard_normal((N_MELS - 24, n_frames))
    return tb._inverse_cepstrum(ceps)


def _model_space(raw: np.ndarray, cfg: MelConfig) -> np.ndarray:
    return tb._normalised(raw, cfg).astype(np.float32)


def _low_stats(mel: np.ndarray, cfg: MelConfig, n: int = 24):
    c = tb._cepstrum(tb._raw(mel, cfg))[:n]
    return c.mean(axis=1), np.cov(c)


@pytest.mark.parametrize("normalised", [True, False])
def test_the_map_gives_the_model_frames_the_references_envelope_statistics(normalised):
    cfg, rng = _cfg(normalised), np.random.default_rng(0)
    model = _model_space(_frames(rng, 600, 0.6, tilt=2.0), cfg)
    ref = _model_space(_frames(rng, 500, 1.2, tilt=-3.0, pause_db=60), cfg)
    tmap = fit_timbre_map(model, ref, cfg, TimbreConfig(n_ceps=24, ridge=0.0))
    assert tmap is not None and tmap.matrix.shape == (24, 24)
    mapped = tmap.apply(model)
    assert mapped.shape == model.shape and mapped.dtype == np.float32
    speech = ref[:, speech_frames(ref, cfg)]
    assert speech.shape[1] == 375  # the pauses are not speech
    (m_ref, c_ref), (m_before, _), (m_after, c_after) = (_low_stats(x, cfg) for x in (speech, model, mapped))
    assert np.abs(m_after - m_ref).max() < 1e-2 < np.abs(m_before - m_ref).max()
    assert np.abs(c_after - c_ref).max() < 0.05 * np.abs(c_ref).max()
    # the fine structure above the envelope (the model's harmonics) is left as it was
    hi = lambda x: tb._cepstrum(tb._raw(x, cfg))[24:]  # noqa: E731
    np.testing.assert_allclose(hi(mapped), hi(model), atol=1e-3)


def test_strength_zero_is_the_identity_and_half_is_halfway():
    cfg, rng = _cfg(), np.random.default_rng(1)
    model = _model_space(_frames(rng, 300, 0.6, 2.0), cfg)
    ref = _model_space(_frames(rng, 300, 0.6, -3.0, pause_db=60), cfg)
    full = fit_timbre_map(model, ref, cfg, TimbreConfig(strength=1.0))
    none = TimbreMap(full.matrix, full.bias, 0.0, cfg)
    half = TimbreMap(full.matrix, full.bias, 0.5, cfg)
    assert np.array_equal(none.apply(model), model)
    np.testing.assert_allclose(half.apply(model), 0.5 * (model + full.apply(model)), atol=1e-4)


def test_frame_local_pieces_map_like_the_whole_and_batches_work():
    cfg, rng = _cfg(), np.random.default_rng(2)
    model = _model_space(_frames(rng, 200, 0.6, 2.0), cfg)
    tmap = fit_timbre_map(model, _model_space(_frames(rng, 200, 0.9, 0.0, pause_db=60), cfg), cfg)
    whole = tmap.apply(model)
    pieces = np.concatenate([tmap.apply(model[:, :70]), tmap.apply(model[:, 70:])], axis=1)
    np.testing.assert_allclose(pieces, whole, atol=1e-5)
    np.testing.assert_allclose(tmap.apply(model[None])[0], whole, atol=1e-6)
    with pytest.raises(ValueError):
        tmap.apply(model[0])


def test_silence_and_too_little_speech_give_no_map():
    cfg, rng = _cfg(), np.random.default_rng(3)
    model = _model_space(_frames(rng, 200, 0.6, 2.0), cfg)
    short = _model_space(_frames(rng, 20, 0.6, 2.0, pause_db=60), cfg)
    assert fit_timbre_map(model, short, cfg) is None
    # a clip whose frames are all 60 dB below one loud click: one speech frame only
    quiet = _frames(rng, 300, 0.6, 2.0) - 3.0
    quiet[:, 150] += 6.0
    assert speech_frames(_model_space(quiet, cfg), cfg).sum() == 1
    assert fit_timbre_map(model, _model_space(quiet, cfg), cfg) is None
    with pytest.raises(ValueError):
        fit_timbre_map(model[:40], model[:40], cfg)


def test_the_maps_gain_is_held_within_max_gain():
    cfg, rng = _cfg(), np.random.default_rng(4)
    model = _model_space(_frames(rng, 400, 0.05, 2.0), cfg)  # nearly constant envelope
    ref = _model_space(_frames(rng, 400, 3.0, 2.0, pause_db=60), cfg)  # a wildly varying one
    tmap = fit_timbre_map(model, ref, cfg, TimbreConfig(max_gain=4.0, ridge=0.0))
    assert np.linalg.svd(tmap.matrix, compute_uv=False).max() <= 4.0 + 1e-4
    for bad in (dict(strength=1.5), dict(n_ceps=0), dict(max_gain=0.5)):
        with pytest.raises(ValueError):
            TimbreConfig(**bad)
    assert TimbreConfig.from_dict(TimbreConfig(n_ceps=16).to_dict()).n_ceps == 16
    with pytest.raises(ValueError):
        TimbreConfig(noisy_db=30.0, clean_db=25.0)


def test_a_noisy_clip_gets_a_weaker_map_or_none():
    """Pauses 60 dB down: the full map; a noise floor 21 dB down: a weaker one; 15 dB down: no map."""
    cfg = _cfg()
    model = _model_space(_frames(np.random.default_rng(7), 300, 0.6, 2.0), cfg)
    strengths = []
    for floor in (60.0, 21.0, 15.0):
        ref = _model_space(_frames(np.random.default_rng(8), 400, 0.6, -2.0, pause_db=floor), cfg)
        dr = tb.dynamic_range_db(ref, cfg)
        assert abs(dr - floor) < 4.0, (floor, dr)
        tmap = fit_timbre_map(model, ref, cfg)
        strengths.append(None if tmap is None else tmap.strength)
    assert strengths[0] == 1.0 and 0.2 < strengths[1] < 0.9 and strengths[2] is None, strengths


def test_a_clean_clip_without_pauses_is_not_taken_for_a_noisy_one():
    """A clip cut from running speech has no pauses, only short stop closures (here 3 % of the
    frames, 45 dB down): clean, the full map. The same closures held up by a noise floor 15 dB
    down: no map."""
    cfg = _cfg()
    model = _model_space(_frames(np.random.default_rng(7), 300, 0.6, 2.0), cfg)
    strengths = []
    for floor in (45.0, 15.0):
        raw = _frames(np.random.default_rng(9), 400, 0.6, -2.0)
        closures = np.random.default_rng(10).choice(400, 12, replace=False)
        raw[:, closures] -= floor / tb._db(cfg)
        ref = _model_space(raw, cfg)
        assert abs(tb.dynamic_range_db(ref, cfg) - floor) < 4.0
        tmap = fit_timbre_map(model, ref, cfg)
        strengths.append(None if tmap is None else tmap.strength)
    assert strengths == [1.0, None], strengths


def test_a_band_limited_clip_maps_only_the_bands_it_covers():
    """Telephone audio has nothing in the top bands (here the top 16 of 80 sit 120 dB down): the
    map covers the 64 bands below, and the model's frames keep their own top bands (their shape;
    their level follows the edge) instead of taking the clip's silence. A full-band clip's map
    covers everything."""
    cfg = _cfg()
    rng = np.random.default_rng(11)
    model_raw = _frames(rng, 300, 0.6, 2.0)
    model = _model_space(model_raw, cfg)
    full = _frames(np.random.default_rng(12), 400, 0.6, -2.0, pause_db=60)
    phone = full.copy()
    phone[64:] = full[64:].min() - 120.0 / tb._db(cfg)
    assert tb.covered_bands(_model_space(full, cfg), cfg) == N_MELS
    assert tb.covered_bands(_model_space(phone, cfg), cfg) == 64
    assert fit_timbre_map(model, _model_space(full, cfg), cfg).n_bands == 0
    tmap = fit_timbre_map(model, _model_space(phone, cfg), cfg)
    assert tmap.n_bands == 64 and tmap.n_ceps == round(24 * 64 / N_MELS)
    out = tb._raw(tmap.apply(model), cfg)
    top_change = out[64:] - model_raw[64:]
    assert np.abs(top_change - top_change.mean(axis=0)).max() < 1e-3  # the shape of the top is the model's
    db = tb._db(cfg)
    assert (out[64:].mean() - model_raw[64:].mean()) * db > -20.0  # not pulled down to the clip's empty bands
    # the covered bands take the clip's mean envelope (its speech frames), as for a full-band clip
    ref = _model_space(phone, cfg)
    want = tb._raw(ref, cfg)[:64, tb.speech_frames(ref, cfg)].mean(axis=1)
    before = np.abs(model_raw[:64].mean(axis=1) - want).mean()
    assert np.abs(out[:64].mean(axis=1) - want).mean() < 0.1 * before


def test_the_runner_maps_only_what_it_vocodes():
    cfg, rng = _cfg(), np.random.default_rng(6)
    model = _model_space(_frames(rng, 100, 0.6, 2.0), cfg)
    tmap = fit_timbre_map(model, _model_space(_frames(rng, 100, 0.6, -2.0, pause_db=60), cfg), cfg)

    class Runner:
        backend = "torch"

        def vocode(self, mel):
            return mel.copy()

        def mel(self, *args):
            return "untouched"

    wrapped = TimbreRunner(Runner(), tmap)
    assert wrapped.backend == "torch" and wrapped.mel(1, 2) == "untouched"
    np.testing.assert_allclose(wrapped.vocode(model[None]), tmap.apply(model[None]), atol=1e-6)


def test_the_capture_runner_records_mels_and_vocodes_silence_of_the_right_length():
    from index_tts.encoders.timbre import CaptureRunner

    class Runner:
        def mel(self, ids, *rest):
            return np.ones((1, N_MELS, len(ids)), np.float32), np.ones(len(ids), np.int64)

    into: list = []
    cap = CaptureRunner(Runner(), into, hop_length=300)
    mel, dur = cap.mel([1, 2, 3], None)
    assert mel.shape == (1, N_MELS, 3) and len(into) == 1 and into[0].shape == (N_MELS, 3)
    wav = cap.vocode(mel)
    assert wav.shape == (900,) and not wav.any()
