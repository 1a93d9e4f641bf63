"""Streaming over HTTP against the real engine on a real uvicorn: wire formats, sample-exact
equality with the whole-file answer, silent joins, errors before the first chunk, cancellation."""
from __future__ import annotations

import base64
import io
import json
import struct
import threading
import time

import numpy as np
import pytest
import soundfile as sf

httpx = pytest.importorskip("httpx")

from conftest import free_port  # noqa: E402

TEXT = "今天天气真不错，我们一起去公园散步吧。春天来了，花儿都开了！你要一起去吗？"
LONG = "今天是星期六，天气很好。我们一起去公园散步，公园里有很多人。" * 12


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=300) as c:
        yield c


def stream_pieces(client, path: str, body: dict, params: dict | None = None) -> tuple[httpx.Response, list[bytes]]:
    pieces = []
    with client.stream("POST", path, json=body, params=params) as r:
        for piece in r.iter_raw():
            if piece:
                pieces.append(piece)
    return r, pieces


def test_streamed_pcm_equals_the_whole_file_sample_for_sample(client):
    whole = client.post("/synthesize", json={"text": TEXT, "seed": 7, "format": "pcm"})
    assert whole.status_code == 200 and "x-streamed" not in whole.headers
    r, pieces = stream_pieces(client, "/synthesize", {"text": TEXT, "seed": 7, "format": "pcm", "stream": True})
    assert r.status_code == 200 and r.headers["x-streamed"] == "true"
    assert r.headers["content-type"].startswith("audio/L16") and "rate=24000" in r.headers["content-type"]
    assert "content-length" not in r.headers and r.headers["transfer-encoding"] == "chunked"
    assert b"".join(pieces) == whole.content
    assert len(pieces) >= 3  # one chunk per segment at least (three sentences)
    r, q_pieces = stream_pieces(client, "/synthesize", {"text": TEXT, "seed": 7, "format": "pcm"},
                                params={"stream": "true"})
    assert r.headers["x-streamed"] == "true" and b"".join(q_pieces) == whole.content


def test_streamed_wav_has_an_open_ended_header_and_the_same_samples(client):
    whole = client.post("/synthesize", json={"text": TEXT, "seed": 7, "format": "pcm"}).content
    r, pieces = stream_pieces(client, "/synthesize", {"text": TEXT, "seed": 7, "stream": True})
    body = b"".join(pieces)
    assert r.headers["content-type"] == "audio/wav"
    assert body[:4] == b"RIFF" and body[8:16] == b"WAVEfmt " and body[36:40] == b"data"
    assert struct.unpack("<I", body[4:8])[0] == 0xFFFFFFFF and struct.unpack("<I", body[40:44])[0] == 0xFFFFFFFF
    channels, rate, _, _, bits = struct.unpack("<HIIHH", body[22:36])
    assert (channels, rate, bits) == (1, 24000, 16)
    assert body[44:] == whole
    wav, sr = sf.read(io.BytesIO(body), dtype="int16")  # ordinary readers take the unknown size
    assert sr == 24000 and wav.tobytes() == whole


def test_joins_between_segments_are_silent(synth):
    """Each chunk ends with its pause, so no join can click: around every join (±5 ms) the
    signal is near silence and no sample step is anywhere near a speech-sized step."""
    from index_tts.server.engine import to_int16

    for text, comma in ((TEXT, 0.15), ("我们在这个阳光明媚的早晨一起沿着河边的小路慢慢地走向那座很远很远的山脚下的小村庄去看望老朋友", 0.0)):
        chunks = [to_int16(c).astype(np.float32) / 32768 for c, _ in synth.stream(text, seed=1, comma_pause=comma)]
        assert len(chunks) >= 2, text
        x = np.concatenate(chunks)
        speech_step = np.percentile(np.abs(np.diff(x)), 99)
        for join in np.cumsum([len(c) for c in chunks])[:-1]:
            around = x[join - 120:join + 120]
            assert np.abs(around).max() < 0.01, (text, join, np.abs(around).max())
            assert np.abs(np.diff(x[join - 240:join + 240])).max() < 0.2 * speech_step


def test_sse_events_carry_the_same_audio(client):
    whole = client.post("/synthesize", json={"text": TEXT, "seed": 3, "format": "pcm"}).content
    r, pieces = stream_pieces(client, "/synthesize", {"text": TEXT, "seed": 3, "format": "pcm",
                                                      "stream_format": "sse"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[5:]) for line in b"".join(pieces).decode().splitlines() if line.startswith("data:")]
    deltas = [e for e in events if e["type"] == "speech.audio.delta"]
    assert len(deltas) >= 3 and events[-1]["type"] == "speech.audio.done"
    assert b"".join(base64.b64decode(e["audio"]) for e in deltas) == whole
    assert events[-1]["usage"]["input_tokens"] == len(TEXT)
    assert events[-1]["audio_seconds"] == pytest.approx(len(whole) / 2 / 24000, abs=1e-3)


def test_openai_route_streams_wav_and_pcm_like_openai(client):
    req = {"model": "tts-1", "input": TEXT, "voice": "alloy"}
    r, pieces = stream_pieces(client, "/v1/audio/speech", {**req, "response_format": "pcm"})
    assert r.status_code == 200 and r.headers["x-streamed"] == "true" and r.headers["x-applied-speed"] == "1.000"
    assert len(b"".join(pieces)) % 2 == 0 and len(pieces) >= 3
    whole = client.post("/v1/audio/speech", json={**req, "response_format": "wav", "stream": False})
    assert "x-streamed" not in whole.headers and int(whole.headers["content-length"]) == len(whole.content)
    assert struct.unpack("<I", whole.content[40:44])[0] == len(whole.content) - 44  # a sized, ordinary wav
    sse = client.post("/v1/audio/speech", json={**req, "response_format": "wav", "stream_format": "sse"})
    assert sse.headers["content-type"].startswith("text/event-stream") and "speech.audio.done" in sse.text
    flac = client.post("/v1/audio/speech", json={**req, "response_format": "flac"})
    assert flac.status_code == 200 and flac.content[:4] == b"fLaC"  # not streamable: one file as before


@pytest.mark.parametrize("path,body,params,status,needle", [
    ("/synthesize", {"text": TEXT, "stream": True, "emotion": "grumpy"}, None, 400, "unknown emotion"),
    ("/synthesize", {"text": TEXT, "stream": True, "format": "flac"}, None, 400, "cannot be streamed"),
    ("/synthesize", {"text": TEXT}, {"stream": "maybe"}, 422, "stream"),
    ("/synthesize", {"text": TEXT, "stream_format": "mp3"}, None, 422, "stream_format"),
    ("/synthesize", {"text": "  ", "stream": True}, None, 400, "empty"),
    ("/v1/audio/speech", {"input": TEXT, "response_format": "flac", "stream_format": "sse"}, None, 400, "flac"),
])
def test_errors_before_the_first_chunk_are_json(client, path, body, params, status, needle):
    r = client.post(path, json=body, params=params)
    assert r.status_code == status, r.text
    assert needle in r.json()["error"]["message"].lower()
    assert client.get("/health").status_code == 200


def test_first_chunk_leaves_while_the_rest_is_still_being_synthesized(client):
    """The first bytes arrive while the engine is still busy with the same request."""
    with client.stream("POST", "/synthesize", json={"text": LONG, "format": "pcm", "stream": True}) as r:
        pieces = r.iter_raw()
        first = next(pieces)
        health = client.get("/health").json()
        rest = sum(len(p) for p in pieces)
    assert first and health["queue"] == 1 and rest > len(first)  # most of the audio came after
    assert health["busy"] == "synthesis"  # what a client waiting behind it is told


class _Counting:
    """The real engine, counting the segments it has produced."""

    def __init__(self, synth):
        self._synth, self.segments, self.total = synth, 0, 0

    def info(self):
        return self._synth.info()

    @property
    def sample_rate(self):
        return self._synth.sample_rate

    def stream(self, text, **kw):
        self.total = len(self._synth.frontend(text).segments)
        for item in self._synth.stream(text, **kw):
            self.segments += 1
            yield item


def test_a_client_that_disconnects_stops_the_synthesis(synth, tmp_path):
    import uvicorn

    from index_tts.server import create_app

    counting = _Counting(synth)
    app = create_app(counting, ui=False, scratch_dir=tmp_path / "scratch")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=300) as c:
            with c.stream("POST", "/synthesize", json={"text": LONG * 2, "stream": True}) as r:
                assert next(r.iter_raw())[:4] == b"RIFF"
            # the connection is closed: the engine stops at the next segment boundary
            deadline = time.monotonic() + 120
            while c.get("/health").json()["queue"] and time.monotonic() < deadline:
                time.sleep(0.1)
            assert c.get("/health").json()["queue"] == 0
            assert counting.segments < counting.total // 2, (counting.segments, counting.total)
            assert not list((tmp_path / "scratch").iterdir())  # the scratch file went too
            ok = c.post("/synthesize", json={"text": "你好。", "stream": True})
            assert ok.status_code == 200 and ok.content[:4] == b"RIFF"
    finally:
        server.should_exit = True
        thread.join(15)


API_ONLY_PROBE = r"""
import sys
import numpy as np
from fastapi.testclient import TestClient
import webui
from index_tts.server import create_app

class Fake:
    sample_rate = 24000
    def info(self):
        return {"voices": ["default"], "emotions": [], "sample_rate": 24000}
    def stream(self, text, **kw):
        for i in range(3):
            yield np.full(2400, 0.1 * (i + 1), np.float32), None

assert webui.build_parser().parse_args(["--api-only"]).api_only
with TestClient(create_app(Fake(), ui=False)) as c:
    r = c.post("/synthesize", json={"text": "abc", "stream": True, "format": "pcm"})
    assert r.status_code == 200 and len(r.content) == 3 * 2400 * 2, r.status_code
    assert c.get("/").status_code == 404
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("gradio", "torch", "pandas", "whisper")
               or m.startswith(("index_tts.train", "index_tts.eval", "index_tts.batch", "index_tts.textemotion")))
print("HEAVY", heavy)
"""


def test_the_api_only_server_loads_no_ui_training_or_eval_code(tmp_path):
    """--api-only: the HTTP API (streaming included) runs without Gradio ever being imported."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", API_ONLY_PROBE], cwd=root, capture_output=True, text=True,
                         timeout=120, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "HEAVY []" in out.stdout, out.stdout
