"""Word timings from the voices' own durations (SegmentInfo.words): phone durations, Kokoro's phoneme durations."""
import numpy as np
import pytest

from index_tts.audio.splice import SegmentAssembler

SR, HOP = 24000, 300


def test_word_spans_count_inserted_pauses():
    phones = ["sil", "n", "i3", "#3", "h", "ao3", "#1", "m", "a5", "sil", "eos"]
    word_index = [-1, 0, 0, -1, 1, 1, -1, 2, 2, -1, -1]
    durations = np.array([4, 3, 5, 2, 4, 6, 1, 3, 7, 5, 0])
    asm = SegmentAssembler(phones, durations, None, 0.25, HOP, SR, int(durations.sum()) * HOP)
    pause = int(0.25 * SR)
    spans = asm.word_spans(word_index, 3)
    assert spans[0] == (4 * HOP, 12 * HOP)  # before the comma: unshifted
    assert spans[1] == (14 * HOP + pause, 24 * HOP + pause)  # after it: shifted by the pause
    assert spans[2] == (25 * HOP + pause, 35 * HOP + pause)
    none = SegmentAssembler(phones, durations, None, 0.0, HOP, SR, int(durations.sum()) * HOP)
    assert none.word_spans(word_index, 3)[1] == (14 * HOP, 24 * HOP)


@pytest.mark.parametrize("speaker, min_rms", [(None, 0.01), ("zf_xiaoxiao", 0.03)])
def test_words_cover_the_text_and_sit_on_speech(synth, speaker, min_rms):
    """The default voice times words from its phone durations, a Kokoro preset from its graph's
    phoneme durations: every word in order, each on speech, the comma pause between clauses."""
    if speaker is not None:
        from index_tts.importers import kokoro_zh

        try:
            kokoro_zh.ensure_bundle()
        except kokoro_zh.KokoroBuildError as exc:
            pytest.skip(f"kokoro-zh bundle cannot be built here: {exc}")
    text = "今天天气很好，我们一起去公园散步吧。你说呢？"
    res = synth.synthesize(text, seed=0, comma_pause=0.4, speaker=speaker)
    words = [w for s in res.segments for w in s.words]
    norm = "".join(s.normalized for s in res.segments).replace("，", "")
    assert "".join(w.text for w in words) == norm
    starts = [w.start_s for w in words]
    assert starts == sorted(starts) and all(w.end_s > w.start_s for w in words)
    for seg in res.segments:
        assert seg.start_s <= seg.words[0].start_s and seg.words[-1].end_s <= seg.end_s
    # each word's span holds speech; the comma pause lies between 好 and 我们, silent
    for w in words:
        a, b = int(w.start_s * SR), int(w.end_s * SR)
        assert np.sqrt(np.mean(res.wav[a:b] ** 2)) > min_rms, w
    hao, women = words[2], words[3]
    assert (hao.text, women.text) == ("好", "我们")
    gap = res.wav[int(hao.end_s * SR):int(women.start_s * SR)]
    silent = np.flatnonzero(gap == 0)  # the inserted pause is exact silence, all of it inside the gap
    assert women.start_s - hao.end_s >= 0.4 and len(silent) >= int(0.4 * SR) - 1
