"""Scripts for audiobooks and batches: a plain-text format with a voice and emotion per line.

    from index_tts.script import parse_script, assign_voices
    script = parse_script(open("story.txt", encoding="utf-8").read(), source="story.txt")
    cast = assign_voices(script, tts.info()["voices"])

Pure Python (no torch). The format is documented in the README ("Scripts").
"""
from .cast import VoiceChoice, assign_voices, describe_cast
from .model import AUTO, NARRATOR, CastEntry, Chapter, Pause, Script, ScriptLine, Settings
from .parser import Problem, ScriptError, parse_script

__all__ = [
    "AUTO", "NARRATOR", "CastEntry", "Chapter", "Pause", "Problem", "Script", "ScriptError",
    "ScriptLine", "Settings", "VoiceChoice", "assign_voices", "describe_cast", "parse_script",
]
