"""Every user-caused error is a 4xx JSON answer that can be encoded; errors never cost the
connection; a client that goes away stops its synthesis; shutdown answers JSON."""
from __future__ import annotations

import json
import socket
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

httpx = pytest.importorskip("httpx")
from fastapi.testclient import TestClient

from index_tts.server import create_app
from index_tts.server.errors import safe_text

OVERRIDE_MISTAKES = [
    {"text": "你好", "pinyin_overrides": {"还": "zzz9"}},
    {"text": "你好", "pinyin_overrides": {"": "hao3"}},
    {"text": "我去还书", "pinyin_overrides": {"还书": "huan2"}},  # word/syllable count mismatch
    {"text": "[huan2]书"},
    {"text": "还[[huan2]]书"},
    {"text": "还[huan2 hai2 xx yy]书"},
]


@pytest.fixture(scope="module")
def api(synth):
    with TestClient(create_app(synth, ui=False), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("body", OVERRIDE_MISTAKES, ids=[json.dumps(b, ensure_ascii=False) for b in OVERRIDE_MISTAKES])
def test_override_mistakes_are_400_naming_the_problem(api, body):
    r = api.post("/synthesize", json=body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error" and err["code"] in ("OverrideError", "PinyinError")
    assert "override" in err["message"].lower() or "pinyin" in err["message"].lower()


@pytest.mark.parametrize("path,field", [("/synthesize", "text"), ("/v1/audio/speech", "input")])
@pytest.mark.parametrize("value", ["\\ud800", "\\ud83d", "你好\\udc00。"])
def test_lone_surrogates_are_400_with_an_encodable_message(api, path, field, value):
    raw = ('{"%s": "%s"}' % (field, value)).encode()  # JSON escapes: the only way to send them
    r = api.post(path, content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    msg = r.json()["error"]["message"]
    assert "surrogate" in msg and field in msg
    msg.encode("utf-8")


def test_safe_text_escapes_what_cannot_be_encoded():
    s = safe_text("a\ud800b\x00c" + "x" * 1000, limit=20)
    s.encode("utf-8")
    assert s.startswith("a\\ud800b\\u0000c") and s.endswith("…") and len(s) < 40


def test_wrong_method_and_unknown_path_use_the_error_shape(synth, tmp_path):
    app = create_app(synth, output_dir=tmp_path)  # with the UI mounted at /
    with TestClient(app, raise_server_exceptions=False) as c:
        for method in ("get", "put", "delete"):
            r = c.request(method, "/synthesize")
            assert r.status_code == 405 and r.headers["allow"] == "POST"
            assert r.json()["error"]["code"] == "method_not_allowed"
        assert c.post("/health").status_code == 405
        r = c.get("/no/such/route")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        assert c.get("/").status_code == 200  # the page itself still loads


def test_oversized_chunked_body_is_413(synth):
    with TestClient(create_app(synth, ui=False, max_body_bytes=4096), raise_server_exceptions=False) as c:
        r = c.post("/synthesize", content=iter([b" " * 3000] * 4), headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
        r = c.post("/synthesize", content=iter([b'{"text": ', b'"\xe4\xbd\xa0\xe5\xa5\xbd"}']),
                   headers={"content-type": "application/json"})
        assert r.status_code == 200  # small chunked bodies are replayed to the app intact


class _Fake:
    """A synthesizer double: ``segments`` chunks; can fail or block between segments."""

    sample_rate = 24000

    def __init__(self, segments: int = 5, fail: Exception | None = None, gate: threading.Event | None = None):
        self.segments, self.fail, self.gate = segments, fail, gate
        self.produced = 0
        self.started = threading.Event()

    def info(self):
        return {"voices": [], "emotions": [], "sample_rate": 24000, "device": "cpu"}

    def stream(self, text, progress=None, warnings=None, stats=None, **kw):
        if self.fail is not None:
            raise self.fail
        for i in range(self.segments):
            self.started.set()
            if self.gate is not None:
                self.gate.wait(0.5)
            self.produced += 1
            yield np.zeros(2400, np.float32), SimpleNamespace(index=i)


def _serve(app):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.02)
    return server, t, f"http://127.0.0.1:{port}"


def test_an_unexpected_error_keeps_the_connection_alive():
    """A 500 used to make uvicorn drop the keep-alive connection: the next request was reset."""
    fake = _Fake(fail=RuntimeError("boom"))
    server, t, url = _serve(create_app(fake, ui=False))
    try:
        with httpx.Client(base_url=url, timeout=30) as c:
            r = c.post("/synthesize", json={"text": "你好"})
            assert r.status_code == 500 and "boom" not in r.text and r.json()["error"]["type"] == "server_error"
            fake.fail = None
            r = c.post("/synthesize", json={"text": "你好"})  # same connection
            assert r.status_code == 200 and r.content[:4] == b"RIFF"
    finally:
        server.should_exit = True
        t.join(10)


def test_a_disconnected_client_stops_its_synthesis_at_a_segment_boundary():
    gate = threading.Event()  # never set: each segment takes 0.5 s
    fake = _Fake(segments=200, gate=gate)
    app = create_app(fake, ui=False)
    server, t, url = _serve(app)
    try:
        sock = socket.create_connection(("127.0.0.1", server.config.port))
        body = json.dumps({"text": "你好"}).encode()
        sock.sendall(b"POST /synthesize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        assert fake.started.wait(10)
        sock.close()  # the client gives up
        deadline = time.monotonic() + 60
        while app.state.worker.pending and time.monotonic() < deadline:
            time.sleep(0.05)
        assert app.state.worker.pending == 0
        assert fake.produced < 200  # stopped early, not after all 200 segments
        assert not list(app.state.scratch_dir.iterdir())  # the partial file is gone
    finally:
        server.should_exit = True
        t.join(10)


def test_shutdown_mid_request_answers_json_503():
    fake = _Fake(segments=200, gate=threading.Event())
    app = create_app(fake, ui=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        out = {}
        th = threading.Thread(target=lambda: out.update(r=c.post("/synthesize", json={"text": "你好"})))
        th.start()
        assert fake.started.wait(10)
        app.state.worker.shutdown()  # what webui.py does on Ctrl+C / SIGTERM
        th.join(30)
        r = out["r"]
        assert r.status_code == 503 and r.headers["retry-after"]
        assert r.json()["error"]["code"] == "shutting_down"
        assert fake.produced < 200
        r = c.post("/synthesize", json={"text": "你好"})  # new work is refused the same way
        assert r.status_code == 503 and r.json()["error"]["code"] == "shutting_down"


def test_unknown_vocoder_is_400_naming_the_choices(api):
    r = api.post("/synthesize", json={"text": "你好", "vocoder": "nope"})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "unknown_vocoder" and "mbmelgan" in err["message"]
    voices = api.get("/voices").json()
    assert isinstance(voices["student_vocoders"], list)
    r = api.post("/synthesize", json={"text": "你好", "vocoder": "mbmelgan", "seed": 0})
    assert r.status_code == 200 and r.content[:4] == b"RIFF"
