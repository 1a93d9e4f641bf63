"""The short reliability run against a real ``webui.py`` started on 127.0.0.1 (about a minute).

The full run (1,200 requests, 32 clients, long-text memory) is ``python -m index_tts.stress``
and the slow test at the bottom.
"""
from __future__ import annotations

import json

import pytest

pytest.importorskip("httpx")
pytest.importorskip("gradio")

from index_tts.hub import ModelNotFoundError, resolve_bundle  # noqa: E402
from index_tts.stress import checks  # noqa: E402
from index_tts.stress.cases import generate  # noqa: E402
from index_tts.stress.server import ServerProcess  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    try:
        resolve_bundle(None)
    except ModelNotFoundError as e:
        pytest.skip(f"default voice bundle missing ({e})")
    srv = ServerProcess(tmp_path_factory.mktemp("stress"), threads=1)
    srv.start()
    yield srv
    srv.stop()


def _ok(report: dict) -> None:
    assert not report["failures"], json.dumps(report, ensure_ascii=False, indent=1)[:3000]


def test_the_generated_cases_cover_every_family():
    cases = generate(1200)
    kinds = {c.kind.split(":")[0].split(".")[0] for c in cases}
    assert len(cases) >= 1200
    assert {"type", "str", "override", "reference", "long", "malformed", "deep", "content-type", "method",
            "traversal"} <= kinds
    assert any(b"\\ud800" in c.body for c in cases) and any(b"NaN" in c.body for c in cases)
    assert any(len(c.body) > 20_000 for c in cases)


def test_fuzz_short(server):
    report = checks.fuzz(server.url, checks.sample_cases(150))
    _ok(report)
    assert report["5xx"] == 0 and report["resets"] == 0 and report["chunked_12mb_status"] == 413
    assert report["requests"] >= 150


def test_sixteen_concurrent_clients(server):
    report = checks.load(server.url, clients=16, per_client=1)
    _ok(report)
    assert report.get("audio", 0) + report.get("503", 0) == 16 and report.get("audio", 0) >= 1


def test_outputs_are_private(server):
    report = checks.privacy(server)
    _ok(report)
    assert report["fetch_status"]["own_url"] == 200


def test_abandoned_requests_do_not_block_the_queue(server):
    _ok(checks.cancel(server, measure_full=False))


def test_kill_mid_synthesis_leaves_no_partial_file_and_restart_serves(server):
    report = checks.kill_and_restart(server)  # ends with the server stopped (SIGTERM check)
    _ok(report)
    assert report["new_files_after_kill"] == 0 and report["sigterm_answer"] == 503


@pytest.mark.slow
def test_full_reliability_run(tmp_path):
    """The bars of the reliability issue: python -m index_tts.stress (several minutes)."""
    from index_tts.stress import run

    report = run(workdir=tmp_path)
    assert report["failures"] == 0, json.dumps(report, ensure_ascii=False, indent=1)[:4000]
    assert report["fuzz"]["requests"] >= 1200 and report["load"]["clients"] == 32
