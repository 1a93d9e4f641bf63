"""HTTP API against the real engine on a real uvicorn (127.0.0.1): audio, validation, queueing."""
from __future__ import annotations

import io
import json
import threading
import time

import numpy as np
import pytest
import soundfile as sf

httpx = pytest.importorskip("httpx")

TEXT = "今天天气真不错，我们一起去公园散步吧。"


def speech_stats(wav: np.ndarray, sr: int) -> dict:
    """Crude but real speech measures: duration, share of active 20 ms frames, band energy."""
    frame = sr // 50
    n = len(wav) // frame
    rms = np.sqrt(np.mean(wav[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)
    active = float(np.mean(rms > 0.1 * rms.max()))
    spec = np.abs(np.fft.rfft(wav)) ** 2
    freqs = np.fft.rfftfreq(len(wav), 1 / sr)
    band = float(spec[(freqs >= 80) & (freqs <= 5000)].sum() / spec.sum())
    return {"seconds": len(wav) / sr, "active": active, "band": band, "peak": float(np.abs(wav).max())}


def assert_speech(wav: np.ndarray, sr: int, min_s: float = 1.0, max_s: float = 12.0) -> None:
    st = speech_stats(wav, sr)
    assert min_s <= st["seconds"] <= max_s, st
    assert st["peak"] > 0.05, st                 # not silence
    assert 0.3 < st["active"] < 0.98, st          # speech has pauses, and mostly sound
    assert st["band"] > 0.8, st                   # energy where speech lives, not hiss


def read_wav(body: bytes) -> tuple[np.ndarray, int, str]:
    info = sf.info(io.BytesIO(body))
    wav, sr = sf.read(io.BytesIO(body), dtype="float32")
    return wav, sr, info.subtype


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=120) as c:
        yield c


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["sample_rate"] == 24000 and body["device"] == "cpu"


def test_voices_reports_engine_info(client, synth):
    r = client.get("/voices")
    assert r.status_code == 200
    body = r.json()
    info = synth.info()
    assert body["voices"] == [v["id"] if isinstance(v, dict) else v for v in info["voices"]]
    assert len(body["emotions"]) == len(info.get("emotions") or [])
    assert body["max_chars"] == 5000 and body["sample_rate"] == 24000
    assert "wav" in body["formats"] and "pcm" in body["formats"]
    details = body["voice_details"]
    assert [d["id"] for d in details] == body["voices"]
    for d, v in zip(details, info["voices"]):
        assert d["display_name"] == v["display_name"]
        assert d.get("gender") == v.get("gender") and d.get("description") == v.get("description")
        assert "embedding" not in d  # only the documented keys travel


def test_synthesize_returns_24k_speech(client):
    r = client.post("/synthesize", json={"text": TEXT, "seed": 0})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    wav, sr, subtype = read_wav(r.content)
    assert sr == 24000 and wav.ndim == 1 and subtype == "PCM_16"
    assert_speech(wav, sr)
    assert float(r.headers["x-audio-duration"]) == pytest.approx(len(wav) / sr, abs=1e-3)


def test_controls_reach_the_engine(client):
    """Slow speech with long pauses must be clearly longer than fast speech without."""
    slow = client.post("/synthesize", json={"text": TEXT, "speed": 0.7, "comma_pause": 0.8, "seed": 0})
    fast = client.post("/synthesize", json={"text": TEXT, "speed": 1.3, "comma_pause": 0.0, "seed": 0})
    assert slow.status_code == fast.status_code == 200
    d_slow = len(read_wav(slow.content)[0])
    d_fast = len(read_wav(fast.content)[0])
    assert d_slow > 1.4 * d_fast, (d_slow, d_fast)


def test_emotion_controls_change_the_audio(client):
    bodies = {}
    for emo in ("happy", "sad"):
        r = client.post("/synthesize", json={"text": TEXT, "emotion": emo, "intensity": 1.0, "seed": 0})
        assert r.status_code == 200, r.text
        bodies[emo] = read_wav(r.content)[0]
    mixed = client.post("/synthesize", json={"text": TEXT, "emotion_vector": {"happy": 0.5, "calm": 0.5},
                                             "seed": 0})
    assert mixed.status_code == 200, mixed.text
    a, b = bodies["happy"], bodies["sad"]
    assert len(a) != len(b) or not np.allclose(a, b, atol=1e-3)


def test_synthesize_is_intelligible(client):
    asr = pytest.importorskip("index_tts.eval.asr")
    if not asr.asr_available():
        pytest.skip("Whisper ASR not installed: pip install -r requirements-dev.txt")
    r = client.post("/synthesize", json={"text": TEXT, "seed": 0})
    wav, sr, _ = read_wav(r.content)
    hyp = asr.transcribe(wav, sr)
    assert asr.cer(TEXT, hyp) <= 0.25, hyp


def test_openai_speech_wav_and_pcm(client):
    req = {"model": "tts-1", "input": TEXT, "voice": "alloy"}
    r = client.post("/v1/audio/speech", json={**req, "response_format": "wav"})
    assert r.status_code == 200, r.text
    wav, sr, _ = read_wav(r.content)
    assert sr == 24000
    assert_speech(wav, sr)
    p = client.post("/v1/audio/speech", json={**req, "response_format": "pcm"})
    assert p.status_code == 200, p.text
    assert p.headers["content-type"].startswith("audio/")
    assert len(p.content) % 2 == 0
    pcm = np.frombuffer(p.content, dtype="<i2").astype(np.float32) / 32768.0
    assert_speech(pcm, 24000)
    assert abs(len(pcm) - len(wav)) < 0.15 * len(wav)  # same text, same rate: similar length


def test_openai_speed_is_clamped_and_other_formats_refused(client):
    r = client.post("/v1/audio/speech", json={"model": "tts-1", "input": "你好。", "voice": "alloy", "speed": 4.0})
    assert r.status_code == 200 and float(r.headers["x-applied-speed"]) == pytest.approx(1.3)
    r = client.post("/v1/audio/speech", json={"model": "tts-1", "input": "你好。", "voice": "alloy", "speed": 5})
    assert r.status_code == 422 and "speed" in r.json()["error"]["message"]
    r = client.post("/v1/audio/speech", json={"model": "tts-1", "input": "你好。", "response_format": "mp3"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert "mp3" in err["message"] and "wav" in err["message"] and err["type"] == "invalid_request_error"
    r = client.post("/v1/audio/speech", json={"model": "tts-1", "input": "你好。", "voice": "nobody"})
    assert r.status_code == 400 and "unknown voice" in r.json()["error"]["message"]


def test_openai_python_client_works_unchanged(live_server, tmp_path):
    openai = pytest.importorskip("openai", reason="openai client not installed (requirements-dev.txt)")
    client = openai.OpenAI(base_url=live_server.url + "/v1", api_key="not-needed")
    out = tmp_path / "speech.wav"
    resp = client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="wav")
    out.write_bytes(resp.read())
    wav, sr = sf.read(out, dtype="float32")
    assert sr == 24000
    assert_speech(wav, sr)


BAD_REQUESTS = [
    ("missing text", {}, 422, "text"),
    ("wrong type", {"text": 123}, 422, "text"),
    ("speed 100", {"text": "你好", "speed": 100}, 422, "speed"),
    ("pitch string", {"text": "你好", "pitch": "high"}, 422, "pitch"),
    ("1 MB text", {"text": "好" * 1_000_000}, 400, "5000"),
    ("empty text", {"text": "   "}, 400, "empty"),
    ("unknown voice", {"text": "你好", "voice": "nobody"}, 400, "unknown voice"),
    ("unknown emotion", {"text": "你好", "emotion": "grumpy"}, 400, "unknown emotion"),
    ("bad emotion vector", {"text": "你好", "emotion_vector": "happy"}, 422, "emotion_vector"),
    ("unknown field", {"text": "你好", "sped": 1.2}, 422, "sped"),
    ("bad format", {"text": "你好", "format": "mp3"}, 422, "format"),
]


@pytest.mark.parametrize("name,body,status,needle", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_requests_get_4xx_json_and_server_keeps_serving(client, name, body, status, needle):
    r = client.post("/synthesize", json=body)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert needle.lower() in err["message"].lower(), err
    assert err["type"] == "invalid_request_error"
    assert client.get("/health").status_code == 200


def test_invalid_json_body(client):
    r = client.post("/synthesize", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "not valid JSON" in r.json()["error"]["message"]


def test_concurrent_requests_queue_and_loop_stays_responsive(client, live_server):
    """Three requests at once all succeed (one engine worker), and /health answers meanwhile."""
    long_text = TEXT * 3
    results: list[int] = []

    def post():
        with httpx.Client(base_url=live_server.url, timeout=300) as c:
            results.append(c.post("/synthesize", json={"text": long_text}).status_code)

    threads = [threading.Thread(target=post) for _ in range(3)]
    for t in threads:
        t.start()
    seen_queue, health_latency = 0, []
    while any(t.is_alive() for t in threads):
        t0 = time.perf_counter()
        h = client.get("/health")
        health_latency.append(time.perf_counter() - t0)
        seen_queue = max(seen_queue, h.json()["queue"])
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert results == [200] * 3
    assert seen_queue >= 2                      # requests really waited for the one engine
    assert max(health_latency) < 1.0, max(health_latency)  # event loop never blocked by synthesis


def test_engine_warnings_travel_in_an_ascii_header(client):
    r = client.post("/synthesize", json={"text": "你好☃世界。"})
    assert r.status_code == 200
    raw = r.headers["x-warnings"]
    assert raw.isascii()
    warnings = json.loads(raw)
    assert any("☃" in w for w in warnings), warnings


def test_bad_override_then_valid_request_on_the_same_connection(client):
    """The issue's repro: a bad override used to be a 500 that reset the next request."""
    bad = client.post("/synthesize", json={"text": "你好", "pinyin_overrides": {"还": "zzz9"}})
    assert bad.status_code == 400 and "zzz9" in bad.json()["error"]["message"]
    ok = client.post("/synthesize", json={"text": "你好。"})
    assert ok.status_code == 200 and ok.content[:4] == b"RIFF"


def test_results_are_not_kept_in_the_scratch_folder(client, live_server):
    r = client.post("/synthesize", json={"text": "你好。", "format": "flac"})
    assert r.status_code == 200 and r.content[:4] == b"fLaC"
    scratch = live_server.app.state.scratch_dir
    deadline = time.monotonic() + 10  # removed right after the last byte went out
    while list(scratch.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not list(scratch.iterdir())
