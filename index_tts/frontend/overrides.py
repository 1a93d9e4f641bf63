"""User pronunciation overrides: inline ``还[huan2]`` / ``银行[yin2 hang2]`` and a per-request
dict ``{"还款": "huan2 kuan3"}``.

Each overridden chunk is replaced by one private-use character (a *marker*) before any other
processing, so normalisation and segmentation leave it alone; the G2P turns a marker back
into one word whose syllables are locked (no polyphone rule or sandhi changes them).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from .errors import OverrideError, PinyinError
from .pinyin import parse_syllable
from .text import PUA_END, PUA_START, is_hanzi, is_override_marker

_TOKEN = r"[a-zü:êāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]+[0-5]?"  # lower case only: [A1] is not an override
_BRACKET_RE = re.compile(r"\[([^\[\]\n]{1,200})\]")
_PINYIN_LIKE = re.compile(rf"^\s*{_TOKEN}(?:[\s,]+{_TOKEN})*\s*$")
_HAS_TONE = re.compile(r"[0-5āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]")


@dataclass
class OverrideTable:
    """Marker character -> (original chunk, locked syllables as (base, tone))."""

    entries: dict[str, tuple[str, tuple[tuple[str, int], ...]]] = field(default_factory=dict)
    _by_key: dict[tuple[str, tuple], str] = field(default_factory=dict)

    def marker_for(self, chunk: str, syllables: tuple[tuple[str, int], ...]) -> str:
        key = (chunk, syllables)
        if key not in self._by_key:
            cp = PUA_START + len(self._by_key)
            if cp > PUA_END:
                raise OverrideError("too many distinct pronunciation overrides in one request")
            self._by_key[key] = chr(cp)
            self.entries[chr(cp)] = key
        return self._by_key[key]

    def restore(self, text: str) -> str:
        """Replace markers by the text they stand for."""
        if not self.entries:
            return text
        return "".join(self.entries[c][0] if c in self.entries else c for c in text)


def _parse_reading(reading: object, where: str) -> tuple[tuple[str, int], ...]:
    if isinstance(reading, str):
        tokens = reading.replace(",", " ").split()
    elif isinstance(reading, (list, tuple)) and all(isinstance(t, str) for t in reading):
        tokens = [t for part in reading for t in part.split()]
    else:
        raise OverrideError(f"{where}: pinyin must be a string like 'huan2 kuan3', got {reading!r}")
    if not tokens:
        raise OverrideError(f"{where}: empty pinyin")
    try:
        return tuple(parse_syllable(t) for t in tokens)
    except PinyinError as e:
        raise OverrideError(f"{where}: {e}") from None


def _check_count(chunk: str, syls: tuple, where: str) -> None:
    if all(is_hanzi(c) for c in chunk) and len(syls) != len(chunk):
        raise OverrideError(
            f"{where}: {len(chunk)} character(s) {chunk!r} but {len(syls)} pinyin syllable(s)"
        )


def _inline(text: str, table: OverrideTable) -> str:
    out: list[str] = []
    pos = 0
    for m in _BRACKET_RE.finditer(text):
        content = m.group(1)
        if not (_PINYIN_LIKE.match(content) and _HAS_TONE.search(content)):
            continue  # an ordinary bracket, e.g. [1] or [注]
        where = f"pronunciation override [{content}]"
        syls = _parse_reading(content, where)
        start = m.start() - len(syls)
        chunk = text[start:m.start()] if start >= pos else ""
        if len(chunk) != len(syls) or not all(is_hanzi(c) for c in chunk):
            raise OverrideError(
                f"{where} must directly follow {len(syls)} Chinese character(s), "
                f"found {text[max(pos, start):m.start()]!r}"
            )
        out.append(text[pos:start])
        out.append(table.marker_for(chunk, syls))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _dict(text: str, overrides: Mapping[str, object], table: OverrideTable) -> str:
    items = []
    for key, reading in overrides.items():
        if not isinstance(key, str) or not key.strip():
            raise OverrideError(f"pinyin_overrides keys must be non-empty strings, got {key!r}")
        where = f"pinyin_overrides[{key!r}]"
        syls = _parse_reading(reading, where)
        _check_count(key, syls, where)
        items.append((key, syls))
    if not items:
        return text
    items.sort(key=lambda kv: -len(kv[0]))
    pattern = re.compile("|".join(re.escape(k) for k, _ in items))
    lookup = dict(items)
    return pattern.sub(lambda m: table.marker_for(m.group(0), lookup[m.group(0)]), text)


def apply_overrides(
    text: str, pinyin_overrides: Mapping[str, object] | None = None
) -> tuple[str, OverrideTable, list[str]]:
    """Return (text with markers, marker table, private-use characters found in the input)."""
    if pinyin_overrides is not None and not isinstance(pinyin_overrides, Mapping):
        raise OverrideError(f"pinyin_overrides must be a dict, got {type(pinyin_overrides).__name__}")
    stray = [c for c in text if is_override_marker(c)]
    if stray:
        text = "".join(" " if is_override_marker(c) else c for c in text)
    table = OverrideTable()
    text = _inline(text, table)
    if pinyin_overrides:
        text = _dict(text, pinyin_overrides, table)
    return text, table, stray
