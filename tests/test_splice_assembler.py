"""SegmentAssembler: a segment's own audio is the same whether fed whole or in pieces, pauses
land on comma breaks with fades on both sides, and the look-ahead context is cut with a fade."""
import numpy as np
import pytest

from index_tts.audio.splice import FADE_S, JOIN_FADE_S, SegmentAssembler, segment_body

SR, HOP = 24000, 300


def _case(context: bool):
    phones = ["sil", "n", "i3", "#3", "h", "ao3", "#3", "m", "a5", "#1", "x", "ie4", "sil", "eos"]
    durations = np.array([5, 4, 10, 0, 6, 12, 0, 5, 9, 0, 6, 11, 8, 0])
    raw = np.random.default_rng(0).uniform(-0.5, 0.5, int(durations.sum()) * HOP).astype(np.float32)
    return phones, durations, (9 if context else None), raw


@pytest.mark.parametrize("context", [False, True])
def test_pieces_equal_whole(context):
    phones, durations, ctx, raw = _case(context)
    whole, kept = segment_body(raw, phones, durations, ctx, 0.15, HOP, SR)
    rng = np.random.default_rng(1)
    asm = SegmentAssembler(phones, durations, ctx, 0.15, HOP, SR, len(raw))
    out, p = [], 0
    while p < len(raw):
        n = int(rng.integers(1, 4000))
        out.append(asm.feed(raw[p:p + n]))
        p += n
    assert np.array_equal(np.concatenate(out), whole)
    assert kept.tolist() == durations[:ctx].tolist() if ctx else kept.tolist() == durations.tolist()


def test_pauses_and_fades_land_on_breaks():
    phones, durations, _, raw = _case(False)
    pause = 0.15
    out, _ = segment_body(raw, phones, durations, None, pause, HOP, SR)
    n_pause, fade = int(pause * SR), int(FADE_S * SR)
    ends = np.cumsum(durations) * HOP
    cuts = [int(ends[i]) for i, ph in enumerate(phones) if ph == "#3"]
    assert len(out) == len(raw) + len(cuts) * n_pause
    for k, cut in enumerate(cuts):
        at = cut + k * n_pause  # where the pause starts in the output
        assert np.all(out[at:at + n_pause] == 0)
        assert out[at - 1] == 0 and abs(out[at - fade // 2]) < abs(raw[cut - fade // 2])  # faded out into the pause
        assert out[at + n_pause] == 0  # faded back in: the first sample after the pause is silent
        mid = at + n_pause + fade + 10  # past the fade: the audio itself
        assert out[mid] == raw[cut + fade + 10]
    assert np.array_equal(out[:cuts[0] - fade], raw[:cuts[0] - fade])  # untouched away from the breaks


def test_context_is_cut_with_a_fade_and_no_pause_means_no_change():
    phones, durations, ctx, raw = _case(True)
    out, kept = segment_body(raw, phones, durations, ctx, 0.0, HOP, SR)
    end = int(durations[:ctx].sum()) * HOP
    assert len(out) == end  # the look-ahead context is gone, no pauses were asked for
    k = int(JOIN_FADE_S * SR)
    assert np.array_equal(out[:end - k], raw[:end - k])
    assert abs(out[-1]) < 1e-3 * abs(raw[end - 1]) + 1e-9
    assert np.all(np.abs(out[end - k:]) <= np.abs(raw[end - k:end]) + 1e-9)


def test_samples_past_the_end_are_dropped_and_empty_pieces_are_fine():
    phones, durations, ctx, raw = _case(True)
    asm = SegmentAssembler(phones, durations, ctx, 0.1, HOP, SR, len(raw))
    first = asm.feed(raw[:0])
    rest = asm.feed(raw)
    assert len(first) == 0
    assert len(asm.feed(raw[:100])) == 0  # beyond the kept end
    whole, _ = segment_body(raw, phones, durations, ctx, 0.1, HOP, SR)
    assert np.array_equal(rest, whole)
