"""The script format (index_tts/script): parsing, errors with line:column, voice mapping. No torch."""
from __future__ import annotations

import subprocess
import sys

import pytest

from index_tts.errors import InputError, UnknownVoiceError
from index_tts.script import (AUTO, Chapter, Pause, ScriptError, ScriptLine, assign_voices,
                              parse_script)

VOICES_ONE = [{"id": "baker", "display_name": "默认女声"}]
VOICES_MANY = VOICES_ONE + [
    {"id": "zf_xiaoyi", "lacks": ["pitch"]},
    {"id": "zm_yunxi", "lacks": ["pitch"]},
    {"id": "zm_yunyang", "lacks": ["pitch"]},
]


def problems(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(ScriptError) as exc:
        parse_script(text, source="s.txt")
    return [(p.lineno, p.col, p.message) for p in exc.value.problems]


def test_import_needs_no_torch():
    code = "import sys, index_tts.script; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plain_lines_are_narration_and_colon_lines_are_characters():
    s = parse_script("夜深了。\n小明：我们赢了！\n小红:真的吗？\n")
    assert [(ln.character, ln.text) for ln in s.lines] == [
        ("旁白", "夜深了。"), ("小明", "我们赢了！"), ("小红", "真的吗？")]
    assert [ln.lineno for ln in s.lines] == [1, 2, 3]
    assert s.characters == ["旁白", "小明", "小红"]


def test_colon_after_a_speech_verb_stays_narration():
    s = parse_script("他说：我们走吧。\n小明大声喊道：快跑！\n")
    assert [ln.character for ln in s.lines] == ["旁白", "旁白"]
    assert s.lines[0].text == "他说：我们走吧。"


def test_tag_with_voice_emotion_intensity_and_options():
    s = parse_script("[小明|happy 0.8] 我们赢了！\n[旁白|calm|speed=0.9 pitch=0.95] 风停了。\n"
                     "[|悲伤] 再见。\n[小红] 嗯。\n[小明|auto] 好吧。\n")
    a, b, c, d, e = s.lines
    assert (a.character, a.emotion, a.intensity, a.text) == ("小明", "happy", 0.8, "我们赢了！")
    assert (b.character, b.emotion, b.speed, b.pitch) == ("旁白", "calm", 0.9, 0.95)
    assert (c.character, c.emotion) == ("旁白", "sad")      # Chinese synonym -> canonical name
    assert (d.character, d.emotion, d.intensity) == ("小红", None, None)
    assert e.emotion == AUTO


def test_document_labels_are_read_not_taken_for_speakers():
    s = parse_script("电话：010-12345678\n注意：请勿吸烟。\n第二：准时到场。\n主持人：欢迎大家。\n")
    assert [(l.character, l.text) for l in s.lines] == [
        ("旁白", "电话：010-12345678"), ("旁白", "注意：请勿吸烟。"), ("旁白", "第二：准时到场。"), ("主持人", "欢迎大家。")]


def test_full_width_brackets_and_bars():
    s = parse_script("【小明｜开心 0.5】太好了！\n")
    assert (s.lines[0].character, s.lines[0].emotion, s.lines[0].intensity) == ("小明", "happy", 0.5)
    # ［］ (U+FF3B/FF3D, what a Chinese keyboard types for [ ]) were read aloud as text before session 16
    s = parse_script("［小明｜happy 0.8］我们赢了！\n［pause 1s］\n他说完［pause 0.5s］就走了。\n")
    first, second = s.lines
    assert (first.character, first.text, first.emotion, first.intensity) == ("小明", "我们赢了！", "happy", 0.8)
    assert isinstance(s.items[1], Pause) and s.items[1].seconds == 1.0
    assert second.parts == ("他说完", 0.5, "就走了。")
    with pytest.raises(ScriptError, match="never closed"):
        parse_script("［小明｜happy 我们赢了！\n")


def test_header_defaults_and_later_directives_apply_from_there_on():
    s = parse_script("@emotion: sad\n@intensity: 0.3\n@speed: 0.9\n第一句。\n@emotion: auto\n第二句。\n")
    first, second = s.lines
    assert (first.settings.emotion, first.settings.intensity, first.settings.speed) == ("sad", 0.3, 0.9)
    assert second.settings.emotion == AUTO and second.settings.speed == 0.9
    assert s.settings.emotion == "sad"  # the header = settings before the first line


def test_chinese_directive_names_and_seed_and_title():
    s = parse_script("@情感：开心\n@语速: 1.1\n@种子: 42\n@标题: 夜\n好。\n")
    st = s.lines[0].settings
    assert (st.emotion, st.speed, st.seed, st.title) == ("happy", 1.1, 42, "夜")


def test_pause_lines_in_every_unit():
    s = parse_script("a。\n[pause 1.5s]\n[pause 800ms]\n[停顿 2秒]\n[pause 0.5]\nb。\n")
    pauses = [it.seconds for it in s.items if isinstance(it, Pause)]
    assert pauses == [1.5, 0.8, 2.0, 0.5]
    assert [it.lineno for it in s.items if isinstance(it, Pause)] == [2, 3, 4, 5]


def test_inline_pause_splits_the_line_and_pinyin_readings_stay():
    s = parse_script("小红：我……[pause 0.8s]我去还[huan2]书。\n")
    line = s.lines[0]
    assert line.parts == ("我……", 0.8, "我去还[huan2]书。")
    assert line.text == "我……我去还[huan2]书。"


def test_chapters_are_items_and_read_by_the_narrator():
    s = parse_script("# 第一章 夜\n夜深了。\n[chapter 第二章]\n天亮了。\n")
    chapters = [it for it in s.items if isinstance(it, Chapter)]
    assert [c.title for c in chapters] == ["第一章 夜", "第二章"]
    titles = [ln for ln in s.lines if ln.is_chapter_title]
    assert [t.text for t in titles] == ["第一章 夜", "第二章"]
    assert [ln.chapter for ln in s.lines if not ln.is_chapter_title] == ["第一章 夜", "第二章"]


def test_chapters_not_read_when_switched_off():
    s = parse_script("@read_chapters: no\n# 第一章\n夜深了。\n")
    assert [ln.text for ln in s.lines] == ["夜深了。"]
    assert s.chapters[0].title == "第一章"


def test_comments_and_blank_lines_are_not_content():
    s = parse_script("// 注释\n\n   \n好。\n")
    assert len(s.items) == 1


def test_bom_is_ignored():
    assert parse_script("\ufeff好。").lines[0].text == "好。"


def test_every_problem_is_reported_with_line_and_column():
    got = problems("@emotion: hapy\n[小明|happy 1.8] 好\n[pause 99s]\n我[xyz]走\n[小明|happy]\n"
                   "@foo: 1\n[小明|speed=2] 好\n[paus 1s]\n【小明 好\n")
    assert [(ln, col) for ln, col, _ in got] == [(1, 11), (2, 11), (3, 1), (4, 2), (5, 11), (6, 2),
                                                 (7, 11), (8, 2), (9, 1)]
    messages = [m for _, _, m in got]
    assert "unknown emotion 'hapy'" in messages[0]
    assert "intensity must be between 0 and 1" in messages[1]
    assert "10 s limit" in messages[2]
    assert "unknown tag [xyz]" in messages[3]
    assert "no text to speak" in messages[4]
    assert "unknown directive @foo" in messages[5]
    assert "speed must be between 0.7 and 1.3" in messages[6]
    assert "unknown tag [paus 1s]" in messages[7]
    assert "never closed" in messages[8]


def test_error_message_names_the_file_and_is_an_input_error():
    with pytest.raises(InputError, match=r"story.txt:2:\d+: unknown emotion"):
        parse_script("好。\n[a|nope] 好。\n", source="story.txt")


def test_script_without_speech_is_an_error():
    assert problems("// only a comment\n[pause 1s]\n")[0][2] == "the script has no text to speak"


def test_bad_option_and_bad_values():
    got = problems("[a|happy|volume=3] 好。\n@seed: -1\n@read_chapters: maybe\n")
    assert "unknown option 'volume'" in got[0][2]
    assert "seed must be a whole number" in got[1][2]
    assert "must be yes or no" in got[2][2]


def test_cast_directive():
    s = parse_script("@cast 小明: voice=zm_yunxi pitch=1.1 emotion=happy\n小明：好！\n")
    entry = s.cast["小明"]
    assert (entry.voice, entry.pitch, entry.emotion, entry.lineno) == ("zm_yunxi", 1.1, "happy", 1)


def test_one_voice_gives_every_character_its_own_preset():
    s = parse_script("旁白。\n小明：好。\n小红：好。\n老王：好。\n")
    cast = assign_voices(s, VOICES_ONE)
    assert {c.voice for c in cast.values()} == {"baker"}
    assert cast["旁白"].pitch == 1.0 and cast["旁白"].speed == 1.0
    presets = [(c.pitch, c.speed) for c in cast.values()]
    assert len(set(presets)) == 4  # nobody sounds like anybody else


def test_more_voices_spread_characters_without_changing_the_script():
    s = parse_script("旁白。\n小明：好。\n小红：好。\n老王：好。\n阿强：好。\n")
    cast = assign_voices(s, VOICES_MANY)
    assert cast["旁白"].voice == "baker"
    assert [cast[n].voice for n in ("小明", "小红", "老王")] == ["zf_xiaoyi", "zm_yunxi", "zm_yunyang"]
    # the fifth speaker shares a voice: pitch cannot change on that voice, so speed differs
    shared = cast["阿强"]
    others = [c for c in cast.values() if c.voice == shared.voice and c.character != "阿强"]
    assert others and all((o.pitch, o.speed) != (shared.pitch, shared.speed) for o in others)
    if shared.voice != "baker":
        assert shared.pitch == 1.0


def test_mapping_is_deterministic_and_cast_wins():
    text = "@voice: baker\n@cast 小红: voice=zm_yunyang speed=0.9\n旁白。\n小明：好。\n小红：好。\n"
    a = assign_voices(parse_script(text), VOICES_MANY)
    b = assign_voices(parse_script(text), VOICES_MANY)
    assert a == b
    assert (a["小红"].voice, a["小红"].speed, a["小红"].source) == ("zm_yunyang", 0.9, "cast")
    assert a["小明"].voice == "zf_xiaoyi"  # the declared voice is not handed out again first


def test_unknown_voice_names_the_script_line():
    s = parse_script("好。\n@cast 小明: voice=nobody\n小明：好。\n", source="x.txt")
    with pytest.raises(UnknownVoiceError, match=r"x.txt:2: @cast 小明: unknown voice 'nobody'"):
        assign_voices(s, VOICES_ONE)


def test_voice_id_in_a_tag_uses_that_voice():
    s = parse_script("[zm_yunxi|sad] 再见。\n")
    cast = assign_voices(s, VOICES_MANY)
    assert cast["zm_yunxi"].voice == "zm_yunxi" and cast["zm_yunxi"].source == "voice"


def test_non_text_input_is_rejected():
    with pytest.raises(InputError):
        parse_script(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize("line", ["小明：", "[小明|happy]   ", "# "])
def test_empty_speech_is_an_error_not_a_skip(line):
    assert problems(line + "\n")


def test_script_line_is_frozen():
    line = parse_script("好。").lines[0]
    assert isinstance(line, ScriptLine)
    with pytest.raises(Exception):
        line.text = "x"  # type: ignore[misc]


def test_readme_example_and_demo_script_parse():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The script format"):]
    begin = section.index("```text\n") + 8
    block = section[begin:section.index("\n```", begin)]
    s = parse_script(block, source="README")
    assert [ln.character for ln in s.lines] == ["旁白", "旁白", "林雨", "陈默", "旁白", "林雨", "旁白"]
    assert s.cast["陈默"].emotion == "calm" and s.lines[5].parts[1] == 0.8
    demo = parse_script((root / "index_tts/batch/data/demo_script.txt").read_text(encoding="utf-8"))
    assert len(demo.lines) == 33 and set(demo.characters) == {"旁白", "林雨", "陈默"}
    assert len(demo.chapters) == 3


@pytest.mark.parametrize("line", ["10:30 我们出发。", "第一章：开始", "注：以下内容纯属虚构。", "http://example.com 看这里"])
def test_colons_that_do_not_introduce_a_speaker(line):
    s = parse_script(line + "\n")
    assert [ln.character for ln in s.lines] == ["旁白"] and s.lines[0].text == line
