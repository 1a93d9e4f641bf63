"""Auth, body-size cap and the bounded engine queue (real engine, in-process TestClient)."""
from __future__ import annotations

import base64
import threading
import time

import pytest

pytest.importorskip("httpx")
from fastapi.testclient import TestClient

from index_tts.server import create_app
from index_tts.server.engine import EngineWorker, ServerBusyError
from index_tts.server.middleware import parse_auth


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def auth_client(synth, tmp_path_factory):
    app = create_app(synth, auth="alice:s3cret", output_dir=tmp_path_factory.mktemp("out"))
    with TestClient(app) as c:
        yield c


def test_auth_required_for_api_and_ui(auth_client):
    for method, path, kw in [("post", "/synthesize", {"json": {"text": "你好。"}}), ("get", "/", {}),
                             ("get", "/voices", {}), ("post", "/v1/audio/speech", {"json": {"input": "你好"}})]:
        r = getattr(auth_client, method)(path, **kw)
        assert r.status_code == 401, (path, r.status_code)
        assert r.headers["www-authenticate"].startswith("Basic")
        assert r.json()["error"]["type"] == "authentication_error"
        wrong = getattr(auth_client, method)(path, headers=basic("alice", "nope"), **kw)
        assert wrong.status_code == 401, path


def test_auth_accepts_the_right_credentials(auth_client):
    ok = auth_client.post("/synthesize", json={"text": "你好。"}, headers=basic("alice", "s3cret"))
    assert ok.status_code == 200 and ok.headers["content-type"] == "audio/wav"
    page = auth_client.get("/", headers=basic("alice", "s3cret"))
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert auth_client.get("/health").status_code == 200  # liveness probe stays open


def test_parse_auth_rejects_malformed():
    assert parse_auth("a:b") == ("a", "b")
    assert parse_auth("a:b:c") == ("a", "b:c")
    assert parse_auth(None) is None
    for bad in ("nocolon", ":pw", "user:"):
        with pytest.raises(ValueError, match="user:password"):
            parse_auth(bad)


def test_body_size_cap(synth):
    app = create_app(synth, ui=False, max_body_bytes=2000)
    with TestClient(app) as c:
        r = c.post("/synthesize", json={"text": "你" * 1000})  # ~3 kB of JSON
        assert r.status_code == 413
        assert "2000 bytes" in r.json()["error"]["message"]
        assert c.post("/synthesize", json={"text": "你好。"}).status_code == 200


def test_max_chars_is_configurable(synth):
    with TestClient(create_app(synth, ui=False, max_chars=10)) as c:
        r = c.post("/synthesize", json={"text": "一二三四五六七八九十十一"})
        assert r.status_code == 400 and "limit is 10" in r.json()["error"]["message"]
        assert c.get("/voices").json()["max_chars"] == 10


def test_worker_refuses_when_queue_full(synth):
    worker = EngineWorker(synth, max_pending=1)
    results = []
    with worker._lock:  # the engine is "busy": the first caller waits, the second is refused
        t = threading.Thread(target=lambda: results.append(worker.synthesize("你好。")))
        t.start()
        while worker.pending < 1:
            time.sleep(0.01)
        with pytest.raises(ServerBusyError, match="busy"):
            worker.synthesize("你好。")
    t.join(60)
    assert len(results) == 1 and results[0].sample_rate == 24000 and len(results[0].wav) > 0
    assert worker.pending == 0


def test_api_answers_503_when_queue_full(synth):
    app = create_app(synth, ui=False, max_pending=1)
    worker = app.state.worker
    with TestClient(app) as c:
        first = []
        with worker._lock:
            t = threading.Thread(target=lambda: first.append(c.post("/synthesize", json={"text": "你好。"})))
            t.start()
            while worker.pending < 1:
                time.sleep(0.01)
            r = c.post("/synthesize", json={"text": "你好。"})
            assert r.status_code == 503 and r.json()["error"]["type"] == "server_busy"
            assert r.headers["retry-after"]
        t.join(60)
        assert first[0].status_code == 200
