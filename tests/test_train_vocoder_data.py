"""Vocoder training data, config resolution, discriminators and losses."""
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from index_tts.audio.mel import MelConfig, mel_spectrogram
from index_tts.train.discriminators import (
    HiFiGANDiscriminator,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
)
from index_tts.train.vocoder_config import (
    DiscriminatorConfig,
    VocoderTrainConfig,
    VocoderTrainConfigError,
    resolve_mel_config,
)
from index_tts.train.vocoder_data import (
    CachedItem,
    SegmentDataset,
    StepBatchSampler,
    VocoderDataError,
    collate,
    find_sources,
    load_audio,
    prepare_cache,
    split_items,
)
from index_tts.vocoder.hifigan import HIFIGAN_V3

ROOT = Path(__file__).resolve().parent.parent
TINY_WAVS = ROOT / "tests" / "data" / "tiny_wavs"
HOP = 300


def test_wav_folder_cache_and_aligned_crops(tmp_path):
    mel_cfg = MelConfig()
    sources = find_sources([str(TINY_WAVS)], [])
    assert len(sources) == 5
    items = prepare_cache(sources, mel_cfg, tmp_path)
    by_name = {Path(it.source).name: it for it in items}
    # 0.9 s at 24 kHz -> 72 frames; the 16 kHz clip is resampled to the same length.
    assert by_name["tiny_0.wav"].n_frames == 72 and by_name["tiny_16k.wav"].n_frames == 72
    ds = SegmentDataset(items, tmp_path, segment_frames=8, hop=HOP)
    i = items.index(by_name["tiny_1.wav"])
    wav = load_audio(str(TINY_WAVS / "tiny_1.wav"), 24000)
    full_mel = mel_spectrogram(torch.from_numpy(wav[: 72 * HOP]), mel_cfg)[:, :72]
    starts = set()
    for seed in range(6):
        m, w = ds[(i, seed)]
        s = ds.crop_start(i, seed)
        starts.add(s)
        assert m.shape == (80, 8) and w.shape == (8 * HOP,)
        torch.testing.assert_close(m, full_mel[:, s : s + 8], atol=1e-4, rtol=0)
        np.testing.assert_allclose(w.numpy(), wav[s * HOP : (s + 8) * HOP], atol=1.0 / 32767)
    assert len(starts) > 1  # crops move around
    mels, wavs = collate([ds[(i, 0)], ds[(i, 1)]])
    assert mels.shape == (2, 80, 8) and wavs.shape == (2, 1, 8 * HOP)


def test_cache_is_reused_and_rebuilt_for_other_features(tmp_path):
    sources = find_sources([str(TINY_WAVS)], [])[:2]
    prepare_cache(sources, MelConfig(), tmp_path)
    mel_file = tmp_path / f"{sources[0].key}.mel.npy"
    before = mel_file.stat().st_mtime_ns
    prepare_cache(sources, MelConfig(), tmp_path)
    assert mel_file.stat().st_mtime_ns == before
    other = MelConfig(fmax=8000.0)
    prepare_cache(sources, other, tmp_path)
    assert mel_file.stat().st_mtime_ns != before
    assert MelConfig.from_dict(json.loads((tmp_path / "items.json").read_text())["mel"]) == other


def _pair(folder: Path, name: str, frames: int, samples: int, n_mels: int = 80, seed: int = 0):
    rng = np.random.default_rng(seed)
    np.save(folder / f"{name}.npy", rng.normal(size=(n_mels, frames)).astype(np.float32))
    sf.write(folder / f"{name}.wav", rng.uniform(-0.5, 0.5, samples).astype(np.float32), 24000, subtype="PCM_16")


def test_teacher_forced_pairs_keep_their_mels(tmp_path):
    pairs = tmp_path / "pairs"
    pairs.mkdir()
    _pair(pairs, "a", 20, 20 * HOP)
    _pair(pairs, "b", 20, 20 * HOP - 7, seed=1)  # a few samples short: padded
    items = prepare_cache(find_sources([], [str(pairs)]), MelConfig(), tmp_path / "cache")
    assert [it.n_frames for it in items] == [20, 20]
    ds = SegmentDataset(items, tmp_path / "cache", 20, HOP)
    m, w = ds[(0, 0)]
    np.testing.assert_allclose(m.numpy(), np.load(pairs / "a.npy"))
    assert w.shape == (20 * HOP,)
    m_b, w_b = ds[(1, 0)]
    assert torch.all(w_b[-7:] == 0)


@pytest.mark.parametrize(
    "frames,samples,n_mels,match",
    [(20, 18 * HOP, 80, "do not match"), (20, 20 * HOP, 60, r"expected a mel \[80, T\]")],
)
def test_bad_pairs_raise(tmp_path, frames, samples, n_mels, match):
    _pair(tmp_path, "x", frames, samples, n_mels)
    with pytest.raises(VocoderDataError, match=match):
        prepare_cache(find_sources([], [str(tmp_path)]), MelConfig(), tmp_path / "cache")


def test_missing_or_empty_sources_raise(tmp_path):
    with pytest.raises(VocoderDataError, match="does not exist"):
        find_sources([str(tmp_path / "nope")], [])
    with pytest.raises(VocoderDataError, match="no .wav"):
        find_sources([str(tmp_path)], [])
    np.save(tmp_path / "lonely.npy", np.zeros((80, 3), np.float32))
    with pytest.raises(VocoderDataError, match="without a wav"):
        find_sources([], [str(tmp_path)])
    (tmp_path / "bad.wav").write_bytes(b"not audio")
    with pytest.raises(VocoderDataError, match="cannot read audio"):
        load_audio(str(tmp_path / "bad.wav"), 24000)


def test_step_sampler_depends_only_on_seed_and_step():
    a = StepBatchSampler(10, 4, seed=7, first_step=1, last_step=6)
    b = StepBatchSampler(10, 4, seed=7, first_step=4, last_step=6)
    batches_a, batches_b = list(a), list(b)
    assert len(batches_a) == 6 and len(batches_b) == 3 == len(b)
    assert batches_a[3:] == batches_b
    assert batches_a[0] != batches_a[1]
    assert list(StepBatchSampler(10, 4, seed=8, first_step=1, last_step=1))[0] != batches_a[0]
    assert all(0 <= i < 10 for batch in batches_a for i, _ in batch)


def test_split_is_deterministic_and_drops_short_items():
    items = [CachedItem(f"k{i}", f"s{i}", 5 if i == 3 else 50) for i in range(10)]
    train, val = split_items(items, 2, segment_frames=8)
    assert [it.key for it in val] == ["k0", "k9"]
    assert {it.key for it in train} == {f"k{i}" for i in (1, 2, 4, 5, 6, 7, 8)}
    assert split_items(items, 2, 8) == (train, val)
    with pytest.raises(VocoderDataError, match="at least 100 frames"):
        split_items(items, 2, segment_frames=100)


def test_config_validation_and_bundle_mel(tmp_path):
    with pytest.raises(VocoderTrainConfigError, match="wav_dirs / pair_dirs"):
        VocoderTrainConfig()
    with pytest.raises(VocoderTrainConfigError, match="precision"):
        VocoderTrainConfig(wav_dirs=("x",), precision="fp8")
    with pytest.raises(VocoderTrainConfigError, match="divisible by groups"):
        DiscriminatorConfig(msd_channels=(16, 18, 32, 32, 64, 64, 64))
    bundle_mel = MelConfig(mel_mean=tuple([-4.0] * 80), mel_std=tuple([2.0] * 80))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "config.json").write_text(json.dumps({"mel": bundle_mel.to_dict()}))
    cfg = VocoderTrainConfig(wav_dirs=("x",), bundle=str(tmp_path / "b"))
    assert resolve_mel_config(cfg) == bundle_mel
    with pytest.raises(VocoderTrainConfigError, match="differs from the mel config of bundle"):
        resolve_mel_config(cfg.replace(mel=MelConfig()))
    with pytest.raises(VocoderTrainConfigError, match="not found"):
        resolve_mel_config(cfg.replace(bundle=str(tmp_path / "missing")))
    with pytest.raises(ValueError, match="hop=300"):
        resolve_mel_config(VocoderTrainConfig(wav_dirs=("x",), mel=MelConfig(hop_length=256), generator=HIFIGAN_V3))
    with pytest.raises(VocoderTrainConfigError, match="does not exist"):
        VocoderTrainConfig.from_file(tmp_path / "none.json")


def test_shipped_configs_load():
    for name in ("tiny", "v1", "v2", "v3"):
        cfg = VocoderTrainConfig.from_file(ROOT / "configs" / f"vocoder_hifigan_{name}.json")
        assert cfg.generator.hop_length == 300


def test_discriminator_shapes_and_losses():
    torch.manual_seed(0)
    dcfg = DiscriminatorConfig(periods=(2, 3), mpd_channels=(8, 16), msd_scales=2,
                               msd_channels=(16, 16, 32, 32), msd_kernels=(15, 41, 41, 5),
                               msd_strides=(1, 4, 4, 1), msd_groups=(1, 4, 8, 1))
    disc = HiFiGANDiscriminator(dcfg)
    wav = torch.randn(2, 1, 2401) * 0.1  # not a multiple of the periods: padded internally
    scores, feats = disc(wav)
    assert len(scores) == len(feats) == 4
    assert all(s.shape[0] == 2 and s.dim() == 2 for s in scores)
    assert [len(f) for f in feats] == [3, 3, 5, 5]
    ones, zeros = [torch.ones(2, 5)] * 3, [torch.zeros(2, 5)] * 3
    assert discriminator_loss(ones, zeros).item() == 0.0
    assert discriminator_loss(zeros, ones).item() == pytest.approx(6.0)
    assert generator_adversarial_loss(ones).item() == 0.0
    assert generator_adversarial_loss([torch.full((2, 5), 0.5)]).item() == pytest.approx(0.25)
    assert feature_matching_loss(feats, feats).item() == 0.0
    _, other = disc(wav + 0.05)
    fm = feature_matching_loss(feats, other)
    assert fm.item() > 0
    fm.backward()  # gradient flows into the "generated" branch only
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in disc.parameters())
