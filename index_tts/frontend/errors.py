"""Exceptions raised by the text frontend.

All are :class:`index_tts.errors.InputError` subclasses (and so ``ValueError``): they are
caused by the text or overrides a user sent, so front ends answer them with HTTP 400 / a
UI message naming what to fix.
"""
from __future__ import annotations

from ..errors import InputError


class FrontendError(InputError):
    """Base class for frontend input errors."""


class PinyinError(FrontendError):
    """A pinyin syllable (e.g. in a user override) cannot be parsed."""


class OverrideError(FrontendError):
    """A pronunciation override is malformed or does not match its text."""


class UnknownSymbolError(FrontendError):
    """A phone is missing from the voice's symbol table."""
