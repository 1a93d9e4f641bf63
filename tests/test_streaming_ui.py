"""The web page's streaming player: segments leave as they are made, the saved file holds
exactly the same samples, the History still gets the file, a closed page stops the job."""
from __future__ import annotations

import io
import json
import wave

import numpy as np
import pytest
import soundfile as sf

gr = pytest.importorskip("gradio")

from index_tts.server.engine import EngineWorker  # noqa: E402
from index_tts.server.ui import UIConfig, _Handlers, build_ui  # noqa: E402

DEFAULTS = dict(speed=1.0, pitch=1.0, sentence_pause=0.35, comma_pause=0.15, voice=None, emotion="neutral",
                intensity=0.6, reference=None, seed=3, history=[])
TEXT = "今天天气真不错，我们一起去公园散步吧。春天来了，花儿都开了！"


def _samples(wav: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(wav)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24000, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


@pytest.fixture()
def handlers(synth, tmp_path):
    return _Handlers(EngineWorker(synth), UIConfig(max_chars=5000, output_dir=tmp_path / "out",
                                                   max_upload_bytes=1 << 20, scratch_dir=tmp_path / "scratch"))


def test_streamed_segments_equal_the_saved_file(handlers, tmp_path):
    steps = list(handlers.generate_stream(TEXT, **DEFAULTS))
    *chunks, final = steps
    assert len(chunks) >= 2 and all(len(c) == 6 for c in steps)  # one per segment (two sentences)
    assert all(all(isinstance(o, type(gr.skip())) for o in c[:5]) for c in chunks)
    streamed = np.concatenate([_samples(c[5]) for c in chunks])
    audio, status, history, pick, files, player = final
    assert isinstance(player, type(gr.skip()))  # the player keeps playing what it got
    assert audio == files[0] and "RTF" in status and len(history) == 1 and files == [history[0]["path"], history[0]["srt"]]
    saved, sr = sf.read(files[0], dtype="int16")
    assert sr == 24000 and np.array_equal(saved, streamed)
    assert handlers.replay(pick["value"], history) == files[0]  # the History entry plays the saved file
    whole, *_ = handlers.generate(TEXT, **DEFAULTS)
    assert np.array_equal(sf.read(whole, dtype="int16")[0], saved)  # same as the whole-file button


def test_closing_the_stream_cancels_the_job_and_saves_nothing(handlers, tmp_path):
    gen = handlers.generate_stream(TEXT * 20, **DEFAULTS)
    first = next(gen)
    assert first[5][:4] == b"RIFF"
    gen.close()  # the page went away (Gradio closes the generator)
    worker = handlers.worker
    worker.run(lambda _stop: None)  # wait for the engine: the cancelled job is done before this one
    assert worker.pending == 0
    assert not (tmp_path / "out").exists() and not list((tmp_path / "scratch").iterdir())


def test_mistakes_are_messages_before_anything_streams(handlers):
    with pytest.raises(gr.Error, match="limit is 5000"):
        next(handlers.generate_stream("好" * 5001, **DEFAULTS))
    with pytest.raises(gr.Error, match="speed"):
        list(handlers.generate_stream("你好。", **{**DEFAULTS, "speed": 5.0}))
    assert all(isinstance(o, type(gr.skip())) for o in next(handlers.generate_stream("  ", **DEFAULTS)))


def test_the_page_uses_a_streaming_player_when_asked(synth, tmp_path):
    cfg = UIConfig(max_chars=100, output_dir=tmp_path, max_upload_bytes=1 << 20)
    for streaming in (True, False):
        demo = build_ui(EngineWorker(synth), cfg, streaming=streaming)
        props = {c["props"].get("elem_id"): c["props"] for c in demo.config["components"]}
        assert ("result-stream" in props) == streaming
        if streaming:
            assert props["result-stream"]["streaming"] and props["result-stream"]["autoplay"]
        assert not props["result-audio"].get("streaming")  # the saved file, with its download button
        assert "download" in props["result-audio"]["buttons"]
        block = next(b for b in demo.fns.values() if b.name == "_generate")
        import inspect

        assert inspect.isgeneratorfunction(block.fn) == streaming
        assert [c.elem_id for c in block.outputs][:1] == ["result-audio"]
        assert len(block.outputs) == (6 if streaming else 5)


def test_the_live_page_streams_through_an_hls_playlist(live_server):
    """Through the page's own protocol: the result is a stream URL that serves a playlist."""
    from index_tts.server.ffmpeg import find_ffmpeg
    from index_tts.stress.uiclient import UIClient

    if find_ffmpeg() is None:
        pytest.skip("no ffmpeg (system or imageio-ffmpeg): the page plays whole files")
    ui = UIClient(live_server.url)
    try:
        res = ui.generate(TEXT)
        assert res.ok, res.error
        generating = [json.loads(line[5:]) for line in res.raw.splitlines()
                      if line.startswith("data:") and '"process_generating"' in line]
        player = generating[0]["output"]["data"][5]  # the first segment opens the player's stream
        assert player["is_stream"] and player["url"].endswith("playlist.m3u8")
        assert res.raw.count("process_generating") >= 2  # the player got segments before the end
        playlist = ui.http.get(player["url"])
        assert playlist.status_code == 200 and playlist.text.startswith("#EXTM3U")
        assert "#EXT-X-ENDLIST" in playlist.text
        segment = next(line for line in playlist.text.splitlines() if line and not line.startswith("#"))
        assert len(ui.http.get(player["url"].rsplit("/", 1)[0] + "/" + segment).content) > 1000  # AAC audio
        assert res.audio_url.endswith(".wav") and ui.http.get(res.audio_url).content[:4] == b"RIFF"
        assert res.saved_url and ui.http.get(res.saved_url).content[:4] == b"RIFF"
    finally:
        ui.close()
