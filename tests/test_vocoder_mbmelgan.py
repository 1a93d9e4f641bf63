"""Multi-band MelGAN generator and PQMF filter bank."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from index_tts.vocoder.base import UnknownVocoderError, Vocoder, build_vocoder, vocoder_classes
from index_tts.vocoder.mbmelgan import MBMelGAN, MBMelGANConfig
from index_tts.vocoder.pqmf import PQMF, pqmf_filters


def tiny_cfg(**kw) -> MBMelGANConfig:
    base = dict(n_mels=8, channels=32, upsample_scales=(3, 5, 5), stacks=2, subbands=4)
    base.update(kw)
    return MBMelGANConfig(**base)


def test_infer_shape_and_range():
    torch.manual_seed(0)
    voc = MBMelGAN(tiny_cfg()).eval()
    assert voc.hop_length == 300 and voc.n_mels == 8
    for t in (1, 4, 23):
        wav = voc.infer(torch.randn(2, 8, t))
        assert wav.shape == (2, t * 300) and wav.dtype == torch.float32
        assert torch.isfinite(wav).all()


def test_rejects_wrong_mel_shape():
    voc = MBMelGAN(tiny_cfg()).eval()
    with pytest.raises(ValueError):
        voc.infer(torch.randn(1, 9, 10))
    with pytest.raises(ValueError):
        voc.infer(torch.randn(1, 8, 0))


def test_pqmf_perfect_reconstruction_and_band_split():
    pqmf = PQMF(4, 62, 0.142, 9.0)
    g = torch.Generator().manual_seed(0)
    wav = torch.randn(1, 1, 8000, generator=g)
    bands = pqmf.analysis(wav)
    assert bands.shape == (1, 4, 2000)
    rec = pqmf.synthesis(bands)
    core = slice(200, -200)
    err = (rec - wav)[..., core].pow(2).mean() / wav[..., core].pow(2).mean()
    assert 10 * torch.log10(1 / err) > 40  # near-perfect reconstruction
    # a 1 kHz tone at 24 kHz lies in band 0 (0-3 kHz), a 7.5 kHz tone in band 2 (6-9 kHz)
    t = torch.arange(8000) / 24000
    for freq, band in ((1000.0, 0), (7500.0, 2)):
        e = pqmf.analysis(torch.sin(2 * np.pi * freq * t).view(1, 1, -1))[..., 100:-100].pow(2).mean(-1)[0]
        assert int(torch.argmax(e)) == band and float(e[band] / e.sum()) > 0.95


def test_synthesis_equals_zero_insertion_plus_convolution():
    pqmf = PQMF()
    x = torch.randn(1, 4, 40)
    up = torch.zeros(1, 4, 160)
    up[..., ::4] = 4 * x
    _, synth = pqmf_filters(4, 62, 0.142, 9.0)
    ref = F.conv1d(F.pad(up, (31, 31)), torch.from_numpy(synth).float().unsqueeze(0))
    assert torch.allclose(pqmf.synthesis(x), ref, atol=1e-5)


def test_registry_builds_lazily():
    voc = build_vocoder("mbmelgan", tiny_cfg().to_dict())
    assert isinstance(voc, MBMelGAN) and isinstance(voc, Vocoder)
    assert vocoder_classes("mbmelgan") == (MBMelGANConfig, MBMelGAN)
    with pytest.raises(UnknownVocoderError):
        build_vocoder("wavenet", {})
    with pytest.raises(ValueError):
        build_vocoder("mbmelgan", {"n_mels": 8, "bogus": 1})


def test_config_round_trip_and_validation():
    cfg = tiny_cfg()
    assert MBMelGANConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError):
        tiny_cfg(kernel_size=6)
