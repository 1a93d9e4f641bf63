"""The web UI's 书稿/批量 section (index_tts/server/ui_batch.py) on the real engine, without a browser."""
from __future__ import annotations

from pathlib import Path

import pytest

from index_tts.server.engine import EngineWorker
from index_tts.server.ui_batch import BatchHandlers, build_batch_section

SCRIPT = "@voice: baker\n@cast 小明: voice=baker\n@emotion: auto\n夜深了。\n小明：我们赢了！\n"


@pytest.fixture()
def handlers(synth, tmp_path):
    worker = EngineWorker(synth)
    yield BatchHandlers(worker, tmp_path)
    worker.shutdown()


def test_preview_shows_each_line_with_its_automatic_emotion(handlers):
    rows, note = handlers.preview(SCRIPT, None)
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [(4, "旁白", "neutral", "auto"), (5, "小明", "happy", "auto")]
    assert "小明" in note and "baker" in note


def test_script_errors_name_line_and_column(handlers):
    import gradio as gr

    with pytest.raises(gr.Error, match=r"第 2 行第 5 列.*unknown emotion 'hapy'"):
        handlers.preview("好。\n[小明|hapy] 好\n", None)
    with pytest.raises(gr.Error, match="Paste or upload"):
        handlers.preview("   ", None)


def test_render_writes_downloads_and_a_second_render_reuses_the_lines(handlers, tmp_path):
    seen = []
    audio, files, note = handlers.render(SCRIPT, None, "flac", progress=lambda x, desc=None, unit=None: seen.append(x))
    names = sorted(Path(f).name for f in files)
    assert names == ["book.flac", "book.srt", "book.timing.json", "book.vtt", "book.wav", "manifest.json"]
    assert Path(audio).parent.parent == tmp_path and Path(audio).parent.name.startswith("batch-")
    assert seen[-1] == (2, 2) and "rendered 2" in note
    audio2, _, note2 = handlers.render(SCRIPT, None, "wav")
    assert audio2 == audio and "reused 2" in note2


def test_upload_is_read_instead_of_the_textbox(handlers, tmp_path):
    up = tmp_path / "s.txt"
    up.write_text("上传的书稿。\n", encoding="utf-8")
    rows, _ = handlers.preview("ignored。", str(up))
    assert [r[8] for r in rows] == ["上传的书稿。"]


def test_section_builds_inside_blocks(synth, tmp_path):
    import gradio as gr

    worker = EngineWorker(synth)
    with gr.Blocks() as demo:
        build_batch_section(worker, tmp_path)
    assert any(getattr(b, "elem_id", None) == "batch-render" for b in demo.blocks.values())


@pytest.mark.slow
def test_the_thirty_line_demo_renders_through_the_ui(handlers):
    """The bundled two-character demo end to end through the page's handler (about 2 min on 2 cores)."""
    import json

    from index_tts.batch.measure import DEMO
    from index_tts.batch.subtitles import parse_srt

    text = DEMO.read_text(encoding="utf-8")
    rows, _ = handlers.preview(text, None)
    assert len(rows) == 33 and {r[2] for r in rows} == {"baker", "zf_xiaoyi", "zm_yunjian"}
    audio, files, note = handlers.render(text, None, "wav")
    out = Path(audio).parent
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["lines"]) == 33 and manifest["duration_s"] > 60
    cues = parse_srt((out / "book.srt").read_text(encoding="utf-8"))
    assert len(cues) >= 33 and all(a < b for a, b, _ in cues)
    assert [c[0] for c in cues] == sorted(c[0] for c in cues)
