"""Automatic emotion from text, offline: lexicons + negation/degree/punctuation rules.

    from index_tts.textemotion import detect_emotion
    detect_emotion("别怕，有我在。").emotion   # 'gentle'

Measured with ``python -m index_tts.textemotion.eval`` (see that module). Pure Python.
"""
from .detect import Detector, EmotionGuess, detect_emotion

__all__ = ["Detector", "EmotionGuess", "detect_emotion"]
