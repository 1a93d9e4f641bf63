"""Parse the plain-text script format (README: "Scripts for audiobooks and batches").

    @voice: baker                 header / directive: applies from here on
    @emotion: auto
    @cast 小明: pitch=1.1 speed=1.05
    # 第一章 夜                    chapter marker (also ``[chapter 第一章]``)
    夜深了。                        narration (the narrator character)
    小明：我们赢了！                 a character's line
    [小明|happy 0.8] 我们赢了！      character (or voice id) | emotion intensity, options
    [旁白|calm|speed=0.9] 风停了。
    [pause 1.5s]                   silence (inline too: 我……[pause 0.8s]我不知道。)
    // a comment

Every problem is collected with its line and column; ``parse_script`` raises one
``ScriptError`` listing them all, so nothing is silently skipped or guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from ..errors import InputError
from ..request import LIMITS
from .model import AUTO, CastEntry, Chapter, Item, Pause, Script, ScriptLine, Settings

MAX_PAUSE_S = 10.0
MAX_NAME_CHARS = 8
# ``名字：台词`` is narration, not a character, when the "name" ends like a speech verb
# (他说：…, 小明大声喊道：…) — those colons introduce quoted speech inside narration.
_SPEECH_VERBS = ("说", "道", "问", "喊", "叫", "答", "讲", "想", "写", "曰", "骂", "吼", "嚷", "笑", "哭", "叹")
# Labels of pasted documents (电话：…, 注意：…): the line is read whole, label included, instead of
# dropping the label as a speaker's name.
_LABELS = ("注|备注|提示|时间|地点|日期|地址|电话|手机|邮箱|网址|价格|注意|说明|原因|结果|结论|总结|摘要|关键词|"
           "作者|来源|标题|主题|内容|题目|要求|目的|方法|步骤|例如|比如|定义|原文|译文|第[一二三四五六七八九十]+")
_NOT_A_NAME = re.compile(rf"^(?:[0-9０-９]+|https?|第.{{1,6}}[章节回幕集卷部]|{_LABELS})$", re.IGNORECASE)
_NAME_RE = re.compile(r"^[^\s\[\]【】［］|｜:：,，。.!！?？、;；\"“”'‘’()（）]+$")
_PAUSE_RE = re.compile(r"^(?:pause|停顿|停)\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|秒|毫秒)?$", re.IGNORECASE)
_CHAPTER_RE = re.compile(r"^(?:chapter|章节|章)\s+(.+)$", re.IGNORECASE)
_PINYIN_RE = re.compile(r"^[a-zA-Züv:āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ0-5\s,]+$")
_TONE_RE = re.compile(r"[0-5āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]")
_OPEN = "[【［"
_CLOSE = {"[": "]", "【": "】", "［": "］"}  # ［］: the full-width brackets of a Chinese keyboard

# directive / option keys (English and Chinese) -> Settings field
_KEYS = {
    "voice": "voice", "音色": "voice", "声音": "voice",
    "narrator": "narrator", "旁白": "narrator",
    "emotion": "emotion", "情感": "emotion", "情绪": "emotion",
    "intensity": "intensity", "强度": "intensity",
    "speed": "speed", "语速": "speed",
    "pitch": "pitch", "音高": "pitch",
    "sentence_pause": "sentence_pause", "句间停顿": "sentence_pause",
    "comma_pause": "comma_pause", "逗号停顿": "comma_pause",
    "line_pause": "line_pause", "行间停顿": "line_pause",
    "chapter_pause": "chapter_pause", "章节停顿": "chapter_pause",
    "read_chapters": "read_chapters", "朗读章节": "read_chapters",
    "auto_cast": "auto_cast", "自动角色": "auto_cast",
    "seed": "seed", "种子": "seed",
    "title": "title", "标题": "title",
}
_CAST_KEYS = {"cast", "角色", "role"}
_LINE_OPTIONS = {"speed", "pitch", "intensity", "emotion", "voice"}
_RANGES = {**{k: LIMITS[k] for k in ("intensity", "speed", "pitch", "sentence_pause", "comma_pause")},
           "line_pause": (0.0, MAX_PAUSE_S), "chapter_pause": (0.0, MAX_PAUSE_S)}
_TRUE = {"yes", "true", "on", "1", "是", "开"}
_FALSE = {"no", "false", "off", "0", "否", "关"}


@dataclass(frozen=True)
class Problem:
    lineno: int
    col: int
    message: str


class ScriptError(InputError):
    """One or more problems in a script; ``problems`` has each with its line and column."""

    def __init__(self, problems: list[Problem], source: str = "<script>") -> None:
        self.problems = problems
        self.source = source
        text = "; ".join(f"{source}:{p.lineno}:{p.col}: {p.message}" for p in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in the script: {text}{more}")


class _Fail(Exception):
    def __init__(self, col: int, message: str) -> None:
        super().__init__(message)
        self.col = col
        self.message = message


def _emotion(word: str, col: int) -> str:
    from ..encoders.emotion import parse_emotion, valid_emotion_names

    if word.lower() in (AUTO, "自动"):
        return AUTO
    try:
        return parse_emotion(word)
    except ValueError:
        raise _Fail(col, f"unknown emotion {word!r}; use auto or one of: {valid_emotion_names()}") from None


def _number(key: str, raw: str, col: int) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise _Fail(col, f"{key} must be a number, got {raw!r}") from None
    lo, hi = _RANGES.get(key, (float("-inf"), float("inf")))
    if not lo <= value <= hi:
        raise _Fail(col, f"{key} must be between {lo:g} and {hi:g}, got {raw}")
    return value


def _pause_seconds(inner: str, col: int) -> Optional[float]:
    m = _PAUSE_RE.match(inner.strip())
    if not m:
        if re.match(r"^(pause|停顿|停)\b", inner.strip(), re.IGNORECASE):
            raise _Fail(col, f"bad pause {inner!r}: write [pause 1.5s], [pause 800ms] or [停顿 2秒]")
        return None
    value = float(m.group(1))
    if (m.group(2) or "s").lower() in ("ms", "毫秒"):
        value /= 1000.0
    if value > MAX_PAUSE_S:
        raise _Fail(col, f"pause of {value:g} s is longer than the {MAX_PAUSE_S:g} s limit")
    return value


def _find_close(text: str, start: int) -> int:
    close = _CLOSE[text[start]]
    end = text.find(close, start + 1)
    if end < 0:
        raise _Fail(start + 1, f"'{text[start]}' is never closed with '{close}'")
    return end


def _split_inline(text: str, offset: int) -> tuple[str, tuple[Any, ...]]:
    """Cut ``text`` at inline pauses; check every other bracket is a pinyin override."""
    parts: list[Any] = []
    buf: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _OPEN:
            end = _find_close(text, i)
            inner = text[i + 1:end]
            col = offset + i + 1
            secs = _pause_seconds(inner, col)
            if secs is not None:
                if "".join(buf).strip():
                    parts.append("".join(buf).strip())
                buf = []
                parts.append(secs)
            elif ch == "[" and _PINYIN_RE.match(inner) and _TONE_RE.search(inner):
                buf.append(text[i:end + 1])  # a reading for the frontend: 还[huan2]书
            else:
                raise _Fail(col, f"unknown tag [{inner}] inside the text; only [pause …] and "
                                 f"pinyin readings like 还[huan2] may appear there")
            i = end + 1
            continue
        buf.append(ch)
        i += 1
    if "".join(buf).strip():
        parts.append("".join(buf).strip())
    spoken = "".join(p for p in parts if isinstance(p, str))
    return spoken, tuple(parts)


def _bool(raw: str, key: str, col: int) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise _Fail(col, f"{key} must be yes or no, got {raw!r}")


def _options(tokens: list[tuple[str, int]], allowed: set[str]) -> dict[str, Any]:
    """``happy 0.8 speed=1.1 pitch=0.9`` (or ``key=value`` only) -> dict of settings."""
    out: dict[str, Any] = {}
    i = 0
    while i < len(tokens):
        tok, col = tokens[i]
        if "=" in tok:
            key_raw, _, raw = tok.partition("=")
            key = _KEYS.get(key_raw.strip().lower())
            if key not in allowed:
                raise _Fail(col, f"unknown option {key_raw!r}; allowed here: {', '.join(sorted(allowed))}")
            if not raw:
                raise _Fail(col, f"option {key_raw} has no value")
            if key == "emotion":
                out[key] = _emotion(raw, col + len(key_raw) + 1)
            elif key == "voice":
                out[key] = raw
            else:
                out[key] = _number(key, raw, col + len(key_raw) + 1)
        elif "emotion" in allowed and "emotion" not in out:
            out["emotion"] = _emotion(tok, col)
            if i + 1 < len(tokens) and re.fullmatch(r"[0-9.]+", tokens[i + 1][0]):
                out["intensity"] = _number("intensity", tokens[i + 1][0], tokens[i + 1][1])
                i += 1
        else:
            raise _Fail(col, f"unexpected {tok!r}: write options as key=value (speed=1.1 pitch=0.9)")
        i += 1
    return out


def _tokens(text: str, offset: int) -> list[tuple[str, int]]:
    """Whitespace/|-separated tokens with their 1-based columns."""
    return [(m.group(0), offset + m.start() + 1) for m in re.finditer(r"[^\s|｜]+", text)]


class _Parser:
    def __init__(self, source: str, settings: Optional[Settings]) -> None:
        self.source = source
        self.settings = settings or Settings()
        self.header: Optional[Settings] = None
        self.cast: dict[str, CastEntry] = {}
        self.items: list[Item] = []
        self.problems: list[Problem] = []
        self.chapter: Optional[str] = None

    def run(self, text: str) -> Script:
        for lineno, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
            line = raw.rstrip()
            stripped = line.lstrip()
            if not stripped or stripped.startswith("//"):
                continue
            indent = len(line) - len(stripped)
            try:
                self._line(lineno, stripped, indent)
            except _Fail as f:
                self.problems.append(Problem(lineno, f.col, f.message))
        if self.problems:
            raise ScriptError(self.problems, self.source)
        if not any(isinstance(it, ScriptLine) for it in self.items):
            raise ScriptError([Problem(1, 1, "the script has no text to speak")], self.source)
        return Script(self.items, dict(self.cast), self.header or self.settings, self.source)

    def _line(self, lineno: int, s: str, indent: int) -> None:
        if s[0] in "@＠":
            self._directive(lineno, s, indent)
            return
        if self.header is None:
            self.header = self.settings
        if s.startswith("#") or s.startswith("＃"):
            title = s.lstrip("#＃").strip()
            if not title:
                raise _Fail(indent + 1, "chapter marker '#' has no title")
            self._chapter(lineno, title)
            return
        if s[0] in _OPEN:
            end = _find_close(s, 0)
            inner = s[1:end]
            rest = s[end + 1:]
            secs = _pause_seconds(inner, indent + 1)
            if secs is not None and not rest.strip():
                self.items.append(Pause(secs, lineno))
                return
            chap = _CHAPTER_RE.match(inner.strip())
            if chap and not rest.strip():
                self._chapter(lineno, chap.group(1).strip())
                return
            if secs is None:
                self._tagged(lineno, inner, rest, indent, end)
                return
        self._plain(lineno, s, indent)

    def _chapter(self, lineno: int, title: str) -> None:
        self.chapter = title
        self.items.append(Chapter(title, lineno))
        if self.settings.read_chapters:
            spoken, parts = _split_inline(title, 0)
            self.items.append(ScriptLine(lineno, self.settings.narrator, spoken, parts, self.settings,
                                         chapter=title, is_chapter_title=True))
            self.items.append(Pause(self.settings.chapter_pause, lineno))

    def _directive(self, lineno: int, s: str, indent: int) -> None:
        body = s[1:]
        m = re.match(r"^\s*([^\s:：]+)\s*(.*)$", body)
        if not m:
            raise _Fail(indent + 2, "directive has no name; write @key: value")
        word = m.group(1).lower()
        rest_col = indent + 1 + 1 + m.start(2)
        rest = m.group(2)
        if word in _CAST_KEYS:
            self._cast(lineno, rest, rest_col)
            return
        key = _KEYS.get(word)
        if key is None:
            raise _Fail(indent + 2, f"unknown directive @{m.group(1)}; known: "
                                    f"{', '.join(sorted({k for k in _KEYS if k.isascii()} | {'cast'}))}")
        if not rest.startswith((":", "：")):
            raise _Fail(rest_col, f"write @{m.group(1)}: value (a colon after the name)")
        raw = rest[1:].strip()
        col = rest_col + 1 + (len(rest[1:]) - len(rest[1:].lstrip()))
        if not raw:
            raise _Fail(col, f"@{m.group(1)} has no value")
        value: Any
        if key == "emotion":
            value = None if raw.lower() in ("none", "无", "off") else _emotion(raw, col)
        elif key in ("voice", "narrator", "title"):
            value = None if key == "voice" and raw.lower() in ("default", "默认") else raw
        elif key in ("read_chapters", "auto_cast"):
            value = _bool(raw, key, col)
        elif key == "seed":
            if not re.fullmatch(r"[0-9]{1,10}", raw):
                raise _Fail(col, f"seed must be a whole number >= 0, got {raw!r}")
            value = int(raw)
        else:
            value = _number(key, raw, col)
        self.settings = self.settings.with_(**{key: value})

    def _cast(self, lineno: int, rest: str, col0: int) -> None:
        m = re.match(r"^\s*([^:：]+?)\s*[:：](.*)$", rest)
        if not m:
            raise _Fail(col0, "write @cast 名字: voice=… pitch=… speed=… emotion=…")
        name = m.group(1)
        if not _NAME_RE.match(name) or len(name) > MAX_NAME_CHARS * 2:
            raise _Fail(col0 + m.start(1), f"bad character name {name!r}")
        opts = _options(_tokens(m.group(2), col0 + m.start(2) - 1),
                        {"voice", "pitch", "speed", "emotion", "intensity"})
        self.cast[name] = CastEntry(name, opts.get("voice"), opts.get("pitch"), opts.get("speed"),
                                    opts.get("emotion"), opts.get("intensity"), lineno)

    def _tagged(self, lineno: int, inner: str, rest: str, indent: int, end: int) -> None:
        fields = re.split(r"[|｜]", inner)
        who = fields[0].strip()
        if who and not _NAME_RE.match(who):
            raise _Fail(indent + 2, f"unknown tag [{inner}]; expected [pause 1.5s], [chapter 标题] "
                                    f"or [角色或音色|情感 强度|speed=… pitch=…]")
        first_bar = len(fields[0]) + 1
        opts = _options(_tokens(inner[first_bar:], indent + 1 + first_bar), _LINE_OPTIONS) if len(fields) > 1 else {}
        offset = indent + end + 1
        lead = len(rest) - len(rest.lstrip())
        spoken, parts = _split_inline(rest.strip(), offset + lead)
        if not spoken.strip():
            raise _Fail(offset + 1, f"[{inner}] is followed by no text to speak")
        character = who or self.settings.narrator
        self._emit(lineno, character, spoken, parts, opts)

    def _plain(self, lineno: int, s: str, indent: int) -> None:
        m = re.match(r"^([^:：]{1,%d})[:：](.*)$" % (MAX_NAME_CHARS * 2), s)
        if m and self._is_speaker(m.group(1).strip()):
            name = m.group(1).strip()
            rest = m.group(2)
            lead = len(rest) - len(rest.lstrip())
            spoken, parts = _split_inline(rest.strip(), indent + m.start(2) + lead)
            if not spoken.strip():
                raise _Fail(indent + m.end(1) + 1, f"{name}： is followed by no text to speak")
            self._emit(lineno, name, spoken, parts, {})
            return
        spoken, parts = _split_inline(s, indent)
        self._emit(lineno, self.settings.narrator, spoken, parts, {})

    def _is_speaker(self, name: str) -> bool:
        if name in self.cast or name == self.settings.narrator:
            return True
        if not self.settings.auto_cast or not _NAME_RE.match(name) or len(name) > MAX_NAME_CHARS:
            return False
        # 他说：… / 10:30 出发 / 第一章：… / http://… are narration, not a character's line
        return not (name.endswith(_SPEECH_VERBS) or _NOT_A_NAME.match(name))

    def _emit(self, lineno: int, character: str, spoken: str, parts: tuple, opts: dict[str, Any]) -> None:
        if not spoken.strip():
            raise _Fail(1, "nothing to speak on this line")
        self.items.append(ScriptLine(
            lineno, character, spoken, parts, self.settings,
            emotion=opts.get("emotion"), intensity=opts.get("intensity"), speed=opts.get("speed"),
            pitch=opts.get("pitch"), voice=opts.get("voice"), chapter=self.chapter))


def parse_script(text: str, *, source: str = "<script>", defaults: Optional[Settings] = None) -> Script:
    """Parse a script; raises ``ScriptError`` (an ``InputError``) listing every problem."""
    if not isinstance(text, str):
        raise InputError(f"script must be text, got {type(text).__name__}")
    return _Parser(source, defaults).run(text)
