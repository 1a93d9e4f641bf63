"""``--queue``: a batch's lines rendered by two Celery worker processes (real default voice) against
a Redis server the test starts on a free port; compared byte for byte with a local 1-thread batch."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from index_tts import cli
from index_tts.batch import run_batch

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "".join(f"第{i}句话，长度不一{'啊' * (i % 5)}。\n" for i in range(6))  # as test_batch_parallel
SEED = 7
WORKERS = ("w1@queue-test", "w2@queue-test")


def _missing() -> str | None:
    if shutil.which("redis-server") is None:
        return "redis-server is not on PATH (apt-get install redis-server; .ci/run installs it)"
    try:
        import celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -r requirements-dev.txt)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group (a worker finishes its line), SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            pass


@pytest.fixture(scope="module")
def queue(tmp_path_factory):
    """Redis on a free port and two workers (concurrency 1 each), both answering a ping."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    import redis

    from index_tts.batch.queue import workers

    tmp = tmp_path_factory.mktemp("queue")
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        log = open(tmp / "redis.log", "wb")
        logs.append(log)
        procs.append(subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", str(tmp)],
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 15
        while True:
            try:
                if redis.Redis(port=port, socket_connect_timeout=1).ping():
                    break
            except redis.exceptions.ConnectionError:
                pass
            assert procs[0].poll() is None and time.monotonic() < deadline, (tmp / "redis.log").read_text()
            time.sleep(0.05)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        for name in WORKERS:
            log = open(tmp / f"{name}.log", "wb")
            logs.append(log)
            procs.append(subprocess.Popen([sys.executable, "-m", "index_tts.batch.queue", "worker", "--broker", url,
                                           "--hostname", name, "--loglevel", "info"], cwd=ROOT, env=env,
                                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        # both workers consume before the first line is queued: with prefetch 1 and late acks a worker
        # holds only the line it renders (the first one also loads its engine), so each gets a line
        deadline = time.monotonic() + 90
        while set(workers(url, timeout=0.5)) != set(WORKERS):
            dead = [p for p in procs if p.poll() is not None]
            assert not dead and time.monotonic() < deadline, "\n".join(
                f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in tmp.glob("*.log"))
        yield SimpleNamespace(url=url, port=port, logs=tmp)
    finally:
        for p in reversed(procs):
            _stop(p)
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def reference(synth, tmp_path_factory):
    """The same script rendered here, with 1 torch thread like every worker."""
    import torch

    out = tmp_path_factory.mktemp("local")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t = time.perf_counter()
        run_batch(SCRIPT, out, synth, name="b", seed=SEED)
        return SimpleNamespace(out=out, seconds=time.perf_counter() - t)
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="module")
def queued(queue, reference, synth, tmp_path_factory):
    from index_tts.batch.queue import run_batch_on_queue

    out = tmp_path_factory.mktemp("queued")
    seen = []
    t = time.perf_counter()
    res = run_batch_on_queue(SCRIPT, out, synth, queue.url, name="b", seed=SEED, progress=seen.append, timeout=60)
    seconds = time.perf_counter() - t
    print(f"\n6 lines: local 1 thread {reference.seconds:.2f} s; queue, 2 workers {seconds:.2f} s "
          f"(each worker's first line loads its engine)")
    return SimpleNamespace(out=out, res=res, progress=seen, seconds=seconds)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_queue_output_is_byte_identical_to_a_local_batch(queued, reference):
    res = queued.res
    assert (res.rendered, res.skipped, len(res.tasks)) == (6, 0, 6) and res.audio_s > 5
    ours, theirs = _files(queued.out), _files(reference.out)
    assert sorted(ours) == sorted(theirs) and len(ours) == 2 * 6 + 5  # lines .wav+.json, wav/srt/vtt/timing/manifest
    assert [f for f in ours if ours[f] != theirs[f]] == []
    assert [p.done for p in queued.progress] == list(range(7)) and queued.progress[-1].job is not None


def test_both_workers_rendered_lines_with_one_thread(queued):
    tasks = queued.res.tasks
    assert set(queued.res.by_worker()) == set(WORKERS), queued.res.by_worker()
    assert len({t["pid"] for t in tasks}) == 2 and {t["threads"] for t in tasks} == {1}


def test_a_second_run_renders_nothing_and_a_partial_one_only_the_missing_lines(queued, queue, synth):
    from index_tts.batch.queue import run_batch_on_queue

    before = _files(queued.out)
    lines = queued.out / "lines"
    stamps = {p.name: p.stat().st_mtime_ns for p in lines.iterdir()}
    res = run_batch_on_queue(SCRIPT, queued.out, synth, queue.url, name="b", seed=SEED, timeout=60)
    assert (res.rendered, res.skipped, res.tasks) == (0, 6, [])
    assert {p.name: p.stat().st_mtime_ns for p in lines.iterdir()} == stamps
    next(lines.glob("0002_*.wav")).unlink()
    next(lines.glob("0005_*.json")).unlink()  # the "done" mark: the line is redone
    res = run_batch_on_queue(SCRIPT, queued.out, synth, queue.url, name="b", seed=SEED, timeout=60)
    assert (res.rendered, res.skipped) == (2, 4) and [t["index"] for t in res.tasks] == [2, 5]
    assert _files(queued.out) == before


class _Planner:
    """Plans like ``synth`` but lists an extra voice or claims another vocoder (the workers do not)."""

    def __init__(self, synth, vocoder=None):
        self._synth, self.sample_rate, self.bundle_dir = synth, synth.sample_rate, synth.bundle_dir
        self.vocoder_name = vocoder or synth.vocoder_name

    def info(self):
        info = dict(self._synth.info())
        info["voices"] = list(info["voices"]) + [{"id": "ghost"}]
        return info


def test_a_failing_line_is_named_and_does_not_hang(queue, synth, tmp_path):
    from index_tts.batch.queue import QueueError, run_batch_on_queue

    t = time.perf_counter()
    with pytest.raises(QueueError, match=r"line 3 \(鬼: 我不存在。\) failed on worker w[12]@queue-test: "
                                         r"UnknownVoiceError\(\"unknown voice 'ghost'"):
        run_batch_on_queue("@cast 鬼: voice=ghost\n第一句。\n鬼：我不存在。\n", tmp_path, _Planner(synth), queue.url,
                           name="b", timeout=60)
    with pytest.raises(QueueError, match=r"has engine 'baker-zh/\w+' but the batch was planned with 'baker-zh/other'"):
        run_batch_on_queue("第一句。\n", tmp_path / "v", _Planner(synth, "other"), queue.url, name="b", timeout=60)
    assert time.perf_counter() - t < 30 and not (tmp_path / "b.wav").exists()


def test_no_worker_times_out_naming_the_lines(queue, synth, tmp_path):
    from index_tts.batch.queue import QueueError, run_batch_on_queue

    idle = queue.url.replace("/0", "/1")  # same server, a database no worker listens on
    t = time.perf_counter()
    with pytest.raises(QueueError, match=r"no line finished for 1\.5 s; still waiting for line 1, 2 \(2 of 2\)"):
        run_batch_on_queue("第一句。\n第二句。\n", tmp_path, synth, idle, name="b", timeout=1.5)
    assert time.perf_counter() - t < 15


def test_cli_queue_option(queue, reference, synth, tmp_path, monkeypatch, capsys, request):
    import torch

    monkeypatch.setattr("index_tts.synthesizer.Synthesizer", lambda *a, **k: synth)  # plans with the loaded one
    (tmp_path / "b.txt").write_text(SCRIPT, encoding="utf-8")
    threads = torch.get_num_threads()
    t = time.perf_counter()
    try:
        assert cli.main(["batch", str(tmp_path / "b.txt"), "--out", str(tmp_path / "o"), "--seed", str(SEED),
                         "--queue", queue.url]) == 0
    finally:
        torch.set_num_threads(threads)
    seconds = time.perf_counter() - t
    captured = capsys.readouterr()
    assert "b.txt: 6 lines (6 rendered, 0 reused)" in captured.out and "lines rendered by w" in captured.err
    if request.config.getoption("capture") == "no":  # -s: show the figure
        with capsys.disabled():
            print(f"\n6 lines through the CLI, workers already warm: {seconds:.2f} s")
    for f in ["b.wav", "b.srt"] + [f"lines/{p.name}" for p in (reference.out / "lines").iterdir()]:
        assert (tmp_path / "o" / f).read_bytes() == (reference.out / f).read_bytes(), f


def test_cli_queue_excludes_workers_and_a_broker_is_required(tmp_path, capsys, monkeypatch):
    (tmp_path / "b.txt").write_text("好。\n", encoding="utf-8")
    assert cli.main(["batch", str(tmp_path / "b.txt"), "--out", str(tmp_path / "o"), "--queue", "redis://x:1/0",
                     "--workers", "2"]) == 2
    assert "--queue and --workers > 1 cannot be combined" in capsys.readouterr().err
    from index_tts.batch.queue import QueueError, broker_url

    monkeypatch.delenv("INDEX_TTS_QUEUE", raising=False)
    with pytest.raises(QueueError, match="INDEX_TTS_QUEUE"):
        broker_url()
    monkeypatch.setenv("INDEX_TTS_QUEUE", "redis://h:1/2")
    assert broker_url() == "redis://h:1/2"


def test_celery_is_optional(monkeypatch):
    """Importing the batch package (and the queue module) loads no Celery; using the queue without it
    says how to install it."""
    code = ("import sys, index_tts.batch, index_tts.batch.cli, index_tts.batch.queue; "
            "sys.exit('celery' in sys.modules or 'redis' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
    from index_tts.batch import queue as q

    monkeypatch.setitem(sys.modules, "celery", None)  # import celery -> ImportError
    monkeypatch.setattr(q, "_apps", {})
    with pytest.raises(q.QueueError, match=r"celery is not installed: .*pip install celery==5\.6\.3 redis==8\.1\.0"):
        q.make_app("redis://127.0.0.1:1/0")
