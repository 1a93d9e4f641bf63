"""``Frontend``: text -> ``Utterance`` of model-ready segments (see docs/ARCHITECTURE.md)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping, Sequence

from ..utils.config import ConfigBase
from .incremental import SegmentStream
from .pinyin import decompose
from .breaks import CONJUNCTIONS, ProsodyParams, assign_breaks
from .sandhi import apply_sandhi
from .split import (Clause, Piece, check_segment_limit, context_budget, context_words, gap_bias, plan_cuts,
                    split_long_words)
from .symbols import ERHUA, EOS, SIL, SymbolTable, is_final_symbol
from .types import Segment, Utterance, Word

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrontendConfig(ConfigBase):
    # Longest segment, in syllables after normalisation (one per Chinese character). The
    # Synthesizer passes the loaded voice's measured safe length (bundle ``inference``
    # settings); this default only serves the frontend used on its own.
    max_segment_syllables: int = 30
    phrase_target: int = 6  # preferred prosodic-phrase length (syllables) between #2 breaks
    phrase_max: int = 10
    erhua: bool = True  # fold 这儿/玩儿 into the previous syllable (+ er5)

    def __post_init__(self) -> None:
        check_segment_limit(self.max_segment_syllables)
        if not 1 <= self.phrase_target <= self.phrase_max:
            raise ValueError("need 1 <= phrase_target <= phrase_max")


def assemble(words: list[Word], breaks: list[int]) -> tuple[list[str], list[int], list[int], list[int], list[str]]:
    """Phones, tones, syllable_index, word_index and per-syllable pinyin for a segment."""
    phones, tones, syl_idx, word_idx, pinyin = [SIL], [0], [-1], [-1], []
    n_syl = 0
    for k, w in enumerate(words):
        if k:
            phones.append(f"#{breaks[k - 1]}")
            tones.append(0)
            syl_idx.append(-1)
            word_idx.append(-1)
        for j, s in enumerate(w.syllables):
            if j:
                phones.append("#0")
                tones.append(0)
                syl_idx.append(-1)
                word_idx.append(k)
            initial, final = decompose(s.base)
            parts = [initial, f"{final}{s.tone}"] + ([ERHUA] if s.erhua else [])
            for p in parts:
                phones.append(p)
                tones.append(int(p[-1]) if is_final_symbol(p) else 0)
                syl_idx.append(n_syl)
                word_idx.append(k)
            pinyin.append(s.pinyin)
            n_syl += 1
    phones += [SIL, EOS]
    tones += [0, 0]
    syl_idx += [-1, -1]
    word_idx += [-1, -1]
    return phones, tones, syl_idx, word_idx, pinyin


class Frontend:
    """Mandarin text frontend. ``symbols``: a bundle's symbol table (default: Baker set)."""

    def __init__(self, symbols: Sequence[str] | None = None, config: FrontendConfig | None = None) -> None:
        self.table = SymbolTable(symbols)
        self.config = config or FrontendConfig()
        self._prosody = ProsodyParams(phrase_target=self.config.phrase_target, phrase_max=self.config.phrase_max)

    @property
    def symbols(self) -> tuple[str, ...]:
        return self.table.symbols

    def __call__(self, text: str, pinyin_overrides: Mapping[str, object] | None = None,
                 max_segment_syllables: int | None = None) -> Utterance:
        """Text -> Utterance. ``max_segment_syllables`` overrides the config's segment limit
        (the Synthesizer passes its voice's safe length)."""
        stream = self.iter_segments(text, pinyin_overrides, max_segment_syllables)
        segments = list(stream)
        return Utterance(text=text, segments=segments, warnings=stream.warnings)

    def iter_segments(self, text: str, pinyin_overrides: Mapping[str, object] | None = None,
                      max_segment_syllables: int | None = None) -> SegmentStream:
        """The segments ``__call__`` returns, produced sentence by sentence (see ``incremental``).

        Raises the same input errors as ``__call__`` here (a phone missing from the symbol
        table only when its segment is reached); ``.warnings`` is complete before the first
        segment."""
        return SegmentStream(self, text, pinyin_overrides, max_segment_syllables)

    def _plan_sentence(self, clauses: list[Clause], limit: int) -> tuple[list[Word], list[int], list[Piece]]:
        """All words of one sentence, their break levels (sandhi applied over the whole
        sentence) and the pieces it is cut into (see ``split``)."""
        total = sum(c.size for c in clauses)
        budget = context_budget(limit)
        pack_len = limit if total <= limit else limit - budget
        words: list[Word] = []
        spans: list[tuple[int, int]] = []  # word range of each clause
        colon_gaps: set[int] = set()
        inside: set[int] = set()
        for c in clauses:
            cw, cut_inside = split_long_words(c.words, pack_len)
            if cw:
                cw[0].break_before = 3 if words else 0
                if words and spans and _ends_with_colon(clauses[len(spans) - 1].raw):
                    colon_gaps.add(len(words) - 1)
            inside.update(len(words) + k for k in cut_inside)
            spans.append((len(words), len(words) + len(cw)))
            words.extend(cw)
        if not words:
            return [], [], []
        breaks = assign_breaks(words, self._prosody)
        apply_sandhi(words, breaks)
        kinds: list[object] = [
            "split" if k in inside else "colon" if k in colon_gaps else breaks[k] for k in range(len(breaks))
        ]
        cuts = plan_cuts([len(w) for w in words], kinds, pack_len, gap_bias(words, CONJUNCTIONS))
        bounds = [0] + [k + 1 for k in cuts] + [len(words)]
        pieces = []
        for a, b in zip(bounds, bounds[1:]):
            raw, norm = [], []
            for c, (cs, ce) in zip(clauses, spans):
                if cs == ce:  # a clause with nothing to say: keep its text with its neighbour
                    if a <= cs - 1 < b or (cs == 0 and a == 0):
                        raw.append(c.raw)
                    continue
                if a <= cs and ce <= b:
                    raw.append(c.raw)
                    norm.append(c.normalized)
                elif cs < b and a < ce:
                    part = "".join(w.text for w in words[max(a, cs):min(b, ce)])
                    raw.append(part)
                    norm.append(part)
            cut_level = 3 if b < len(words) and kinds[b - 1] in ("colon", 3) else breaks[b - 1] if b < len(words) else 3
            ctx = context_words(words, breaks, b, budget) if b < len(words) else []
            pieces.append(Piece(a, b, "".join(raw).strip(), "，".join(p for p in norm if p), int(cut_level), ctx))
        return words, breaks, pieces

    def _segment(self, words: list[Word], breaks: list[int], piece: Piece, stype: str, pause_after: str,
                 ends_sentence: bool) -> Segment:
        n_keep = piece.end - piece.start
        seg_words = words[piece.start:piece.end] + piece.context
        seg_breaks = breaks[piece.start:piece.end - 1]
        if piece.context:  # the cut's own break, then the breaks inside the context
            seg_breaks = seg_breaks + breaks[piece.end - 1:piece.end + len(piece.context) - 1]
        phones, tones, syl_idx, word_idx, pinyin = assemble(seg_words, seg_breaks)
        context_start = None
        if piece.context:
            context_start = word_idx.index(n_keep)  # first phone of the first context word
            n_syl = sum(len(w) for w in seg_words[:n_keep])
            for i in range(context_start, len(phones)):
                syl_idx[i] = -1
                word_idx[i] = -1
            pinyin = pinyin[:n_syl]
        ids = self.table.ids(phones, context=piece.raw[:40])
        return Segment(
            text=piece.raw,
            normalized=piece.normalized,
            phones=phones, ids=ids, tones=tones, syllable_index=syl_idx,
            words=[w.text for w in seg_words[:n_keep]], word_index=word_idx,
            sentence_type=stype, pause_after=pause_after, pinyin=pinyin,
            ends_sentence=ends_sentence, context_start=context_start,
        )


def _ends_with_colon(raw: str) -> bool:
    return raw.rstrip(" \t\r\n”’」』）)】》〉]}\"'").endswith(("：", ":"))
