"""The Kokoro graph opened at its prosody predictor (index_tts/engines/kokoro_graph.py).

Pure-numpy checks of how a ProsodyControl becomes per-token inputs, then the real graph: neutral
inputs give the stock graph's audio sample for sample, and pitch, range, energy and duration
inputs move what they should. The bundle is built on first use; without it those tests skip.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from index_tts.acoustic.controls import ProsodyControl
from index_tts.engines.kokoro_graph import (CONTROL_INPUTS, DB_PER_UNIT, ENERGY_LIMIT, apply_gain, char_controls,
                                            neutral_inputs, padded_inputs, piece_offsets)
from index_tts.importers import kokoro_zh

TEXT = "今天下午我们一起去公园散步，好不好？"


def test_char_controls_read_each_owner_and_route_energy():
    ctl = ProsodyControl(pitch_shift=np.array([0.0, 2.0, -1.0], np.float32),
                         energy_db=np.array([0.0, 1.0, 100.0], np.float32))
    chars = char_controls(ctl, [0, 1, 1, 2, 5], n_symbols=3)  # an owner past the end is held at the last
    assert chars["pitch_shift"].tolist() == [0.0, 2.0, 2.0, -1.0, -1.0]
    assert chars["gain_db"].tolist() == [0.0, 1.0, 1.0, 100.0, 100.0] and not chars["energy"].any()
    effort = char_controls(ctl, [0, 1, 1, 2, 5], n_symbols=3, energy_via="effort")
    assert effort["energy"][1] == pytest.approx(1.0 / DB_PER_UNIT) and not effort["gain_db"].any()
    assert effort["energy"][3] == ENERGY_LIMIT  # 100 dB is held at the graph's limit
    assert chars["pitch_range"].tolist() == [1.0] * 5 and chars["duration_scale"].tolist() == [1.0] * 5
    assert char_controls(ProsodyControl(speed=1.3), [0, 1], 2) is None  # nothing per token: neutral


def test_padded_inputs_give_the_pads_their_neighbours_pitch_not_their_length():
    chars = {k: np.arange(4, dtype=np.float32) + 10 for k in CONTROL_INPUTS}
    out = padded_inputs(chars, 1, 3)
    assert out["pitch_shift"].tolist() == [11, 11, 12, 12]
    assert out["duration_scale"].tolist() == [1, 11, 12, 1]
    assert {k: v.tolist() for k, v in padded_inputs(None, 0, 2).items()} == \
        {k: v.tolist() for k, v in neutral_inputs(4).items()}


def test_apply_gain_follows_each_tokens_samples():
    wav = np.ones(10 * 600, np.float32)
    out = apply_gain(wav, np.array([2, 3, 5]), np.array([0.0, 6.0, -6.0]), smooth_s=0.001)
    assert out[:1100] == pytest.approx(1.0) and out[1300:2900] == pytest.approx(10 ** 0.3, rel=1e-3)
    assert out[3100:] == pytest.approx(10 ** -0.3, rel=1e-3)
    ramp = apply_gain(wav, np.array([5, 5]), np.array([0.0, 20.0]))  # 20 ms smoothing: no jump at the join
    assert np.abs(np.diff(ramp)).max() < 0.01 * (10.0 - 1.0)  # the 9x jump spread over ~480 samples
    assert apply_gain(wav, np.array([5, 5]), np.zeros(2)) is wav


def test_limit_peaks_keeps_the_loudness_away_from_the_peaks():
    from index_tts.engines.kokoro_timing import limit_peaks

    t = np.arange(24000) / 24000
    wav = (0.5 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    wav[12000:12010] = 1.5  # one click over full scale
    out = limit_peaks(wav, 0.95)
    assert np.abs(out).max() <= 0.95 + 1e-6
    assert np.array_equal(out[:10000], wav[:10000]) and np.array_equal(out[14000:], wav[14000:])
    quiet = wav.copy()
    quiet[12000:12010] = 0.9
    assert limit_peaks(quiet, 0.95) is quiet


def test_piece_offsets_follow_the_pieces_in_order():
    assert piece_offsets("ab, cd, ab.", ["ab,", "cd,", "ab."]) == [0, 4, 8]
    assert piece_offsets("ab, cd", ["cd", "ab"]) is None


@pytest.fixture(scope="module")
def engine(kokoro_engine):
    return kokoro_engine


@pytest.fixture(scope="module")
def segment():
    from index_tts.frontend import Frontend

    return Frontend()(TEXT).segments[0]


def _f0(wav: np.ndarray) -> np.ndarray:
    import pyworld

    w = wav.astype(np.float64)
    f0, t = pyworld.dio(w, 24000, f0_floor=50.0)
    f0 = pyworld.stonemask(w, f0, t, 24000)
    return 12.0 * np.log2(f0[f0 > 0])


def _db(wav: np.ndarray) -> float:
    loud = wav[np.abs(wav) > 0.01 * np.abs(wav).max()]
    return float(20 * np.log10(np.sqrt(np.mean(loud ** 2))))


def test_neutral_inputs_reproduce_the_stock_graph(engine, segment):
    import onnxruntime as ort

    from index_tts.frontend.kokoro_phonemes import segment_phonemes, tokenize

    assert engine.session is not None and engine.graph_info.controls and engine.graph_info.durations
    ids = tokenize(segment_phonemes(segment), engine.vocab)
    feed = {"tokens": np.array([[0, *ids, 0]], np.int64),
            "style": engine.style_table("zf_xiaoxiao")[len(ids)][None].astype(np.float32),
            "speed": np.array([1.0], np.float32)}
    stock = ort.InferenceSession(str(engine.bundle_dir / engine.config["model"]["file"]),
                                 providers=["CPUExecutionProvider"])
    want = stock.run(None, feed)[0].ravel()
    got = engine.session.run(None, {**feed, **neutral_inputs(len(ids) + 2)})[0].ravel()
    assert got.shape == want.shape and np.array_equal(got, want)


def test_pitch_range_energy_and_duration_inputs_move_the_voice(engine, segment):
    base = engine.render_segment(segment, "zf_xiaoxiao")
    n = len(segment.ids)
    up = engine.render_segment(segment, "zf_xiaoxiao", control=ProsodyControl(pitch_shift=np.full(n, 4.0)))
    assert len(up) == len(base)  # pitch does not touch the durations
    assert np.median(_f0(up)) - np.median(_f0(base)) == pytest.approx(4.0, abs=1.2)
    wide = engine.render_segment(segment, "zf_xiaoxiao", control=ProsodyControl(pitch_range=np.full(n, 1.6)))
    spread = lambda w: np.percentile(_f0(w), 90) - np.percentile(_f0(w), 10)
    assert spread(wide) > spread(base) + 2.0
    loud = engine.render_segment(segment, "zf_xiaoxiao", control=ProsodyControl(energy_db=np.full(n, 3.0)))
    assert _db(loud) - _db(base) > 1.5
    slow = engine.render_segment(segment, "zf_xiaoxiao", control=ProsodyControl(duration_scale=np.full(n, 1.3)))
    assert 1.2 < len(slow) / len(base) < 1.45
    # a per-symbol shift lands on its own syllable: only the last two symbols raised
    tail = np.zeros(n, np.float32)
    tail[-3:] = 6.0
    rise = engine.render_segment(segment, "zf_xiaoxiao", control=ProsodyControl(pitch_shift=tail))
    head = slice(0, len(base) // 2)
    assert abs(np.median(_f0(rise[head])) - np.median(_f0(base[head]))) < 0.5
    assert np.median(_f0(rise[-len(base) // 6:])) > np.median(_f0(base[-len(base) // 6:])) + 2.0


def test_an_old_config_keeps_the_stock_inputs_until_refreshed(engine, tmp_path):
    """A bundle built before the prosody inputs: the engine leaves its graph as it was (speed
    only, the voices say they lack pitch); the importer's refresh brings the config up to date
    in place, without a download."""
    import shutil

    from index_tts.engines.kokoro import KokoroEngine
    from index_tts.hub import write_manifest

    old = tmp_path / "kokoro-zh"
    old.mkdir()
    for p in engine.bundle_dir.iterdir():
        (old / p.name).symlink_to(p) if p.suffix == ".onnx" else shutil.copy(p, old / p.name)
    cfg = json.loads((old / "config.json").read_text(encoding="utf-8"))
    cfg["model"].pop("prosody_inputs", None)
    for v in cfg["voices"].values():
        v["lacks"] = ["pitch", "emotion pitch/energy (only the emotion's speaking rate applies)"] + v["lacks"]
    (old / "config.json").write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    write_manifest(old)
    stale = KokoroEngine(old, threads=1)
    assert stale.session is not None and not stale.graph_info.controls
    assert not kokoro_zh.is_current(old)
    assert kokoro_zh.refresh(old) and kokoro_zh.is_current(old)
    fresh = KokoroEngine(old, threads=1)
    assert fresh.session is not None and fresh.graph_info.controls
    assert all("pitch" not in v.lacks for v in fresh.voices.values())


def test_the_teacher_corpus_reader_runs_the_opened_graph_neutrally(engine, segment):
    """The corpus tool reads with the engine's (opened) graph: neutral prosody, durations out; its
    symbol durations cover the clip."""
    from index_tts.train.teacher_corpus import TeacherReader

    reader = TeacherReader(threads=1)
    reader._engine = engine
    wav, durations = reader.read(segment, engine.style_table("zf_xiaoxiao"))
    from index_tts.frontend.kokoro_phonemes import aligned_phonemes, tokenize

    ids = tokenize(aligned_phonemes(segment.phones, segment.sentence_type, segment.word_index)[0], engine.vocab)
    style = engine.style_table("zf_xiaoxiao")[len(ids)][None]
    assert np.array_equal(wav, np.asarray(engine.run_tokens(ids, style, 1.0)[0]).ravel())  # neutral inputs
    assert wav.size > 24000 and len(durations) == len(segment.phones)
    assert int(np.sum(durations)) == wav.size // 300 + 1
