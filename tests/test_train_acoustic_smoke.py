"""Train -> checkpoint -> resume -> export -> load -> synthesize, on the bundled tiny clips (CPU).

The vocoder source is a tiny random HiFi-GAN bundle built here (so the test needs nothing
from cache_hub/); a second test fine-tunes the real default voice when cache_hub/baker-zh
exists and checks its vocoder turns the new model's mel into a waveform.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from index_tts.train.acoustic import main

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "tiny_tts"
TINY = ROOT / "configs" / "acoustic_tiny.json"
pytest.importorskip("pyworld")


def _tiny_vocoder_bundle(path: Path) -> Path:
    """A bundle holding a tiny random FastSpeech2 and HiFi-GAN that share a normalised MelConfig."""
    from index_tts.acoustic import FastSpeech2, FastSpeech2Config
    from index_tts.audio.mel import MelConfig
    from index_tts.bundle import VocoderEntry, save_bundle
    from index_tts.frontend.symbols import BAKER_SYMBOLS
    from index_tts.vocoder.base import build_vocoder

    voc_cfg = json.loads((ROOT / "configs" / "vocoder_hifigan_tiny.json").read_text())["generator"]
    torch.manual_seed(0)
    mel = MelConfig(mel_mean=tuple([-3.0] * 80), mel_std=tuple([1.5] * 80))
    ac = FastSpeech2(FastSpeech2Config(hidden=16, encoder_layers=1, decoder_layers=1, head_dim=8, ffn_dim=16,
                                       predictor_channels=16, postnet_layers=1, postnet_channels=16))
    return save_bundle(path, name="tiny-vocoder-source", mel=mel, symbols=BAKER_SYMBOLS, acoustic=ac,
                       vocoders={"hifigan": VocoderEntry("hifigan", build_vocoder("hifigan", voc_cfg))},
                       default_vocoder="hifigan")


def _weights(ckpt: Path) -> dict:
    return torch.load(ckpt, map_location="cpu", weights_only=False)


def _synthesize(bundle_dir: Path, speaker: str | None):
    from index_tts.bundle import load_bundle
    from index_tts.encoders.speaker import read_presets
    from index_tts.frontend import Frontend
    from index_tts.train.acoustic_data import text_to_ids

    b = load_bundle(bundle_dir)
    _, ids = text_to_ids(Frontend(symbols=b.symbols), "春天来了。")
    emb = None
    if speaker is not None:
        emb = torch.from_numpy(read_presets(b.config, dim=256)[speaker].embedding)[None]
    out = b.acoustic.infer(torch.tensor([ids]), speaker=emb)
    wav = b.vocoder().infer(out.mel)
    return b, out, wav


def test_train_resume_export_load_synthesize(tmp_path):
    pytest.importorskip("resemblyzer", reason="multi-speaker run needs the speaker encoder")
    torch.set_num_threads(2)
    src = _tiny_vocoder_bundle(tmp_path / "voc")
    common = ["--config", str(TINY), "--data", str(DATA), "--vocoder-from", str(src), "--device", "cpu"]
    # Interrupted run: 2 steps, then resume to the config's 4.
    run = tmp_path / "run"
    assert main(common + ["--out", str(run), "--max-steps", "2"]) == 0
    assert sorted(p.name for p in (run / "checkpoints").glob("*.pt")) == ["ckpt_2.pt"]
    assert main(common + ["--out", str(run), "--resume"]) == 0
    assert "resumed from" in (run / "train.log").read_text(encoding="utf-8")
    resumed = _weights(run / "checkpoints" / "ckpt_4.pt")
    assert resumed["step"] == 4
    # Uninterrupted reference run: identical weights (batches and dropout depend only on the step).
    ref = tmp_path / "ref"
    assert main(common + ["--out", str(ref)]) == 0
    straight = _weights(ref / "checkpoints" / "ckpt_4.pt")
    for part in ("acoustic", "aligner"):
        for name, t in straight["models"][part].items():
            assert torch.allclose(t.float(), resumed["models"][part][name].float(), atol=1e-5), (part, name)
    # Validation audio was vocoded with the source bundle's vocoder.
    assert list((run / "samples" / "step_4").glob("*.wav"))

    cfg = json.loads((run / "bundle" / "config.json").read_text(encoding="utf-8"))
    assert cfg["acoustic"]["config"]["speaker_embed_dim"] == 256
    assert set(cfg["speakers"]) == {"kokoro_jf_alpha", "kokoro_jm_kumo"}
    assert cfg["speakers"]["kokoro_jm_kumo"]["display_name"] == "男声1"
    assert cfg["mel"]["mel_mean"][0] == -3.0  # the vocoder source's MelConfig was adopted
    assert (run / "bundle" / "MODEL_CARD.md").is_file() and "hifigan" in cfg["vocoders"]
    b, out, wav = _synthesize(run / "bundle", "kokoro_jm_kumo")
    assert out.mel.shape[1] == 80 and out.mel.shape[2] == int(out.durations.sum()) > 0
    assert wav.shape[-1] == out.mel.shape[2] * 300 and torch.isfinite(wav).all()
    a = b.acoustic.infer(torch.tensor([[1, 30, 40, 1, 218]]), speaker=torch.zeros(1, 256)).mel
    c = b.acoustic.infer(torch.tensor([[1, 30, 40, 1, 218]]), speaker=torch.ones(1, 256)).mel
    assert not torch.allclose(a, c)  # the speaker input is wired into the model


def test_export_without_vocoder_warns_and_resume_without_checkpoint(tmp_path):
    pytest.importorskip("resemblyzer", reason="multi-speaker run needs the speaker encoder")
    torch.set_num_threads(2)
    run = tmp_path / "run"
    assert main(["--config", str(TINY), "--data", str(DATA), "--out", str(run), "--device", "cpu",
                 "--max-steps", "1", "--resume"]) == 0
    log = (run / "train.log").read_text(encoding="utf-8")
    assert "starting at step 0" in log and "has no vocoder" in log
    cfg = json.loads((run / "bundle" / "config.json").read_text(encoding="utf-8"))
    assert cfg["vocoders"] == {} and len(cfg["mel"]["mel_mean"]) == 80  # stats computed from the data
    # Audio-free packed features train the same way (what travels to a GPU machine).
    packed = tmp_path / "packed"
    args = ["--config", str(TINY), "--device", "cpu", "--max-steps", "1"]
    assert main(args + ["--data", str(DATA), "--out", str(run), "--pack-features", str(packed)]) == 0
    assert (packed / "features.json").is_file() and (packed / "speakers.json").is_file()
    assert not list(packed.rglob("*.flac")) and len(list((packed / "feats").glob("*.npz"))) == 9
    run2 = tmp_path / "run2"
    assert main(args + ["--data", str(packed), "--out", str(run2)]) == 0
    a = _weights(run / "checkpoints" / "ckpt_1.pt")["models"]["aligner"]
    b = _weights(run2 / "checkpoints" / "ckpt_1.pt")["models"]["aligner"]
    assert all(torch.allclose(a[k].float(), b[k].float(), atol=1e-2) for k in a)  # fp16 mels: tiny differences


BAKER = ROOT / "cache_hub" / "baker-zh"


@pytest.mark.skipif(not (BAKER / "config.json").is_file(), reason="default voice bundle cache_hub/baker-zh not built")
def test_finetune_from_default_voice(tmp_path):
    torch.set_num_threads(2)
    run = tmp_path / "ft"
    cfg = ROOT / "configs" / "acoustic_tiny_finetune.json"
    assert main(["--config", str(cfg), "--data", str(DATA), "--out", str(run), "--init-from", str(BAKER),
                 "--device", "cpu"]) == 0
    assert list((run / "samples" / "step_2").glob("*.wav"))
    b, _out, wav = _synthesize(run / "bundle", None)
    assert b.config["acoustic"]["config"]["hidden"] == 256 and "mbmelgan" in b.vocoders
    rms = float(wav.pow(2).mean().sqrt())
    assert 0.005 < rms < 0.9 and wav.shape[-1] > 24000 * 0.3
    from safetensors.torch import load_file

    orig = load_file(str(BAKER / "acoustic.safetensors"))["embedding.weight"].float()
    new = load_file(str(run / "bundle" / "acoustic.safetensors"))["embedding.weight"].float()
    assert not torch.allclose(orig, new) and np.isclose(float((orig - new).abs().max()), 0, atol=0.05)
