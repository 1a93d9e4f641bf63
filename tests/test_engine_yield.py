"""The engine worker's one queue and a clone search that takes minutes (server/engine.py, audiofile.py).

A stand-in engine plays the search: it reports its rounds through ``search_progress`` (as the real
clone search does) and, like the real one, keeps its finished rounds, so a run that stepped aside goes
on from there. The real graph's search and resume are tested in tests/test_kokoro_clone.py.
"""
from __future__ import annotations

import time

import numpy as np
import pytest
import soundfile as sf

from index_tts.server.engine import EngineWorker
from index_tts.server.errors import JobCancelled


class _SearchingEngine:
    """``stream()`` runs a 'search' of ``rounds`` rounds when asked for the clone voice, then yields audio."""

    def __init__(self, rounds=4, round_s=0.3):
        self.rounds, self.round_s = rounds, round_s
        self.done = 0  # rounds kept between runs, like the search's state file
        self.log: list = []  # what ran, in order

    def info(self):
        return {"voices": ["default", "clone_teacher"], "sample_rate": 24000}

    def stream(self, text, progress=None, warnings=None, stats=None, speaker=None, search_progress=None):
        if speaker == "clone_teacher" and self.done < self.rounds:
            if search_progress is not None:
                search_progress(self.done, self.rounds)  # the search begins, or goes on
            while self.done < self.rounds:
                time.sleep(self.round_s)
                self.done += 1
                self.log.append(("round", self.done))
                if search_progress is not None:
                    search_progress(self.done, self.rounds)
        self.log.append(("speak", text))
        yield np.full(2400, 0.1, np.float32), None


def _wait_for(cond, timeout=30):
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.02)
    return cond()


def test_a_clone_search_lets_waiting_jobs_go_first_and_goes_on_after_them(tmp_path):
    eng = _SearchingEngine(rounds=4)
    worker = EngineWorker(eng)
    seen = []
    search = worker.submit_to_file("克隆。", tmp_path / "clone.wav", "wav", speaker="clone_teacher",
                                   search_progress=lambda d, t: seen.append((d, worker.activity)))
    assert _wait_for(lambda: ("round", 1) in eng.log or seen)  # the search is running
    short = worker.submit_to_file("你好。", tmp_path / "short.wav", "wav")
    short.future.result(timeout=30)
    clone = search.future.result(timeout=30)
    # the short job ran after the round in progress, not after the whole search
    at = eng.log.index(("speak", "你好。"))
    assert 1 <= sum(1 for e in eng.log[:at] if e[0] == "round") < eng.rounds
    assert [e for e in eng.log if e[0] == "round"] == [("round", k) for k in range(1, 5)]  # no round twice
    assert eng.log[-1] == ("speak", "克隆。") and clone.samples == 2400
    assert sf.info(str(tmp_path / "clone.wav")).frames == 2400 and sf.info(str(tmp_path / "short.wav")).frames == 2400
    starts = [d for d, _ in seen]
    assert starts[0] == 0 and starts[-1] == 4 and sorted(set(starts)) == [0, 1, 2, 3, 4]
    assert seen[0][1] == "clone search, round 1/4" and seen[-1][1] == "synthesis"  # the search is over
    assert worker.pending == 0 and worker.activity is None


def test_alone_a_search_never_steps_aside_and_a_cancelled_search_is_not_queued_again(tmp_path):
    eng = _SearchingEngine(rounds=3, round_s=0.05)
    worker = EngineWorker(eng)
    seen = []
    worker.submit_to_file("克隆。", tmp_path / "a.wav", "wav", speaker="clone_teacher",
                          search_progress=lambda d, t: seen.append(d)).future.result(timeout=30)
    assert seen == [0, 1, 2, 3]  # one run, from start to end

    eng2 = _SearchingEngine(rounds=6, round_s=0.2)
    worker2 = EngineWorker(eng2)
    job = worker2.submit_to_file("克隆。", tmp_path / "b.wav", "wav", speaker="clone_teacher")
    assert _wait_for(lambda: eng2.done >= 1)
    job.cancel.set()
    waiting = worker2.submit_to_file("你好。", tmp_path / "c.wav", "wav")  # would make the search step aside
    with pytest.raises(JobCancelled):
        job.future.result(timeout=30)
    waiting.future.result(timeout=30)
    assert eng2.done < eng2.rounds and ("speak", "克隆。") not in eng2.log
    assert not (tmp_path / "b.wav").exists() and worker2.pending == 0


def test_shutdown_during_a_search_answers_the_waiting_callers(tmp_path):
    from index_tts.server.errors import ShuttingDownError

    eng = _SearchingEngine(rounds=20, round_s=0.1)
    worker = EngineWorker(eng)
    job = worker.submit_to_file("克隆。", tmp_path / "a.wav", "wav", speaker="clone_teacher")
    other = worker.submit_to_file("你好。", tmp_path / "b.wav", "wav")
    assert _wait_for(lambda: eng.done >= 1)
    worker.shutdown()
    with pytest.raises((ShuttingDownError, JobCancelled)):
        job.future.result(timeout=30)
    try:  # the short request ran while the search stepped aside, or the shutdown refused it: never left waiting
        other.future.result(timeout=30)
        assert sf.info(str(tmp_path / "b.wav")).frames == 2400
    except (ShuttingDownError, JobCancelled):
        assert not (tmp_path / "b.wav").exists()
    assert not (tmp_path / "a.wav").exists() and eng.done < eng.rounds and ("speak", "克隆。") not in eng.log
