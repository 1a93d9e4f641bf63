"""The fast vocoder's multi-speaker fine-tune: losses and a few real steps on real clips."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from index_tts.train.mbmelgan_finetune import finetune, mr_stft_loss

CLIPS = Path(__file__).parent / "data" / "tiny_tts" / "wavs"


def test_mr_stft_loss_is_zero_for_the_same_signal_and_grows_with_noise():
    torch.manual_seed(0)
    x = torch.sin(torch.linspace(0, 2000, 9600)) * 0.3 + 0.01 * torch.randn(9600)
    same = float(mr_stft_loss(x[None], x[None]))
    a = float(mr_stft_loss((x + 0.01 * torch.randn(9600))[None], x[None]))
    b = float(mr_stft_loss((x + 0.1 * torch.randn(9600))[None], x[None]))
    assert same < 1e-5 < a < b


def test_finetune_runs_on_real_clips_and_writes_loadable_weights(tmp_path):
    from safetensors.torch import load_file

    from index_tts import hub
    from index_tts.bundle import load_bundle

    if not (hub.hub_dir() / "baker-zh" / "config.json").is_file():
        pytest.skip("default voice not built")
    info = finetune([CLIPS], tmp_path, steps=3, batch=2)
    assert info["clips"] >= 5 and len(info["last_losses"]) == 2 and all(np.isfinite(info["last_losses"]))
    state = load_file(str(tmp_path / "mbmelgan_ft.safetensors"))
    voc = load_bundle("baker-zh").vocoders["mbmelgan"]
    voc.load_state_dict(state)  # same architecture, every tensor present
    assert json.loads((tmp_path / "finetune.json").read_text())["steps"] == 3
