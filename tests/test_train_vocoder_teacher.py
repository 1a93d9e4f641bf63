"""Teacher-forced data generation (with stand-ins for the frontend and acoustic model) and sentences."""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from index_tts.audio.mel import MelConfig
from index_tts.train import vocoder_teacher
from index_tts.train.sentences import (
    TEMPLATES,
    generate_sentences,
    load_lexicon,
    read_sentences,
    write_sentences,
)
from index_tts.train.vocoder_data import find_sources, prepare_cache
from index_tts.train.vocoder_teacher import (
    AugmentConfig,
    TeacherItem,
    frontend_items,
    read_ids,
    synthesize_items,
    write_ids,
)
from index_tts.vocoder.hifigan import HIFIGAN_TINY, HiFiGAN


@dataclass
class Seg:
    text: str
    ids: list


@dataclass
class Utt:
    segments: list


class FakeFrontend:
    def __call__(self, text):
        if not text.strip():
            raise ValueError("empty text")
        parts = [p for p in text.split("，") if p]
        return Utt([Seg(p, [ord(c) % 50 for c in p]) for p in parts])


@dataclass
class Out:
    mel: torch.Tensor


class FakeAcoustic:
    """3 frames per symbol (fewer when faster); records the controls it got."""

    def __init__(self):
        self.controls = []

    def infer(self, ids, control=None, **kwargs):
        self.controls.append(control)
        speed = control.speed if control is not None else 1.0
        frames = max(1, int(round(3 * ids.shape[1] / speed)))
        g = torch.Generator().manual_seed(int(ids.sum()))
        return Out(torch.randn(1, 80, frames, generator=g))


@pytest.fixture()
def teacher():
    torch.manual_seed(0)
    return HiFiGAN(HIFIGAN_TINY).eval()


def test_pairs_are_aligned_and_resumable(tmp_path, teacher):
    acoustic = FakeAcoustic()
    items, failed = frontend_items([(0, "你好，世界"), (1, ""), (2, "今天天气很好")], FakeFrontend())
    assert failed == 1 and [it.key for it in items] == ["000000_00", "000000_01", "000002_00"]
    stats, rows = synthesize_items(items, acoustic, teacher, tmp_path, 24000, seed=3)
    assert (stats.items, stats.pairs, stats.failed) == (3, 3, 0)
    assert [r[0] for r in rows] == [it.key for it in items]
    for key, frames, _ in rows:
        mel = np.load(tmp_path / f"{key}.npy")
        wav, sr = sf.read(tmp_path / f"{key}.wav")
        assert sr == 24000 and mel.shape == (80, frames) and len(wav) == frames * 300
    aug = AugmentConfig()
    for c in acoustic.controls:
        assert aug.speed[0] <= c.speed <= aug.speed[1]
        assert np.all(c.pitch_shift == c.pitch_shift[0]) and aug.pitch_semitones[0] <= c.pitch_shift[0] <= aug.pitch_semitones[1]
    assert len({c.speed for c in acoustic.controls}) == 3

    # Rerun: nothing is synthesized again, metadata still complete.
    before = (tmp_path / "000000_00.npy").stat().st_mtime_ns
    again = FakeAcoustic()
    stats2, rows2 = synthesize_items(items, again, teacher, tmp_path, 24000, seed=3)
    assert stats2.pairs == 0 and stats2.skipped_existing == 3 and rows2 == rows and not again.controls
    assert (tmp_path / "000000_00.npy").stat().st_mtime_ns == before

    # The folder is valid training data for the pair loader.
    cached = prepare_cache(find_sources([], [str(tmp_path)]), MelConfig(), tmp_path / "cache")
    assert sorted(it.n_frames for it in cached) == sorted(r[1] for r in rows)


def test_no_augment_passes_no_control(tmp_path, teacher):
    acoustic = FakeAcoustic()
    synthesize_items([TeacherItem("000000_00", "你好", (1, 2, 3))], acoustic, teacher, tmp_path, 24000, augment=None)
    assert acoustic.controls == [None]


def test_ids_file_round_trip_and_main_from_ids(tmp_path, monkeypatch, teacher):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "config.json").write_text(json.dumps({"name": "fake-voice", "licence": "CC-TEST", "symbols": ["a", "b"]}))
    items, _ = frontend_items([(0, "第一句，第二段"), (1, "第三句")], FakeFrontend())
    header = {"text_source": "test text", "text_licence": "CC0", "symbols_sha1": vocoder_teacher._symbols_digest(["a", "b"])}
    ids = write_ids(tmp_path / "ids.jsonl", items, header)
    assert read_ids(ids) == (header, items)

    def fake_shard(shard, n, its, opts):
        return synthesize_items(its[shard::n], FakeAcoustic(), teacher, Path(opts["out"]), 24000)

    monkeypatch.setattr(vocoder_teacher, "_run_shard", fake_shard)
    out = tmp_path / "out"
    assert vocoder_teacher.main(["--bundle", str(bundle), "--ids", str(ids), "--out", str(out)]) == 0
    meta = (out / "metadata.csv").read_text(encoding="utf-8").splitlines()
    assert [m.split("|")[0] for m in meta] == ["000000_00", "000000_01", "000001_00"]
    assert meta[2].endswith("|第三句")
    prov = (out / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "Text licence: CC0" in prov and "fake-voice" in prov and "CC-TEST" in prov and "3 new" in prov

    (bundle / "config.json").write_text(json.dumps({"name": "other", "symbols": ["x"]}))
    with pytest.raises(ValueError, match="another symbol table"):
        vocoder_teacher.main(["--bundle", str(bundle), "--ids", str(ids), "--out", str(out)])
    (tmp_path / "bad.jsonl").write_text('{"key": "x"}\n')
    with pytest.raises(ValueError, match="no header"):
        read_ids(tmp_path / "bad.jsonl")


def test_generated_sentences_are_varied_and_deterministic():
    lex = load_lexicon()
    assert all(len(v) >= 100 for v in lex.words.values())
    a = generate_sentences(300, seed=5, lexicon=lex)
    assert a == generate_sentences(300, seed=5, lexicon=lex)
    assert a != generate_sentences(300, seed=6, lexicon=lex)
    assert len(set(a)) == 300 and all(0 < len(s) <= 40 for s in a)
    assert any(s.endswith("？") for s in a) and any(s.endswith("！") for s in a) and any("，" in s for s in a)
    assert any(ch.isdigit() for s in a for ch in s)
    assert not any("{" in s for s in a)
    assert len(TEMPLATES) >= 30


def test_sentence_files_round_trip_and_reject_empty(tmp_path):
    p = write_sentences(tmp_path / "x.txt", ["一。", "二？"], provenance="line one\nline two")
    assert p.read_text(encoding="utf-8").startswith("# line one\n# line two\n")
    assert read_sentences(p) == ["一。", "二？"]
    (tmp_path / "empty.txt").write_text("# only a comment\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no sentences"):
        read_sentences(tmp_path / "empty.txt")
    with pytest.raises(FileNotFoundError):
        read_sentences(tmp_path / "missing.txt")


def _tiny_bundle(folder: Path) -> Path:
    """A real (random-weight) bundle: tiny FastSpeech2 + tiny MB-MelGAN, via the bundle writer."""
    from index_tts.acoustic import FastSpeech2, FastSpeech2Config
    from index_tts.bundle import VocoderEntry, save_bundle
    from index_tts.frontend import BAKER_SYMBOLS
    from index_tts.vocoder.mbmelgan import MBMelGAN, MBMelGANConfig

    torch.manual_seed(0)
    acoustic = FastSpeech2(FastSpeech2Config(vocab_size=len(BAKER_SYMBOLS), hidden=32, encoder_layers=1, decoder_layers=1,
                                             ffn_dim=64, predictor_channels=32, postnet_layers=2, postnet_channels=32))
    with torch.no_grad():  # make every symbol last a few frames so segments are never empty
        for name, p in acoustic.named_parameters():
            if "duration" in name and name.endswith("bias") and p.numel() == 1:
                p.fill_(1.5)
    voc = MBMelGAN(MBMelGANConfig(channels=32, stacks=1))
    return save_bundle(folder, name="tiny-test", mel=MelConfig(), symbols=BAKER_SYMBOLS, acoustic=acoustic,
                       vocoders={"mbmelgan": VocoderEntry("mbmelgan", voc)}, default_vocoder="mbmelgan",
                       licence={"text": "test"})


def test_make_vocoder_data_end_to_end_with_a_real_bundle(tmp_path):
    bundle = _tiny_bundle(tmp_path / "bundle")
    out, ids = tmp_path / "pairs", tmp_path / "ids.jsonl"
    argv = ["--bundle", str(bundle), "--generate", "3", "--seed", "1", "--write-ids", str(ids), "--out", str(out)]
    assert vocoder_teacher.main(argv) == 0
    keys = [line.split("|")[0] for line in (out / "metadata.csv").read_text(encoding="utf-8").splitlines()]
    assert len(keys) >= 3
    for key in keys:
        mel = np.load(out / f"{key}.npy")
        wav, sr = sf.read(out / f"{key}.wav")
        assert sr == 24000 and mel.shape[0] == 80 and len(wav) == mel.shape[1] * 300
    prov = (out / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "jieba" in prov and "MIT" in prov and "tiny-test" in prov
    # Second stage from the ids file alone (no frontend): the same pairs, bit for bit.
    out2 = tmp_path / "pairs2"
    assert vocoder_teacher.main(["--bundle", str(bundle), "--ids", str(ids), "--seed", "1", "--out", str(out2)]) == 0
    for key in keys:
        np.testing.assert_array_equal(np.load(out / f"{key}.npy"), np.load(out2 / f"{key}.npy"))
        assert (out / f"{key}.wav").read_bytes() == (out2 / f"{key}.wav").read_bytes()
    assert "jieba" in (out2 / "PROVENANCE.md").read_text(encoding="utf-8")


def test_pack_bundle_fp16_halves_weights_and_still_loads(tmp_path):
    from index_tts.bundle import load_bundle
    from index_tts.train.carry import pack_bundle_fp16

    src = _tiny_bundle(tmp_path / "bundle")
    dst = pack_bundle_fp16(src, tmp_path / "small")
    for name in ("acoustic.safetensors", "vocoder_mbmelgan.safetensors"):
        assert (dst / name).stat().st_size < 0.6 * (src / name).stat().st_size
    cfg = json.loads((dst / "config.json").read_text(encoding="utf-8"))
    assert cfg["acoustic"]["dtype"] == "float16" and cfg["vocoders"]["mbmelgan"]["dtype"] == "float16"
    a, b = load_bundle(src), load_bundle(dst)
    ids = torch.tensor([[1, 30, 40, 2, 50, 60, 1, 218]])
    ma, mb = a.acoustic.infer(ids).mel, b.acoustic.infer(ids).mel
    assert ma.shape == mb.shape and next(b.acoustic.parameters()).dtype == torch.float32
    torch.testing.assert_close(ma, mb, atol=0.05, rtol=0)
    with pytest.raises(ValueError, match="must differ"):
        pack_bundle_fp16(src, src)
