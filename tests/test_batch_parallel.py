"""``--workers``: the process pool (fake engine in the workers) and the SIGKILL/resume benchmark."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from index_tts.batch import run_batch
from index_tts.batch.longscript import long_script
from index_tts.batch.parallel import LinePool, ParallelSpec, WorkerError
from index_tts.script import ScriptLine, parse_script
from test_batch_unit import FakeSynth  # tests/ is on sys.path (pytest prepend import mode)


class SlowFake(FakeSynth):
    """FakeSynth that reports its torch thread count and its pid, and fails on 'BOOM'."""

    def stream(self, text, warnings=None, **kw):
        if "BOOM" in text:
            raise RuntimeError("engine exploded")
        import torch

        if warnings is not None:
            warnings.append(f"pid={os.getpid()} threads={torch.get_num_threads()} omp={os.environ.get('OMP_NUM_THREADS')}")
        time.sleep(0.05)
        yield from super().stream(text, **kw)


def slow_fake(model_path=None, device=None):
    return SlowFake()


SPEC = ParallelSpec(2, engine="test_batch_parallel:slow_fake", threads=1)


def test_pool_spreads_lines_over_workers_with_one_thread_each(tmp_path):
    script = "".join(f"第{i}句话，长度不一{'啊' * (i % 5)}。\n" for i in range(12))
    run_batch(script, tmp_path / "one", FakeSynth(), name="b")
    before = os.environ.get("OMP_NUM_THREADS")
    with LinePool(SPEC) as pool:
        assert os.environ.get("OMP_NUM_THREADS") == before  # set for the children only
        pool.wait_ready()  # on a loaded machine worker 0 could otherwise finish all 12 lines alone
        res = run_batch(script, tmp_path / "two", FakeSynth(), name="b", parallel=pool)
        assert sorted(pool.ready) == [0, 1] and pool.threads == {0: 1, 1: 1}
    notes = [w.split(": ", 1)[1] for w in res.warnings]
    assert len(notes) == 12 and len({n.split()[0] for n in notes}) == 2  # both workers took lines
    assert all("threads=1 omp=1" in n for n in notes)
    for f in ("b.wav", "b.srt", "manifest.json"):
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes(), f


def test_a_failing_line_names_its_line_and_keeps_finished_lines(tmp_path):
    script = "第一句。\n第二句。\n这一句BOOM。\n第四句。\n"
    with pytest.raises(WorkerError, match=r"failed on line 3:(.|\n)*engine exploded"):
        run_batch(script, tmp_path, FakeSynth(), name="b", parallel=SPEC)
    done = {p.name.split("_")[0] for p in (tmp_path / "lines").glob("*.json")}
    assert "0003" not in done and not list(tmp_path.rglob("*.tmp-*"))


def test_a_worker_that_cannot_start_is_reported(tmp_path):
    bad = ParallelSpec(2, engine="test_batch_parallel:no_such_factory")
    with pytest.raises(WorkerError, match="could not start"):
        run_batch("一。\n二。\n", tmp_path, FakeSynth(), name="b", parallel=bad)


def test_long_script_has_exactly_n_lines_with_pauses_and_chapters():
    text = long_script(120)
    script = parse_script(text, source="x")
    lines = [i for i in script.items if isinstance(i, ScriptLine)]
    assert len(lines) == 120 and sum(i.is_chapter_title for i in lines) == 3
    assert {i.character for i in lines} == {"旁白", "林雨", "陈默"} and "[pause" in text
    assert long_script(120) == text


@pytest.mark.slow
def test_sigkilled_three_times_resumes_to_identical_files(tmp_path, synth):
    """The benchmark itself on the real default voice, small: 24 lines, 3 kills at random points."""
    from index_tts.batch.killtest import run_killtest

    report = run_killtest(24, 3, tmp_path, rng_seed=5, log=lambda m: None)
    assert report["passed"], json.dumps(report, ensure_ascii=False, indent=1)
    assert all(k["lines_done_at_kill"] >= k["target_lines"] and not k["finished_before_kill"]
               for k in report["kills"])
    assert report["compare"]["files_ref"] == 2 * 24 + 5  # lines .wav/.json + wav, srt, vtt, timing, manifest
    assert "0 rendered" not in report["resume"]["summary"]


@pytest.mark.slow
def test_sigkilled_with_two_workers_resumes_to_identical_files(tmp_path, synth):
    from index_tts.batch.killtest import run_killtest

    report = run_killtest(16, 2, tmp_path, workers=2, rng_seed=3, log=lambda m: None)
    assert report["passed"], json.dumps(report, ensure_ascii=False, indent=1)


def test_workers_exit_when_the_batch_process_is_killed(tmp_path):
    """kill -9 of the main process only: its workers finish their line and exit, leaving no temp files."""
    import signal
    import subprocess
    import sys

    child = (
        "import sys; sys.path.insert(0, %r)\n"
        "from index_tts.batch import run_batch\n"
        "from index_tts.batch.parallel import LinePool\n"
        "from test_batch_parallel import SPEC, SlowFake\n"
        "with LinePool(SPEC) as pool:\n"
        "    run_batch(''.join(f'第{i}句。\\n' for i in range(400)), %r, pool.engine(), name='b', parallel=pool)\n"
    ) % (str(Path(__file__).parent), str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", child])
    deadline = time.monotonic() + 60
    while len(list((tmp_path / "lines").glob("*.json"))) < 4 if (tmp_path / "lines").exists() else True:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert len(kids) >= 2
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    def alive(pid: str) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 15
    while any(alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(k) for k in kids)
    assert not list(tmp_path.rglob("*.tmp-*")) and len(list((tmp_path / "lines").glob("*.json"))) < 400
