"""The word lookups g2p needs, from the compact lexicon or from jieba / pypinyin themselves.

``INDEX_TTS_LEXICON`` chooses: ``compact`` (default; marisa-trie files built once from the
installed jieba / pypinyin, ~4 MB in memory) or ``libs`` (import jieba, jieba.posseg and
pypinyin, ~165 MB). When the compact files cannot be built or loaded, ``compact`` falls
back to ``libs`` with a logged warning. Both give identical results
(``tests/test_lexicon.py``).
"""
from __future__ import annotations

import functools
import logging
import os
import warnings

log = logging.getLogger(__name__)

ENV = "INDEX_TTS_LEXICON"
_ERRORS = "default"


class LibraryBackend:
    """jieba.posseg (no HMM) + pypinyin.lazy_pinyin, as the frontend first used them."""

    name = "libs"

    def __init__(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import jieba
            import jieba.posseg as pseg
            from pypinyin import Style, lazy_pinyin
            from pypinyin.constants import PHRASES_DICT
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        self._jieba, self._pseg = jieba, pseg
        self._lazy, self._tone3, self._phrases = lazy_pinyin, Style.TONE3, PHRASES_DICT

    def cut(self, text: str) -> list[tuple[str, str]]:
        return [(p.word, p.flag) for p in self._pseg.lcut(text, HMM=False)]

    def pinyin(self, text: str, errors=_ERRORS) -> list[str]:
        return self._lazy(text, style=self._tone3, neutral_tone_with_five=True, errors=errors)

    def is_phrase(self, text: str) -> bool:
        return text in self._phrases

    def is_dict_word(self, text: str) -> bool:
        return bool(self._jieba.dt.FREQ.get(text)) or text in self._phrases


class CompactBackend:
    """The same lookups over :class:`~.lexicon.Lexicon` (no jieba / pypinyin import)."""

    name = "compact"

    def __init__(self, lex):
        from .lexicon_cut import PinyinReader

        self.lex = lex
        self._reader = PinyinReader(lex)

    def cut(self, text: str) -> list[tuple[str, str]]:
        from .lexicon_cut import pos_cut

        return pos_cut(self.lex, text)

    def pinyin(self, text: str, errors=_ERRORS) -> list[str]:
        return self._reader(text, errors=errors)

    def is_phrase(self, text: str) -> bool:
        return self.lex.is_phrase(text)

    def is_dict_word(self, text: str) -> bool:
        return self.lex.is_dict_word(text)


def mode() -> str:
    value = os.environ.get(ENV, "compact").strip().lower() or "compact"
    if value in ("libs", "lib", "library", "jieba"):
        return "libs"
    if value != "compact":
        log.warning("%s=%r is not 'compact' or 'libs'; using compact", ENV, value)
    return "compact"


@functools.lru_cache(maxsize=2)
def _backend_for(name: str):
    if name == "compact":
        from .lexicon import load

        lex = load()
        if lex is not None:
            return CompactBackend(lex)
    return LibraryBackend()


def backend():
    """The backend for the current ``INDEX_TTS_LEXICON`` (loaded on first use, then kept)."""
    return _backend_for(mode())
