"""save_bundle -> load_bundle round trip, manifest tamper detection, consistency checks."""
from __future__ import annotations

import json

import pytest
import torch

from index_tts.acoustic import FastSpeech2, FastSpeech2Config
from index_tts.audio.mel import MelConfig
from index_tts.bundle import BundleError, VocoderEntry, load_bundle, save_bundle
from index_tts.hub import ManifestError, ModelNotFoundError, write_manifest
from index_tts.vocoder.mbmelgan import MBMelGAN, MBMelGANConfig

SYMBOLS = ["pad", "sil", "a1", "b", "c2", "eos"]


def _models(n_mels: int = 8):
    torch.manual_seed(0)
    ac = FastSpeech2(FastSpeech2Config(vocab_size=len(SYMBOLS), n_mels=n_mels, hidden=16, heads=2, head_dim=4,
                                       ffn_dim=32, predictor_channels=16, postnet_channels=16, postnet_layers=2,
                                       encoder_layers=1, decoder_layers=1, max_positions=100)).eval()
    voc = MBMelGAN(MBMelGANConfig(n_mels=n_mels, channels=16, stacks=1)).eval()
    return ac, voc


def _save(tmp_path, dtype="float32", mel=None, **kw):
    ac, voc = _models()
    mel = mel or MelConfig(n_mels=8, mel_mean=tuple(float(i) for i in range(8)), mel_std=(1.5,) * 8)
    out = save_bundle(tmp_path / "b", name="tiny", mel=mel, symbols=SYMBOLS, acoustic=ac,
                      vocoders={"mbmelgan": VocoderEntry("mbmelgan", voc, dtype=dtype)}, default_vocoder="mbmelgan",
                      licence={"weights": "test"}, provenance={"test": True}, **kw)
    return out, ac, voc, mel


def test_round_trip_identical(tmp_path):
    path, ac, voc, mel = _save(tmp_path)
    b = load_bundle(path)
    assert b.symbols == SYMBOLS and b.mel == mel and b.default_vocoder == "mbmelgan"
    assert b.acoustic.cfg == ac.cfg and b.vocoder().cfg == voc.cfg
    for ref, got in ((ac, b.acoustic), (voc, b.vocoder())):
        sa, sb = ref.state_dict(), got.state_dict()
        assert sa.keys() == sb.keys()
        for k in sa:
            assert torch.equal(sa[k], sb[k]), k
    assert b.acoustic.mel_config == mel
    ids = torch.tensor([[1, 2, 3, 4, 5]])
    assert torch.equal(ac.infer(ids).mel, b.acoustic.infer(ids).mel)
    cfg = json.loads((path / "config.json").read_text())
    assert cfg["format"] == "index-tts-bundle" and cfg["acoustic"]["weights"] == "acoustic.safetensors"
    assert (path / "MODEL_CARD.md").is_file()


def test_save_is_idempotent(tmp_path):
    p1, *_ = _save(tmp_path)
    first = (p1 / "manifest.json").read_text()
    p2, *_ = _save(tmp_path)
    assert (p2 / "manifest.json").read_text() == first


def test_fp16_storage_close(tmp_path):
    path, ac, voc, _ = _save(tmp_path, dtype="float16")
    b = load_bundle(path)
    w = b.vocoder().conv_in.weight
    assert w.dtype == torch.float32
    assert torch.allclose(w, voc.conv_in.weight, rtol=1e-3, atol=1e-4)
    assert not torch.equal(w, voc.conv_in.weight)


def test_tampering_detected(tmp_path):
    path, *_ = _save(tmp_path)
    wfile = path / "vocoder_mbmelgan.safetensors"
    data = bytearray(wfile.read_bytes())
    data[-3] ^= 0xFF
    wfile.write_bytes(bytes(data))
    with pytest.raises(ManifestError):
        load_bundle(path)
    load_bundle(path, verify=False)  # explicit opt-out still loads


def test_config_edit_detected(tmp_path):
    path, *_ = _save(tmp_path)
    cfg = path / "config.json"
    cfg.write_text(cfg.read_text().replace('"tiny"', '"other"'))
    with pytest.raises(ManifestError):
        load_bundle(path)


def test_disagreeing_components_rejected(tmp_path):
    path, *_ = _save(tmp_path)
    cfg_path = path / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["vocoders"]["mbmelgan"]["mel"] = MelConfig(n_mels=8).to_dict()  # un-normalised features
    cfg_path.write_text(json.dumps(cfg))
    write_manifest(path)
    with pytest.raises(BundleError):
        load_bundle(path)
    cfg["vocoders"]["mbmelgan"].pop("mel")
    cfg["symbols"] = SYMBOLS[:-1]
    cfg_path.write_text(json.dumps(cfg))
    write_manifest(path)
    with pytest.raises(BundleError):
        load_bundle(path)


def test_missing_bundle(tmp_path):
    with pytest.raises(ModelNotFoundError):
        load_bundle(tmp_path / "nope")


def test_second_engine_bundle_gets_a_clear_message(tmp_path):
    import json

    from index_tts.bundle import BundleError, load_bundle
    from index_tts.hub import write_manifest

    d = tmp_path / "teacher"
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"format": "index-tts-bundle", "version": 1, "engine": "kokoro-onnx"}))
    write_manifest(d)
    with pytest.raises(BundleError, match="speaker=<id>"):
        load_bundle(d)
