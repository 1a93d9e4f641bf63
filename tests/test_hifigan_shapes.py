import json

import pytest
import torch

from index_tts.vocoder.base import build_vocoder
from index_tts.vocoder.hifigan import (
    HIFIGAN_V1,
    HIFIGAN_V2,
    HIFIGAN_V3,
    PRESETS,
    HiFiGAN,
    HiFiGANConfig,
    HiFiGANConfigError,
    preset,
)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_output_length_is_frames_times_hop(name):
    torch.manual_seed(0)
    cfg = PRESETS[name]
    model = HiFiGAN(cfg).eval()
    for frames in (1, 7):
        wav = model.infer(torch.randn(2, cfg.n_mels, frames))
        assert wav.shape == (2, frames * 300)
        assert wav.dtype == torch.float32
        assert torch.isfinite(wav).all() and wav.abs().max() <= 1.0


def test_presets_are_sized_like_the_paper():
    def millions(cfg):
        return sum(p.numel() for p in HiFiGAN(cfg).parameters()) / 1e6

    v1, v2, v3 = millions(HIFIGAN_V1), millions(HIFIGAN_V2), millions(HIFIGAN_V3)
    # Paper: V1 13.92M, V2 0.92M, V3 1.46M parameters (hop 256); ours differ only by the hop-300 upsamplers.
    assert 11 < v1 < 16 and 0.7 < v2 < 1.1 and 1.2 < v3 < 1.8
    assert HIFIGAN_V3.resblock == 2 and HIFIGAN_V1.resblock == 1


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_config_round_trip(name, tmp_path):
    cfg = PRESETS[name]
    again = HiFiGANConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    assert isinstance(again.resblock_dilation_sizes[0], tuple)
    cfg.save(tmp_path / "c.json")
    assert HiFiGANConfig.load(tmp_path / "c.json") == cfg


def test_mismatched_hop_raises_clear_error():
    with pytest.raises(HiFiGANConfigError, match="multiply to 300.*hop_length is 256"):
        HiFiGANConfig(hop_length=256)
    with pytest.raises(ValueError, match="multiply"):
        HiFiGANConfig.from_dict({**HIFIGAN_V2.to_dict(), "upsample_rates": [8, 8, 2, 2]})
    with pytest.raises(HiFiGANConfigError):
        preset("v2", hop_length=240)
    with pytest.raises(HiFiGANConfigError, match="n_mels=80, hop=300"):
        HIFIGAN_V2.check_mel(n_mels=80, hop_length=256)
    with pytest.raises(HiFiGANConfigError, match="unknown HiFi-GAN preset"):
        preset("v9")


def test_other_invalid_configs_raise():
    with pytest.raises(HiFiGANConfigError, match="upsample_kernel_sizes"):
        HiFiGANConfig(upsample_kernel_sizes=(10, 10, 8))
    with pytest.raises(HiFiGANConfigError, match="resblock"):
        HiFiGANConfig(resblock=3)
    with pytest.raises(HiFiGANConfigError, match="kernel 4 must be >= its rate 5"):
        HiFiGANConfig(upsample_kernel_sizes=(4, 10, 8, 6))


def test_weight_norm_round_trip_preserves_function_and_plain_keys():
    torch.manual_seed(1)
    model = HiFiGAN(PRESETS["tiny"]).eval()
    mel = torch.randn(1, 80, 5)
    ref = model.infer(mel)
    model.apply_weight_norm()
    assert model.has_weight_norm
    assert any("parametrizations" in k for k in model.state_dict())
    with torch.no_grad():  # change g only: a real weight-norm reparametrisation must change the output
        model.conv_pre.parametrizations.weight.original0.mul_(2.0)
    changed = model.infer(mel)
    assert not torch.allclose(changed, ref)
    model.remove_weight_norm()
    assert not model.has_weight_norm
    assert not any("parametrizations" in k for k in model.state_dict())
    assert torch.allclose(model.infer(mel), changed, atol=1e-6)


def test_registry_builds_hifigan_and_rejects_bad_mels():
    model = build_vocoder("hifigan", PRESETS["tiny"].to_dict())
    assert isinstance(model, HiFiGAN)
    assert model.hop_length == 300 and model.n_mels == 80
    with pytest.raises(ValueError, match="expected mel"):
        model.infer(torch.randn(1, 60, 4))
