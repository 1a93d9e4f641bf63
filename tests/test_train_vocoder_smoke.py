"""CPU smoke test of the HiFi-GAN recipe: train, save, resume, export, install, load, vocode."""
import json
from pathlib import Path

import pytest
import torch

from index_tts.audio.mel import MelConfig
from index_tts.hub import ManifestError, verify_manifest, write_manifest
from index_tts.train.vocoder import VocoderTrainer
from index_tts.train.vocoder_config import VocoderTrainConfig, VocoderTrainConfigError
from index_tts.train.vocoder_export import VocoderInstallError, export_vocoder, install_vocoder_into_bundle, load_vocoder_folder
from index_tts.vocoder.base import build_vocoder
from index_tts.vocoder.hifigan import HiFiGAN

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "configs" / "vocoder_hifigan_tiny.json"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("vocoder_cache")


def tiny_cfg(out: Path, cache: Path, **kw) -> VocoderTrainConfig:
    cfg = VocoderTrainConfig.from_file(TINY)
    base = dict(wav_dirs=(str(ROOT / "tests/data/tiny_wavs"),), out_dir=str(out), cache_dir=str(cache),
                lr_decay=0.9, lr_decay_every=1, val_every=2, ckpt_every=2, log_every=1)
    base.update(kw)
    return cfg.replace(**base)


@pytest.fixture(autouse=True)
def _threads():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_resume_continues_exactly_like_a_straight_run(tmp_path, cache_dir):
    straight = VocoderTrainer(tiny_cfg(tmp_path / "a", cache_dir, export_on_finish=False))
    s1 = straight.train(max_steps=4)
    assert s1.step == 4 and Path(s1.checkpoint).name == "ckpt_4.pt"

    first = VocoderTrainer(tiny_cfg(tmp_path / "b", cache_dir, export_on_finish=False))
    assert first.train(max_steps=2).step == 2
    resumed = VocoderTrainer(tiny_cfg(tmp_path / "b", cache_dir, export_on_finish=False), resume=True)
    assert resumed.step == 2
    s2 = resumed.train(max_steps=4)
    assert s2.step == 4
    # RNG-independent state: step counter, LR schedule, optimiser step counts, and (batches are a
    # function of the step number) the weights themselves.
    assert resumed.opt_g.param_groups[0]["lr"] == pytest.approx(2e-4 * 0.9**4)
    assert resumed.opt_g.param_groups[0]["lr"] == straight.opt_g.param_groups[0]["lr"]
    st_a = next(iter(straight.opt_g.state.values()))["step"]
    st_b = next(iter(resumed.opt_g.state.values()))["step"]
    assert int(st_a) == int(st_b) == 4
    for (ka, va), (kb, vb) in zip(straight.gen.state_dict().items(), resumed.gen.state_dict().items()):
        assert ka == kb
        torch.testing.assert_close(va, vb, rtol=1e-5, atol=1e-6)
    # ...and training did change the weights.
    fresh = VocoderTrainer(tiny_cfg(tmp_path / "c", cache_dir, export_on_finish=False))
    assert not torch.allclose(fresh.gen.conv_post.parametrizations.weight.original1, resumed.gen.conv_post.parametrizations.weight.original1)
    # Checkpoint retention: keep_checkpoints=2 of steps 2 and 4 in the tiny config.
    assert sorted(p.name for p in (tmp_path / "b" / "checkpoints").glob("*.pt")) == ["ckpt_2.pt", "ckpt_4.pt"]


def test_resume_refuses_a_different_generator(tmp_path, cache_dir):
    VocoderTrainer(tiny_cfg(tmp_path / "r", cache_dir, export_on_finish=False)).train(max_steps=2)
    cfg = tiny_cfg(tmp_path / "r", cache_dir, export_on_finish=False)
    cfg = cfg.replace(generator=cfg.generator.replace(upsample_initial_channel=64))
    with pytest.raises(VocoderTrainConfigError, match="generator config differs"):
        VocoderTrainer(cfg, resume=True)


def test_time_budget_stops_checkpoints_and_exports(tmp_path, cache_dir):
    trainer = VocoderTrainer(tiny_cfg(tmp_path / "t", cache_dir))
    summary = trainer.train(max_steps=1000, max_seconds=1e-6)
    assert summary.step == 1 and Path(summary.checkpoint).name == "ckpt_1.pt"
    assert summary.export_dir and (Path(summary.export_dir) / "vocoder_hifigan.safetensors").is_file()
    assert summary.val_mel_l1 is not None and summary.val_mel_l1 > 0
    # The reference audio reproduces its own (cached) input mel: mel/wav alignment is exact up to
    # 16-bit rounding, while the barely trained generator is far off.
    gen_in, ref_in = summary.val_input_l1
    assert ref_in < 0.01 < gen_in
    meta = json.loads((Path(summary.export_dir) / "config.json").read_text(encoding="utf-8"))
    assert meta["training"]["val_input_mel_l1_log10"]["reference_audio"] == pytest.approx(ref_in)


def _tiny_bundle(folder: Path) -> Path:
    """A real bundle (random weights) written by the bundle writer: tiny FastSpeech2 + MB-MelGAN."""
    from index_tts.acoustic import FastSpeech2, FastSpeech2Config
    from index_tts.bundle import VocoderEntry, save_bundle
    from index_tts.vocoder.mbmelgan import MBMelGAN, MBMelGANConfig

    symbols = ["pad", "sil", "a1", "eos"]
    acoustic = FastSpeech2(FastSpeech2Config(vocab_size=len(symbols), hidden=32, encoder_layers=1, decoder_layers=1,
                                             ffn_dim=64, predictor_channels=32, postnet_layers=2, postnet_channels=32))
    return save_bundle(folder, name="tiny", mel=MelConfig(), symbols=symbols, acoustic=acoustic,
                       vocoders={"mbmelgan": VocoderEntry("mbmelgan", MBMelGAN(MBMelGANConfig(channels=32, stacks=1)))},
                       default_vocoder="mbmelgan", model_card="# Tiny bundle\n")


def _fake_bundle(folder: Path, mel: MelConfig) -> Path:
    folder.mkdir(parents=True)
    cfg = {"format": "index-tts-bundle", "version": 1, "name": "fake", "mel": mel.to_dict(),
           "vocoders": {"mbmelgan": {"type": "mbmelgan", "config": {}, "weights": "vocoder_mbmelgan.safetensors"}},
           "default_vocoder": "mbmelgan"}
    (folder / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    (folder / "vocoder_mbmelgan.safetensors").write_bytes(b"placeholder")
    (folder / "MODEL_CARD.md").write_text("# Fake bundle\n", encoding="utf-8")
    write_manifest(folder)
    return folder


def test_cli_train_export_install_and_vocode(tmp_path, cache_dir):
    from index_tts.train.__main__ import main

    cfg = tiny_cfg(tmp_path / "run", cache_dir)
    cfg_path = tmp_path / "tiny.json"
    cfg.save(cfg_path)
    assert main(["vocoder", "--config", str(cfg_path), "--device", "cpu", "--max-steps", "1"]) == 0
    assert main(["vocoder", "--config", str(cfg_path), "--device", "cpu", "--max-steps", "2", "--resume"]) == 0
    log_text = (tmp_path / "run" / "train.log").read_text(encoding="utf-8")
    assert "resumed from" in log_text and "at step 1" in log_text
    assert "step 2 | lr" in log_text and "steps/s" in log_text and "validation mel L1" in log_text
    assert list((tmp_path / "run" / "samples").glob("*.wav"))

    export = tmp_path / "run" / "export"
    verify_manifest(export)
    meta = json.loads((export / "config.json").read_text(encoding="utf-8"))
    assert meta["type"] == "hifigan" and meta["training"]["steps"] == 2
    from safetensors.torch import load_file

    tensors = load_file(str(export / meta["weights"]))
    assert all(t.dtype == torch.float16 for t in tensors.values())
    assert not any("parametrizations" in k for k in tensors)

    from index_tts.bundle import load_bundle

    bundle = _tiny_bundle(tmp_path / "bundle")
    entry = install_vocoder_into_bundle(export, bundle, make_default=True)
    verify_manifest(bundle)
    bcfg = json.loads((bundle / "config.json").read_text(encoding="utf-8"))
    assert bcfg["default_vocoder"] == "hifigan" and "mbmelgan" in bcfg["vocoders"]
    assert bcfg["vocoders"]["hifigan"] == entry
    assert entry["type"] == "hifigan" and entry["config"] == meta["config"] and entry["weights"] == "vocoder_hifigan.safetensors"
    card = (bundle / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert card.startswith("# Tiny bundle") and "Vocoder `hifigan`" in card

    # Load through the bundle loader and the vocoder registry, then vocode.
    loaded = load_bundle(bundle)
    assert loaded.default_vocoder == "hifigan" and set(loaded.vocoders) == {"hifigan", "mbmelgan"}
    voc = loaded.vocoder()
    assert isinstance(voc, HiFiGAN)
    mel = torch.randn(1, voc.n_mels, 13)
    wav = voc.infer(mel)
    assert wav.shape == (1, 13 * 300) and torch.isfinite(wav).all()
    same = build_vocoder(entry["type"], entry["config"])
    same.load_state_dict(load_file(str(bundle / entry["weights"])))
    torch.testing.assert_close(same.eval().infer(mel), wav)
    # The exported generator reproduces the trained one (up to fp16 rounding of weights).
    _, from_folder = load_vocoder_folder(export)
    trainer = VocoderTrainer(cfg, resume=True)
    trained = trainer.gen.eval()
    torch.testing.assert_close(from_folder.infer(mel), trained.infer(mel), atol=2e-3, rtol=0)

    # Re-installing replaces the card section instead of duplicating it.
    install_vocoder_into_bundle(export, bundle, make_default=False)
    assert (bundle / "MODEL_CARD.md").read_text(encoding="utf-8").count("Vocoder `hifigan`") == 1


def test_install_rejects_mismatched_features_and_corrupt_exports(tmp_path, cache_dir):
    run = VocoderTrainer(tiny_cfg(tmp_path / "run", cache_dir, export_on_finish=False))
    run.train(max_steps=1)
    export = export_vocoder(next((tmp_path / "run" / "checkpoints").glob("*.pt")), tmp_path / "exp")
    other = MelConfig(mel_mean=tuple([0.0] * 80), mel_std=tuple([1.0] * 80))  # normalised: other features
    bundle = _fake_bundle(tmp_path / "bundle", other)
    with pytest.raises(VocoderInstallError, match="other mel features"):
        install_vocoder_into_bundle(export, bundle)
    assert "hifigan" not in json.loads((bundle / "config.json").read_text(encoding="utf-8"))["vocoders"]
    (export / "vocoder_hifigan.safetensors").write_bytes(b"broken")
    with pytest.raises(ManifestError):
        install_vocoder_into_bundle(export, _fake_bundle(tmp_path / "b2", MelConfig()))


def test_dispatcher_reports_unknown_and_missing_commands(capsys, monkeypatch):
    from index_tts.train import __main__ as dispatcher

    assert dispatcher.main(["nope"]) == 2
    assert "unknown command" in capsys.readouterr().err
    monkeypatch.setitem(dispatcher.COMMANDS, "ghost", ("index_tts.train.no_such_module", "main", "x"))
    assert dispatcher.main(["ghost"]) == 2
    assert "not available" in capsys.readouterr().err
    assert dispatcher.main([]) == 2 and "vocoder" in capsys.readouterr().out
    # Bad input to a command: a one-line message and exit code 2, no traceback.
    assert dispatcher.main(["vocoder-install", "--vocoder", "/nonexistent/voc", "--bundle", "/nonexistent/b"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "config.json" in err and "Traceback" not in err
