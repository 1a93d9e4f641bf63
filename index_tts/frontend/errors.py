"""Exceptions raised by the text frontend (all are ValueError subclasses)."""
from __future__ import annotations


class FrontendError(ValueError):
    """Base class for frontend input errors."""


class PinyinError(FrontendError):
    """A pinyin syllable (e.g. in a user override) cannot be parsed."""


class OverrideError(FrontendError):
    """A pronunciation override is malformed or does not match its text."""


class UnknownSymbolError(FrontendError):
    """A phone is missing from the voice's symbol table."""
