"""Automatic emotion from text (index_tts/textemotion): rules, intensity, the measured sets."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from index_tts.encoders.emotion import EMOTIONS
from index_tts.textemotion import Detector, detect_emotion
from index_tts.textemotion.eval import LABELS, evaluate, load_set
from index_tts.textemotion.lexicon import DATA, hand


@pytest.mark.parametrize("text, emotion", [
    ("我们赢了！我真的太高兴了！", "happy"),
    ("他伤心地哭了。", "sad"),
    ("你给我闭嘴！", "angry"),
    ("湖面很平静。", "calm"),
    ("宝贝，晚安。", "gentle"),
    ("天哪，怎么可能？", "surprised"),
    ("救命！快跑！", "afraid"),
    ("往事如烟，我常常思念故乡。", "melancholic"),
    ("呸，真恶心。", "disgusted"),
    ("请在二楼办理登记手续。", "neutral"),
])
def test_clear_sentences(text, emotion):
    assert detect_emotion(text).emotion == emotion


def test_intensity_grows_with_degree_words():
    levels = [detect_emotion(t).intensity for t in ("我有点开心。", "我开心。", "我很开心。", "我非常开心。", "我太开心了！")]
    assert levels == sorted(levels) and len(set(levels)) == len(levels)
    assert all(detect_emotion(t).emotion == "happy" for t in ("我有点开心。", "我太开心了！"))
    angry = [detect_emotion(t).intensity for t in ("我很生气。", "我非常生气。", "我生气极了！")]
    assert angry == sorted(angry) and angry[0] < angry[-1]


def test_exclamation_raises_intensity_and_intensity_stays_in_range():
    plain, loud = detect_emotion("我很生气。").intensity, detect_emotion("我很生气！！！").intensity
    assert loud > plain
    assert 0.0 < detect_emotion("我太太太太开心了！！！！！").intensity <= 1.0


def test_negation_turns_the_emotion_around():
    assert detect_emotion("我不开心。").emotion == "sad"
    assert detect_emotion("我一点也不害怕。").emotion == "calm"
    assert detect_emotion("别怕，别哭。").emotion == "gentle"      # comforting
    assert detect_emotion("不要难过了。").emotion == "gentle"


def test_punctuation_alone_marks_surprise():
    g = detect_emotion("你来了？！")
    assert g.emotion == "surprised" and any(w == "？！" for w, _, _ in g.evidence)


def test_neutral_has_zero_intensity_and_evidence_explains():
    g = detect_emotion("会议在三楼。")
    assert (g.emotion, g.intensity) == ("neutral", 0.0)
    g = detect_emotion("我很难过。")
    assert ("难过", "sad") in [(w, e) for w, e, _ in g.evidence] and "难过" in g.explain()


def test_every_output_is_an_engine_emotion():
    assert set(LABELS) == set(EMOTIONS)
    for _, text in load_set("dev") + load_set("test"):
        assert detect_emotion(text).emotion in EMOTIONS


def test_labelled_sets_are_large_balanced_and_disjoint():
    test, dev = load_set("test"), load_set("dev")
    assert len(test) >= 150
    counts = {lab: sum(1 for g, _ in test if g == lab) for lab in LABELS}
    assert min(counts.values()) >= 15
    assert not {t for _, t in test} & {t for _, t in dev}


def test_held_out_accuracy_far_above_majority_baseline():
    r = evaluate(load_set("test"), Detector())
    assert r["majority_baseline"]["accuracy"] <= 0.11
    assert r["accuracy"] >= 0.75  # measured 84.4 % (hand lexicon alone 81.2 %)
    assert sum(sum(row.values()) for row in r["confusion"].values()) == r["n"]


def test_dutir_lexicon_is_loaded_and_used_as_back_off():
    only = Detector(use_hand=False, use_dutir=True)
    assert only("他惊愕不已。").emotion == "surprised"  # 惊愕: a DUTIR word not in the hand list
    assert "惊愕" not in hand()
    assert (DATA / "PROVENANCE.md").read_text(encoding="utf-8").count("Licence") >= 1


def test_eval_command_prints_table_and_json():
    out = subprocess.run([sys.executable, "-m", "index_tts.textemotion.eval", "--set", "dev", "--variant", "full"],
                         capture_output=True, text=True, check=True).stdout
    assert "majority-class baseline" in out and "gold \\ guess" in out and "recall" in out
    js = subprocess.run([sys.executable, "-m", "index_tts.textemotion.eval", "--set", "test", "--json"],
                        capture_output=True, text=True, check=True).stdout
    data = json.loads(js)
    assert set(data["results"]) == {"full", "hand", "dutir", "dutir-count"}
    assert data["results"]["full"]["accuracy"] > data["results"]["dutir-count"]["accuracy"]
