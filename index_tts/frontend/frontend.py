"""``Frontend``: text -> ``Utterance`` of model-ready segments (see docs/ARCHITECTURE.md)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping, Sequence

from ..utils.config import ConfigBase
from .errors import FrontendError
from .g2p import clause_words
from .normalize import normalize, strip_marks
from .overrides import OverrideTable, apply_overrides
from .pinyin import decompose
from .prosody import ProsodyParams, assign_breaks
from .sandhi import apply_sandhi
from .split import Chunk, Clause, pack_clauses
from .symbols import ERHUA, EOS, SIL, SymbolTable, is_final_symbol
from .text import clean, describe_unknown, sentence_type, split_clauses, split_sentences
from .types import Segment, Utterance, Word

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrontendConfig(ConfigBase):
    # Longest segment, in syllables after normalisation (one per Chinese character).
    max_segment_chars: int = 60
    phrase_target: int = 6  # preferred prosodic-phrase length (syllables) between #2 breaks
    phrase_max: int = 10
    erhua: bool = True  # fold 这儿/玩儿 into the previous syllable (+ er5)

    def __post_init__(self) -> None:
        if self.max_segment_chars < 4:
            raise ValueError("max_segment_chars must be at least 4")
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

    def __call__(self, text: str, pinyin_overrides: Mapping[str, object] | None = None) -> Utterance:
        if not isinstance(text, str):
            raise FrontendError(f"text must be a string, got {type(text).__name__}")
        marked, overrides, stray = apply_overrides(text, pinyin_overrides)
        cleaned, unknown = clean(marked, allow_markers=True)
        unknown = stray + unknown
        sentences = split_sentences(cleaned)
        chunks: list[tuple[Chunk, str, bool]] = []  # (chunk, sentence type, last of its sentence)
        for s_start, s_end in sentences:
            clauses = []
            for a, b in split_clauses(cleaned, s_start, s_end):
                norm = normalize(cleaned[a:b])
                words = clause_words(norm, overrides, unknown, erhua=self.config.erhua)
                clauses.append(Clause(
                    raw=overrides.restore(marked[a:b]),
                    normalized=overrides.restore(strip_marks(norm)),
                    words=words,
                ))
            packed = pack_clauses(clauses, self.config.max_segment_chars)
            stype = sentence_type(marked[s_start:s_end])
            for i, ch in enumerate(packed):
                last = i == len(packed) - 1
                chunks.append((ch, stype if last else "declarative", last))
        warnings = []
        if unknown:
            warnings.append(describe_unknown(unknown))
        segments = [
            self._segment(ch, stype, "none" if i == len(chunks) - 1 else "sentence" if last else "comma", overrides)
            for i, (ch, stype, last) in enumerate(chunks)
        ]
        if not segments:
            warnings.append("no readable text: the input contains nothing that can be spoken")
        for w in warnings:
            log.info("frontend: %s", w)
        return Utterance(text=text, segments=segments, warnings=warnings)

    def _segment(self, chunk: Chunk, stype: str, pause_after: str, overrides: OverrideTable) -> Segment:
        words = chunk.words
        breaks = assign_breaks(words, self._prosody)
        apply_sandhi(words, breaks)
        phones, tones, syl_idx, word_idx, pinyin = assemble(words, breaks)
        raw = "".join(chunk.raw_parts).strip()
        ids = self.table.ids(phones, context=raw[:40])
        return Segment(
            text=raw,
            normalized="，".join(p for p in chunk.norm_parts if p),
            phones=phones, ids=ids, tones=tones, syllable_index=syl_idx,
            words=[w.text for w in words], word_index=word_idx,
            sentence_type=stype, pause_after=pause_after, pinyin=pinyin,
        )
