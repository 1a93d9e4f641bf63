"""The bundled demo script (index_tts/batch/data/demo_script.txt) and the reading fix it relies on."""
from __future__ import annotations

import numpy as np
import pytest

from index_tts.batch.cuetiming import energy_onset, summarize
from index_tts.batch.measure import DEMO
from index_tts.batch.plan import make_jobs
from index_tts.script import Pause, ScriptLine, parse_script
from index_tts.textemotion import detect_emotion

VOICES = ["baker", "zf_xiaoxiao", "zf_xiaobei", "zf_xiaoyi", "zm_yunyang", "zm_yunjian", "zm_yunxi", "zm_yunxia"]


def test_demo_is_a_thirty_line_two_character_script_with_mixed_emotions_and_pauses():
    script = parse_script(DEMO.read_text(encoding="utf-8"), source=str(DEMO))
    lines = [i for i in script.items if isinstance(i, ScriptLine)]
    spoken = [i for i in lines if not i.is_chapter_title]
    assert len(spoken) == 30 and sum(i.is_chapter_title for i in lines) == 3
    assert {i.character for i in spoken} == {"旁白", "林雨", "陈默"}
    assert sum(isinstance(i, Pause) for i in script.items) >= 2
    jobs, cast, _ = make_jobs(script, VOICES, detect=detect_emotion)
    emotions = {j.emotion for j in jobs if not j.is_chapter_title}
    assert len(emotions - {None}) >= 5  # mixed: automatic and written emotions
    assert (cast["林雨"].voice, cast["陈默"].voice) == ("zf_xiaoyi", "zm_yunjian")
    assert cast["旁白"].voice == "baker"  # the narrator keeps the default voice (full emotion control)


def test_shei_reads_shei2():
    from index_tts.frontend import Frontend

    seg = Frontend()("谁？是谁在外面？").segments
    assert [p for s in seg for p in s.phones if p.endswith("2") and p.startswith("ei")] == ["ei2", "ei2"]


def test_energy_onset_and_summary():
    sr = 24000
    chunk = np.zeros(sr, np.float32)
    chunk[6000:12000] = 0.2 * np.sin(np.arange(6000) / 3.0)
    assert abs(energy_onset(chunk, sr) - 6000) <= 120  # one 5 ms frame
    assert energy_onset(np.zeros(10, np.float32), sr) is None
    s = summarize([0.1, -0.2, 0.05, 0.4], silent=1)
    assert s["within_150ms"] == 2 and s["median_signed_s"] == pytest.approx(0.075) and s["only_silence_between"] == 1
