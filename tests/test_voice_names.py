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
