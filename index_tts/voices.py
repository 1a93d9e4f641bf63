"""Voice names every front end shares: OpenAI's voice names mapped onto our presets, and the
sentence a voice preview reads.

OpenAI's ``/v1/audio/speech`` clients send ``alloy``, ``onyx`` … A name maps to the first of its
presets that is installed: the Kokoro teacher voices (``cache_hub/kokoro-zh``) first, then the
student's voices (``cache_hub/student-zh``); when none is installed it is the default voice.
The choice follows what the OpenAI voices sound like (gender, pitch, character).
"""
from __future__ import annotations

from typing import Iterable, Optional

#: OpenAI voice name -> our preset ids in order of preference.
OPENAI_VOICE_PRESETS: dict[str, tuple[str, ...]] = {
    "alloy": ("zf_xiaobei", "xiaobei"),        # neutral, warm female
    "ash": ("zm_yunjian", "yunjian"),          # low adult male
    "ballad": ("zm_yunxi", "yunxi"),           # soft young male
    "cedar": ("zm_yunyang", "yunyang"),        # deep, steady male
    "coral": ("zf_xiaoxiao", "xiaoxiao"),      # clear bright female
    "echo": ("zm_yunxi", "yunxi"),             # light male
    "fable": ("zm_yunxia", "yunxia"),          # boyish storyteller
    "marin": ("zf_xiaoxiao", "xiaoxiao"),      # clear female
    "nova": ("zf_xiaoyi", "xiaoyi"),           # young, bright female
    "onyx": ("zm_yunyang", "yunyang"),         # deep male
    "sage": ("zf_xiaobei", "xiaobei"),         # calm female
    "shimmer": ("zf_xiaoyi", "xiaoyi"),        # light, young female
    "verse": ("zm_yunjian", "yunjian"),        # expressive male
}

#: What the preview button reads: short, all four tones, a number, a question.
PREVIEW_TEXT = "你好，我是这个音色。今天是十二月一日，我们一起读一段话，好吗？"


def resolve_openai_voice(name: str, installed: Iterable[str]) -> Optional[str]:
    """The installed preset an OpenAI voice name stands for, or None (the default voice).

    Raises KeyError for a name that is not one of OpenAI's."""
    presets = OPENAI_VOICE_PRESETS[name]
    have = set(installed)
    return next((p for p in presets if p in have), None)
