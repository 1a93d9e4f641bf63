"""Long text on the real voice (issue 12): Whisper hears long sentences and run-on text, the cuts
inside a sentence sound like joins (phrase pauses, no sentence-final ending), durations stay natural."""
import pytest

from index_tts.eval import asr

pytestmark = pytest.mark.skipif(not asr.asr_available(), reason="Whisper ASR not installed (requirements-dev.txt)")

LONG = "从智能手机里的语音助手，到医院里辅助医生诊断的影像系统，再到工厂里自动运转的生产线，人工智能已经渗透到社会的方方面面。"
RUN_ON = ("今天我想跟大家聊一聊如何养成良好的阅读习惯很多人都说自己工作太忙没有时间读书其实只要每天抽出二十分钟"
          "就足够了比如早上起床以后或者晚上睡觉之前拿起一本自己感兴趣的书慢慢地读下去")


@pytest.fixture(scope="module")
def default_bundle():
    from index_tts import hub

    return hub.ensure_default_bundle()


def test_safe_length_comes_from_the_bundle(default_bundle, synth):
    assert synth.max_segment_syllables == synth.bundle.inference.max_segment_syllables
    assert synth.info()["max_segment_syllables"] == synth.max_segment_syllables


@pytest.mark.parametrize("text", [LONG, RUN_ON], ids=["commas", "no-punctuation"])
def test_long_sentences_stay_intelligible(default_bundle, synth, text):
    res = synth.synthesize(text, seed=0)
    assert len(res.segments) >= 2
    hyp = asr.transcribe(res.wav, res.sample_rate)
    cer = asr.cer(text, hyp)
    assert cer <= 0.12, f"CER {cer:.3f}: {hyp}"
    # negative control: the same text with the cutting switched off garbles (the reason for it)
    from index_tts import Synthesizer

    uncut = Synthesizer(device="cpu", max_segment_syllables=1000)
    bad = uncut.synthesize(text, seed=0)
    assert len(bad.segments) == 1
    bad_cer = asr.cer(text, asr.transcribe(bad.wav, bad.sample_rate))
    assert bad_cer > cer + 0.05, (cer, bad_cer)


def test_joins_follow_the_punctuation(default_bundle, synth):
    """A cut at a comma gets the comma pause; a cut without punctuation half of it (a short
    phrase pause). Same seed, so the speech is identical and only the pauses differ."""
    def extra(text):
        a = synth.synthesize(text, seed=0, comma_pause=0.3)
        b = synth.synthesize(text, seed=0, comma_pause=0.0)
        assert [s.frames for s in a.segments] == [s.frames for s in b.segments]
        return a.duration_s - b.duration_s, len(a.segments)

    added, n = extra(RUN_ON)  # no punctuation: every join is a phrase join
    assert n >= 3 and added == pytest.approx(0.15 * (n - 1), abs=0.002)
    added, n = extra(LONG)  # three commas, whether cut there or kept inside a segment
    assert n >= 2 and added == pytest.approx(0.3 * 3, abs=0.002)


def test_cut_pieces_keep_their_natural_tempo(default_bundle, synth):
    """Cutting must not speed up or stretch speech: syllables per second of the spoken parts
    stay within 10 % of the same text said as short sentences."""
    res = synth.synthesize(RUN_ON, seed=0, comma_pause=0.0, sentence_pause=0.0)
    frames = sum(s.frames for s in res.segments)
    n_syl = sum(1 for c in RUN_ON if "\u4e00" <= c <= "\u9fff")
    short = "。".join(RUN_ON[i:i + 12] for i in range(0, len(RUN_ON), 12)) + "。"
    ref = synth.synthesize(short, seed=0, comma_pause=0.0, sentence_pause=0.0)
    ref_frames = sum(s.frames for s in ref.segments)
    assert 0.9 <= frames / ref_frames <= 1.15, (frames, ref_frames, n_syl)


def test_slower_speech_gets_shorter_segments(default_bundle, synth):
    """The measured limit is in frames: at speed 0.7 (or a slow emotion) a segment holds fewer
    syllables, so no segment's audio grows past what the voice says well."""
    fast = synth.synthesize(RUN_ON, seed=0)
    slow = synth.synthesize(RUN_ON, seed=0, speed=0.7)
    sad = synth.synthesize(RUN_ON, seed=0, emotion_label="sad", intensity=1.0)
    assert len(slow.segments) > len(fast.segments)
    assert len(sad.segments) > len(fast.segments)
    longest = max(s.frames for s in fast.segments)
    assert max(s.frames for s in slow.segments) <= longest * 1.15
