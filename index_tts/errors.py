"""Errors the product reports to users. Every one carries a message fit to show as is."""
from __future__ import annotations


class IndexTTSError(Exception):
    """Base class of all errors raised on bad input or missing models."""


class InputError(IndexTTSError, ValueError):
    """The request itself is wrong (HTTP 4xx)."""


class EmptyTextError(InputError):
    pass


class TextTooLongError(InputError):
    pass


class InvalidParameterError(InputError):
    pass


class UnknownVoiceError(InputError):
    pass


class UnknownEmotionError(InputError):
    pass


class ReferenceAudioError(InputError):
    """An uploaded reference clip cannot be used (unreadable, silent, too short …)."""
