"""Incremental frontend: a request's segments, produced sentence by sentence.

``Frontend.iter_segments(text, ...)`` returns a :class:`SegmentStream`. Creating it checks the
whole request up front (type, segment limit, pronunciation overrides, unreadable characters:
cheap, no G2P) and raises the same errors ``Frontend.__call__`` raises for that input. Its
segments are then produced lazily: each sentence is normalised, read (jieba + pypinyin),
given breaks and sandhi and cut only when iteration reaches it, with a one-sentence look-ahead
(the very last segment of the text has ``pause_after="none"``; the last segment of any other
sentence has "sentence", so a sentence's last segment waits until the next sentence that has
anything to say is planned). ``Frontend.__call__`` is ``list()`` of this stream, so the two
give identical segments and warnings.

Warnings (``SegmentStream.warnings``) are complete before the first segment:

* unreadable characters: ``clean`` reports every character outside the known sets; the G2P
  adds a character only when pypinyin has no usable reading for it. Every reading the G2P can
  give a character is either its single-character reading or a phrase / fix / rule reading,
  and the latter are all valid (tests/test_frontend_incremental.py checks pypinyin's phrase
  table, ``WORD_FIXES`` and the polyphone rules), and the normaliser only writes Hanzi that
  have a reading (checked there too). So a text whose Hanzi all have a single-character
  reading gets no G2P additions. A text with a Hanzi that lacks one (rare characters of the
  CJK extensions) is processed whole when the stream is created, as ``__call__`` does, so
  its warnings are exact as well (no speed-up for such texts).
* "no readable text": reading ``warnings`` first produces the first segment (it is kept for
  iteration), so this warning is known exactly when the text has no segment at all.

Should the G2P ever add an unreadable character later all the same, ``warnings`` reflects
it from then on (it is recomputed on each access) and a log line says so.

A phone missing from the voice's symbol table (``UnknownSymbolError``) is found when its
segment is built, so a stream raises it from ``next()`` at that segment, not at creation.
"""
from __future__ import annotations

import functools
import logging
import re
from collections import deque
from typing import Iterator, Mapping

from .errors import FrontendError
from .g2p import _pinyin_of, clause_words, sentence_interjection
from .normalize import normalize, strip_marks
from .overrides import apply_overrides
from .pinyin import decompose
from .split import Clause, Piece, check_segment_limit
from .text import clean, describe_unknown, is_hanzi, sentence_type, split_clauses, split_sentences
from .types import Segment, Word

log = logging.getLogger(__name__)

NO_READABLE_TEXT = "no readable text: the input contains nothing that can be spoken"

_READING_RE = re.compile(r"^([a-zv]+)([1-5])$")  # as the G2P reads pypinyin's output
_Planned = tuple[list[Word], list[int], Piece, str, bool]  # words, breaks, piece, type, ends sentence


def usable_reading(reading: str | None) -> bool:
    """True if ``reading`` (toned pinyin like ``zhong1``) is one the G2P can turn into phones."""
    m = _READING_RE.match(reading or "")
    if m is None:
        return False
    try:
        decompose(m.group(1))
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=65536)
def has_single_reading(ch: str) -> bool:
    """True if the G2P gets a usable reading for Hanzi ``ch`` on its own (see module doc)."""
    return usable_reading(_pinyin_of(ch)[0][0])


def needs_whole_text(cleaned: str) -> bool:
    """True if some Hanzi of ``cleaned`` has no single-character reading, so only the G2P
    of its sentence can tell whether it is unreadable (see the module doc)."""
    return any(is_hanzi(ch) and not has_single_reading(ch) for ch in set(cleaned))


class SegmentStream:
    """The segments of one request, produced lazily; iterate it once.

    ``warnings``: the request's warnings (complete before the first segment, see the module
    doc). ``sentences_done``: sentences processed so far. ``eager``: True when the whole text
    was processed at creation (a Hanzi without a single-character reading).
    """

    def __init__(self, frontend, text: str, pinyin_overrides: Mapping[str, object] | None,
                 max_segment_syllables: int | None) -> None:
        if not isinstance(text, str):
            raise FrontendError(f"text must be a string, got {type(text).__name__}")
        self.text = text
        self.sentences_done = 0
        self._fe = frontend
        self._limit = check_segment_limit(max_segment_syllables or frontend.config.max_segment_syllables)
        self._marked, self._overrides, stray = apply_overrides(text, pinyin_overrides)
        self._cleaned, unknown = clean(self._marked, allow_markers=True)
        self._unknown = stray + unknown
        self._n_unknown_checked = len(self._unknown)
        self._sentences = split_sentences(self._cleaned)
        self._ready: deque[Segment] = deque()
        self._produced = 0
        self._done = False
        self._logged = False
        self._gen = self._generate()
        self.eager = needs_whole_text(self._cleaned)
        if self.eager:
            log.info("frontend: a character without a single-character reading: processing the whole text first")
            self._ready.extend(self._gen)
            self._done = True

    @property
    def warnings(self) -> list[str]:
        if not self._done and not self._ready and not self._produced:
            self._fill()  # one segment ahead, or the end: decides "no readable text"
        out = [describe_unknown(self._unknown)] if self._unknown else []
        if self._done and not self._produced and not self._ready:
            out.append(NO_READABLE_TEXT)
        return out

    def __iter__(self) -> Iterator[Segment]:
        return self

    def __next__(self) -> Segment:
        if not self._ready:
            self._fill()
        if not self._ready:
            raise StopIteration
        self._produced += 1
        return self._ready.popleft()

    def _fill(self) -> None:
        if self._done:
            return
        try:
            self._ready.append(next(self._gen))
        except StopIteration:
            self._done = True
        if len(self._unknown) > self._n_unknown_checked:
            log.warning("frontend: the G2P found %d unreadable character(s) after the warnings were given",
                        len(self._unknown) - self._n_unknown_checked)
            self._n_unknown_checked = len(self._unknown)
        if self._done and not self._logged:
            self._logged = True
            for w in self.warnings:
                log.info("frontend: %s", w)

    def _plan(self, s_start: int, s_end: int) -> list[_Planned]:
        """Words, breaks and pieces of one sentence."""
        fe, marked, cleaned, overrides = self._fe, self._marked, self._cleaned, self._overrides
        clauses = []
        for a, b in split_clauses(cleaned, s_start, s_end):
            norm = normalize(cleaned[a:b], cleaned[max(s_start, a - 16):a])
            words = clause_words(norm, overrides, self._unknown, erhua=fe.config.erhua)
            clauses.append(Clause(
                raw=overrides.restore(marked[a:b]),
                normalized=overrides.restore(strip_marks(norm)),
                words=words,
            ))
        stype = sentence_type(marked[s_start:s_end])
        sentence_interjection([c.words for c in clauses], stype)
        words, breaks, pieces = fe._plan_sentence(clauses, self._limit)
        self.sentences_done += 1
        out = []
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            out.append((words, breaks, piece, stype if last else "declarative", last))
        return out

    def _generate(self) -> Iterator[Segment]:
        """Segments in order; each is held until the next piece is planned (look-ahead)."""
        pending: _Planned | None = None
        for s_start, s_end in self._sentences:
            for planned in self._plan(s_start, s_end):
                if pending is not None:
                    yield self._build(pending, final=False)
                pending = planned
        if pending is not None:
            yield self._build(pending, final=True)

    def _build(self, planned: _Planned, final: bool) -> Segment:
        words, breaks, piece, stype, last = planned
        if final:
            pause = "none"
        elif last:
            pause = "sentence"
        else:
            pause = "comma" if piece.cut_level >= 3 else "phrase"
        return self._fe._segment(words, breaks, piece, stype, pause, ends_sentence=last)
