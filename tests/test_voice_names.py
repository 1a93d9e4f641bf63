"""OpenAI voice names -> presets, and the voice preview button."""
from __future__ import annotations

import numpy as np
import pytest

from index_tts.server.schemas import OPENAI_VOICES
from index_tts.voices import OPENAI_VOICE_PRESETS, PREVIEW_TEXT, resolve_openai_voice


def test_every_openai_name_maps_to_a_male_or_female_preset_in_order():
    assert OPENAI_VOICES == frozenset(OPENAI_VOICE_PRESETS)
    assert resolve_openai_voice("onyx", ["baker", "zm_yunyang", "yunyang"]) == "zm_yunyang"
    assert resolve_openai_voice("onyx", ["baker", "yunyang"]) == "yunyang"  # student when no teacher
    assert resolve_openai_voice("nova", ["baker"]) is None  # default voice
    with pytest.raises(KeyError):
        resolve_openai_voice("nobody", [])
    for name, presets in OPENAI_VOICE_PRESETS.items():
        assert presets and len(set(presets)) == len(presets), name
    # the deep OpenAI voices get male presets, the bright ones female presets
    assert all(p.startswith("zm_") for p in (OPENAI_VOICE_PRESETS[n][0] for n in ("onyx", "echo", "ash")))
    assert all(p.startswith("zf_") for p in (OPENAI_VOICE_PRESETS[n][0] for n in ("nova", "shimmer", "coral")))


def test_openai_route_reports_the_voice_it_used(synth):
    from fastapi.testclient import TestClient

    from index_tts.server.api import create_app

    app = create_app(synth, ui=False)
    with TestClient(app) as client:
        r = client.post("/v1/audio/speech", json={"model": "tts-1", "input": "你好。", "voice": "onyx",
                                                  "response_format": "wav", "stream": False})
        assert r.status_code == 200, r.text
        voices = client.get("/voices").json()["voices"]
        assert r.headers["x-voice"] == (resolve_openai_voice("onyx", voices) or "default")
        r = client.post("/v1/audio/speech", json={"model": "tts-1", "input": "你好。", "voice": voices[0],
                                                  "response_format": "wav", "stream": False})
        assert r.status_code == 200 and r.headers["x-voice"] == voices[0]


def test_preview_reads_the_sentence_with_the_chosen_voice_and_caches_it(synth, tmp_path):
    from index_tts.server.engine import EngineWorker
    from index_tts.server.ui import UIConfig, _Handlers

    h = _Handlers(EngineWorker(synth), UIConfig(max_chars=50, output_dir=tmp_path, max_upload_bytes=1 << 20))
    sr, pcm = h.preview(h.worker.info.voices[0] if h.worker.info.voices else None)
    assert sr == 24000 and pcm.dtype == np.int16
    assert len(pcm) > 0.12 * len(PREVIEW_TEXT) * sr  # at least ~0.12 s per character
    assert np.abs(pcm).max() > 1000
    assert h.preview(h.worker.info.voices[0] if h.worker.info.voices else None)[1] is pcm  # cached
    assert not list(tmp_path.iterdir()), "a preview is not saved in outputs/"


def test_synthesize_returns_subtitles_with_the_audio(synth):
    import base64
    import io

    import soundfile as sf
    from fastapi.testclient import TestClient

    from index_tts.server.api import create_app

    text = "今天天气很好。我们一起去公园散步吧！"
    with TestClient(create_app(synth, ui=False)) as client:
        r = client.post("/synthesize", json={"text": text, "seed": 0, "subtitles": "srt"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json"), r.text
        body = r.json()
        wav, sr = sf.read(io.BytesIO(base64.b64decode(body["audio_base64"])), dtype="float32")
        assert sr == body["sample_rate"] == 24000 and abs(len(wav) / sr - body["duration_s"]) < 0.01
        cues = body["cues"]
        assert [c["text"] for c in cues] == ["今天天气很好。", "我们一起去公园散步吧！"]
        assert 0 <= cues[0]["start"] < cues[0]["end"] <= cues[1]["start"] < cues[1]["end"] <= body["duration_s"]
        assert body["subtitles"].startswith("1\n00:00:0") and "-->" in body["subtitles"]
        words = body["words"]  # word times from the model's durations, inside their sentences' cues
        assert "".join(w["text"] for w in words) == "今天天气很好我们一起去公园散步吧"
        assert all(a["end"] <= b["start"] + 1e-3 and a["start"] < a["end"] for a, b in zip(words, words[1:]))
        assert cues[0]["start"] - 0.15 <= words[0]["start"] and words[-1]["end"] <= cues[1]["end"] + 0.25
        plain = client.post("/synthesize", json={"text": text, "seed": 0})
        assert plain.content == base64.b64decode(body["audio_base64"])  # the same audio either way
        vtt = client.post("/synthesize", json={"text": text, "subtitles": "vtt"}).json()["subtitles"]
        assert vtt.startswith("WEBVTT")
        bad = client.post("/synthesize", json={"text": text, "subtitles": "srt", "stream": True})
        assert bad.status_code == 400 and "subtitles" in bad.json()["error"]["message"]


def test_page_saves_srt_next_to_the_result(synth, tmp_path):
    from index_tts.server.engine import EngineWorker
    from index_tts.server.ui import UIConfig, _Handlers

    h = _Handlers(EngineWorker(synth), UIConfig(max_chars=200, output_dir=tmp_path, max_upload_bytes=1 << 20))
    path, _status, history, _pick, files = h.generate("你好，世界。今天是星期二。", 1.0, 1.0, 0.35, 0.15, None,
                                                      "neutral", 0.6, None, 0, [])
    srt = tmp_path / (tmp_path / path).with_suffix(".srt").name
    assert srt.is_file() and str(srt) in files and path in files
    blocks = srt.read_text(encoding="utf-8").strip().split("\n\n")
    assert len(blocks) == 2 and "你好，世界。" in blocks[0] and "今天是星期二。" in blocks[1]
    assert not list(tmp_path.glob(".*.part"))
