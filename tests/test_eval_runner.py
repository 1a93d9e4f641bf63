"""Eval runner and sentence loading with a fake synthesizer and a fake ASR (no models)."""
import json

import numpy as np
import pytest
import soundfile as sf

from index_tts.eval import asr, runner
from index_tts.eval.sentences import BUILTIN_SENTENCES, EvalSentence, default_sentences, load_sentences


class FakeResult:
    def __init__(self, text, sr=24000):
        self.sample_rate = sr
        # duration proportional to text length so RTF aggregation is checkable
        self.wav = (0.1 * np.sin(np.arange(len(text) * 2400) / 10.0)).astype(np.float32)
        self.warnings = ["w"] if "?" in text else []


class FakeTTS:
    def __init__(self):
        self.calls = []

    def synthesize(self, text, **kw):
        self.calls.append((text, kw))
        return FakeResult(text)


HEARD = {"你好世界。": "你好世界", "今天3点。": "今天三点", "我们走吧！": "我们走", "错误很多": "对的很少啊"}


@pytest.fixture()
def tts(monkeypatch):
    fake = FakeTTS()

    def transcribe(wav, sr, beam_size=1):
        assert sr == 24000 and len(wav) == len(FakeResult(fake.calls[-1][0]).wav)
        return HEARD[fake.calls[-1][0]]

    monkeypatch.setattr(asr, "transcribe", transcribe)
    return fake


def test_run_eval_scores_and_writes_report(tmp_path, tts):
    sents = [EvalSentence(f"s{i}", "cat", t) for i, t in enumerate(HEARD)]
    rep = runner.run_eval(sents, tts, tmp_path, emotion="happy", intensity=0.3, model_name="fake", seed=7)
    assert [c[1] for c in tts.calls] == [{"emotion_label": "happy", "intensity": 0.3, "seed": 7}] * 4
    cers = {s.id: s.cer for s in rep.sentences}
    assert cers["s0"] == 0.0 and cers["s1"] == 0.0
    assert cers["s2"] == pytest.approx(1 / 4)
    assert cers["s3"] == pytest.approx(4 / 4)  # 3 substitutions + 1 insertion over 4 chars
    assert rep.cer == pytest.approx((0 + 0 + 1 + 4) / (4 + 4 + 4 + 4))
    assert rep.mean_cer == pytest.approx(np.mean([0, 0, 0.25, 1.0]))
    assert rep.homophones == 0 and rep.cer_without_homophones == pytest.approx(rep.cer)
    assert rep.rtf > 0 and rep.sentences[0].audio_s == pytest.approx(0.5)
    assert [s.id for s in rep.worst(2)] == ["s3", "s2"]
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["worst"][:2] == ["s3", "s2"] and data["emotion"] == "happy"
    assert data["sentences"][1]["hyp_norm"] == "今天三点"
    worst = (tmp_path / "worst.txt").read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[:3] for line in worst[1:]] == [["s3", "cat", "1.0000"], ["s2", "cat", "0.2500"]]
    assert "2 of 4 sentences with errors" in worst[0]
    assert len(runner.format_worst(rep, n=3).splitlines()) == 4
    assert sf.info(str(tmp_path / "wavs" / "s0.wav")).samplerate == 24000
    runner.run_eval(sents[:1], tts, tmp_path / "v", model_name="fake", voice="yunxi")
    assert tts.calls[-1][1] == {"speaker": "yunxi"}  # a voice reaches the synthesizer; no emotion, no seed
    runner.run_eval(sents[:1], tts, tmp_path / "x", model_name="fake", extra={"speed": 0.9})
    assert tts.calls[-1][1] == {"speed": 0.9}  # further request fields pass as they are


def test_eval_cli_speed_and_pitch_range_become_request_fields():
    from index_tts.encoders.emotion import NEUTRAL_CONTROL, EmotionControl
    from index_tts.eval.__main__ import build_parser, request_extras

    p = build_parser()
    assert request_extras(p.parse_args([])) == {}
    extra = request_extras(p.parse_args(["--speed", "0.9", "--pitch-range", "1.2"]))
    assert extra["speed"] == 0.9
    ctrl = extra["emotion_control"]
    assert isinstance(ctrl, EmotionControl) and ctrl.pitch_range == 1.2
    assert ctrl.rate == NEUTRAL_CONTROL.rate and ctrl.pitch_shift_st == NEUTRAL_CONTROL.pitch_shift_st
    with pytest.raises(ValueError, match="emotion"):
        request_extras(p.parse_args(["--pitch-range", "1.2", "--emotion", "sad"]))
    with pytest.raises(ValueError, match="0.35"):
        request_extras(p.parse_args(["--pitch-range", "5"]))


def test_summarize_counts_homophones():
    def result(sid, ref, hyp, edits):
        return runner.SentenceResult(id=sid, category="c", text=ref, hypothesis=hyp, ref_norm=ref, hyp_norm=hyp,
                                     edits=edits, ref_len=len(ref), cer=edits / len(ref), audio_s=1.0, synth_s=0.1,
                                     rtf=0.1)

    rep = runner.summarize([result("a", "第一章雨夜", "第一张雨月", 2), result("b", "坐在灯下", "坐在灯下", 0)],
                           model="x", emotion=None, sentences_source="")
    assert rep.homophones == 1  # 章→张 is; 夜→月 is another syllable
    assert rep.cer == pytest.approx(2 / 9) and rep.cer_without_homophones == pytest.approx(1 / 9)
    assert rep.to_dict()["cer_without_homophones"] == pytest.approx(1 / 9)


def test_summarize_rejects_empty():
    with pytest.raises(ValueError):
        runner.summarize([], model="x", emotion=None, sentences_source="")


def test_load_sentences(tmp_path):
    p = tmp_path / "s.tsv"
    p.write_text("# comment\na1\tplain\t你好。\n\na2\t再见。\n", encoding="utf-8")
    got = load_sentences(p)
    assert got == [EvalSentence("a1", "plain", "你好。"), EvalSentence("a2", "", "再见。")]
    assert default_sentences(p)[0] == got
    p.write_text("a1\tplain\t你好。\na1\tplain\t再见。\n", encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        load_sentences(p)
    p.write_text("only-one-column\n", encoding="utf-8")
    with pytest.raises(ValueError, match=":1:"):
        load_sentences(p)
    with pytest.raises(FileNotFoundError):
        load_sentences(tmp_path / "missing.tsv")


def test_builtin_sentences_are_scorable():
    assert len(BUILTIN_SENTENCES) >= 12
    assert len({s.id for s in BUILTIN_SENTENCES}) == len(BUILTIN_SENTENCES)
    for s in BUILTIN_SENTENCES:
        assert asr.cer(s.text, s.text) == 0.0
