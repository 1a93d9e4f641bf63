"""``python -m index_tts batch``: folders, dry run, errors before any audio (fake engine in-process)."""
from __future__ import annotations

import json

import pytest

from index_tts import cli
from test_batch_unit import FakeSynth  # tests/ is on sys.path (pytest prepend import mode)


@pytest.fixture()
def fake_engine(monkeypatch):
    made = []

    def factory(*args, **kwargs):
        made.append(FakeSynth())
        return made[-1]

    monkeypatch.setattr("index_tts.synthesizer.Synthesizer", factory)
    return made


def test_folder_renders_each_script_into_its_own_folder(tmp_path, fake_engine, capsys):
    src = tmp_path / "book"
    src.mkdir()
    (src / "01.txt").write_text("第一章开始。\n小明：你好！\n", encoding="utf-8")
    (src / "02.txt").write_text("第二章。\n", encoding="utf-8")
    (src / "notes.md").write_text("not a script", encoding="utf-8")
    assert cli.main(["batch", str(src), "--out", str(tmp_path / "out"), "--formats", "wav,flac"]) == 0
    for stem, n in (("01", 2), ("02", 1)):
        manifest = json.loads((tmp_path / "out" / stem / "manifest.json").read_text(encoding="utf-8"))
        assert len(manifest["lines"]) == n and (tmp_path / "out" / stem / f"{stem}.flac").is_file()
    captured = capsys.readouterr()
    assert "01.txt: 2 lines (2 rendered, 0 reused)" in captured.out
    assert "[   2/2] 100%" in captured.err and "ETA" in captured.err
    assert cli.main(["batch", str(src), "--out", str(tmp_path / "out")]) == 0
    assert "already done (resuming)" in capsys.readouterr().err


def test_dry_run_lists_cast_and_emotions_without_audio(tmp_path, fake_engine, capsys):
    script = tmp_path / "s.txt"
    script.write_text("@emotion: auto\n小明：我太高兴了！\n", encoding="utf-8")
    assert cli.main(["batch", str(script), "--out", str(tmp_path / "o"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "小明: voice=baker" in out and "happy(auto)" in out
    assert not (tmp_path / "o").exists() and fake_engine[0].calls == []


def test_script_errors_stop_before_the_engine_loads(tmp_path, fake_engine, capsys):
    good, bad = tmp_path / "a.txt", tmp_path / "b.txt"
    good.write_text("好。\n", encoding="utf-8")
    bad.write_text("好。\n[小明|hapy] 好。\n[pause 1x]\n", encoding="utf-8")
    assert cli.main(["batch", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "b.txt:2:5: unknown emotion 'hapy'" in err and "b.txt:3:" in err
    assert fake_engine == []  # nothing loaded, nothing rendered


def test_missing_source_and_bad_format(tmp_path, fake_engine, capsys):
    assert cli.main(["batch", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o")]) == 2
    assert "script not found" in capsys.readouterr().err
    (tmp_path / "s.txt").write_text("好。\n", encoding="utf-8")
    assert cli.main(["batch", str(tmp_path / "s.txt"), "--out", str(tmp_path / "o"), "--formats", "aac"]) == 2
    assert "unknown audio format 'aac'" in capsys.readouterr().err
