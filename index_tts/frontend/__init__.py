"""Mandarin text frontend: normalisation, G2P, sandhi, prosody and segmentation.

Light to import: the dictionaries (a compact copy of jieba's and pypinyin's, ``lexicon``)
are loaded on first use.
"""
from .errors import FrontendError, OverrideError, PinyinError, UnknownSymbolError
from .frontend import Frontend, FrontendConfig
from .incremental import SegmentStream
from .symbols import BAKER_SYMBOLS
from .types import Segment, Utterance

__all__ = [
    "BAKER_SYMBOLS",
    "Frontend",
    "FrontendConfig",
    "FrontendError",
    "OverrideError",
    "PinyinError",
    "Segment",
    "SegmentStream",
    "UnknownSymbolError",
    "Utterance",
]
