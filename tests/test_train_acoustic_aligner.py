"""Aligner, MAS, per-symbol averaging, the step sampler and the acoustic data helpers."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from index_tts.train.acoustic_config import AcousticTrainConfig, merge_model_config
from index_tts.train.acoustic_data import read_metadata
from index_tts.train.acoustic_dataset import StepBatchSampler, phone_average
from index_tts.train.aligner import (
    Aligner,
    AlignerConfig,
    beta_binomial_log_prior,
    bin_loss,
    durations_from_path,
    forward_sum_loss,
    mas_batch,
    mas_numpy,
    mas_path,
)


def _brute_force_best(logp: np.ndarray) -> float:
    t, n = logp.shape
    best = -np.inf
    for cuts in itertools.combinations(range(1, t), n - 1):
        b = (0, *cuts, t)
        best = max(best, sum(logp[b[k] : b[k + 1], k].sum() for k in range(n)))
    return best


def test_mas_hand_made_matrix_gives_known_path():
    # 6 frames, 3 symbols: frames 0-1 like symbol 0, frames 2-4 like symbol 1, frame 5 symbol 2,
    # with a decoy: frame 3 slightly prefers symbol 2 (a jump back would be non-monotonic).
    good, bad = np.log(0.9), np.log(0.05)
    logp = np.full((6, 3), bad)
    for t, n in ((0, 0), (1, 0), (2, 1), (4, 1), (5, 2)):
        logp[t, n] = good
    logp[3, 2], logp[3, 1] = np.log(0.5), np.log(0.45)
    path = mas_path(logp)
    assert path.argmax(1).tolist() == [0, 0, 1, 1, 1, 2]
    assert durations_from_path(torch.from_numpy(path)[None]).tolist() == [[2, 3, 1]]


def test_mas_matches_brute_force_and_is_monotonic():
    rng = np.random.default_rng(0)
    for _ in range(150):
        t = int(rng.integers(1, 9))
        n = int(rng.integers(1, t + 1))
        logp = rng.normal(size=(t, n))
        path = mas_path(logp)
        assert np.isclose((path * logp).sum(), _brute_force_best(logp))
        idx = path.argmax(1)
        assert (path.sum(1) == 1).all() and idx[0] == 0 and idx[-1] == n - 1
        assert set(np.diff(idx)) <= {0, 1}


def test_mas_batch_equals_per_item_and_durations_sum_to_mel_length():
    rng = np.random.default_rng(1)
    logp = rng.normal(size=(4, 12, 6))
    nl, tl = np.array([6, 3, 1, 5]), np.array([12, 7, 4, 5])
    paths = mas_numpy(logp, nl, tl)
    for b in range(4):
        assert (paths[b, : tl[b], : nl[b]] == mas_path(logp[b, : tl[b], : nl[b]])).all()
        assert paths[b].sum() == tl[b]
    dur = durations_from_path(mas_batch(torch.from_numpy(logp), torch.from_numpy(nl), torch.from_numpy(tl)))
    assert dur.sum(1).tolist() == tl.tolist()
    assert all((dur[b, : nl[b]] >= 1).all() and (dur[b, nl[b] :] == 0).all() for b in range(4))


def test_mas_rejects_more_symbols_than_frames():
    with pytest.raises(ValueError, match="T >= N"):
        mas_path(np.zeros((3, 5)))


def test_forward_sum_loss_prefers_the_true_alignment():
    # A sharp diagonal-ish soft alignment must score better than a uniform one.
    t, n = 12, 4
    logits_good = torch.full((1, t, n), -10.0)
    for frame in range(t):
        logits_good[0, frame, frame * n // t] = 0.0
    logits_flat = torch.zeros(1, t, n)
    lens_n, lens_t = torch.tensor([n]), torch.tensor([t])
    good = forward_sum_loss(logits_good, lens_n, lens_t)
    flat = forward_sum_loss(logits_flat, lens_n, lens_t)
    assert torch.isfinite(good) and good < flat


def test_aligner_training_finds_the_toy_alignment():
    # Four sequences over five "phones" with very uneven durations; each phone is a fixed
    # random spectrum plus noise. Boundaries are ambiguous by about a frame (the mel encoder
    # sees 3 frames), so cumulative boundaries must be within 1 frame of the truth.
    torch.manual_seed(2)
    vocab, n_mels = 6, 8
    proto = torch.randn(vocab, n_mels) * 3
    seqs = [[1, 2, 3, 4], [4, 3, 5, 1], [2, 5, 1, 3], [5, 4, 2, 1]]
    durs = [[2, 9, 2, 5], [8, 2, 2, 6], [2, 2, 10, 4], [3, 10, 2, 3]]
    ids, il = torch.tensor(seqs), torch.full((4,), 4)
    ml = torch.tensor([sum(d) for d in durs])
    mel = torch.zeros(4, n_mels, int(ml.max()))
    for b, (s, d) in enumerate(zip(seqs, durs)):
        mel[b, :, : sum(d)] = torch.cat([proto[i].unsqueeze(1).repeat(1, k) for i, k in zip(s, d)], 1)
    mel = mel + 0.3 * torch.randn_like(mel)
    al = Aligner(AlignerConfig(symbol_dim=16, channels=32, attn_dim=8, temperature=0.05), vocab, n_mels)
    opt = torch.optim.Adam(al.parameters(), lr=1e-2)
    first = None
    for _ in range(200):
        out = al(ids, il, mel, ml)
        loss = forward_sum_loss(out.attn_logits, il, ml)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    out = al(ids, il, mel, ml)
    hard = mas_batch(out.log_attn, il, ml)
    pred = durations_from_path(hard).numpy()
    assert float(forward_sum_loss(out.attn_logits, il, ml)) < 0.5 * first
    assert np.abs(np.cumsum(pred, 1) - np.cumsum(durs, 1)).max() <= 1
    assert float(bin_loss(out.log_attn, hard)) < 1.0


def test_beta_binomial_prior_is_normalised_and_diagonal():
    prior = beta_binomial_log_prior(torch.tensor([5]), torch.tensor([20]), 5, 20)
    p = prior[0].exp()
    assert torch.allclose(p.sum(-1), torch.ones(20), atol=1e-5)
    assert p[0].argmax() == 0 and p[-1].argmax() == 4


def test_phone_average_voiced_only():
    values = torch.tensor([[100.0, 0.0, 120.0, 0.0, 0.0, 200.0, 0.0]])
    dur = torch.tensor([[3, 2, 2]])
    assert phone_average(values, dur, nonzero_only=True).tolist() == [[110.0, 0.0, 200.0]]
    assert phone_average(values, dur).tolist() == [[pytest.approx(220 / 3), 0.0, 100.0]]


def test_step_sampler_is_a_function_of_the_step():
    lengths = list(range(10, 43))
    full = list(StepBatchSampler(lengths, 4, seed=3, num_steps=20))
    resumed = list(StepBatchSampler(lengths, 4, seed=3, start_step=7, num_steps=13))
    assert full[7:] == resumed
    assert all(len(b) == 4 and len(set(b)) == 4 for b in full)
    epoch0 = [i for b in full[:8] for i in b]
    assert len(set(epoch0)) == 32  # one epoch visits distinct items
    assert list(StepBatchSampler(lengths, 4, seed=4, num_steps=8)) != full[:8]


def test_read_metadata_formats_and_errors(tmp_path):
    (tmp_path / "wavs").mkdir()
    for name in ("a.wav", "b.wav"):
        (tmp_path / "wavs" / name).write_bytes(b"RIFF")
    (tmp_path / "metadata.csv").write_text("wav_name|text|speaker\na|你好。|s1\nb.wav|再见。\nmissing|没有。\n",
                                           encoding="utf-8")
    items = read_metadata(tmp_path)
    assert [(i.utt_id, i.text, i.speaker) for i in items] == [("a", "你好。", "s1"), ("b", "再见。", "spk0")]
    (tmp_path / "metadata.csv").write_text("a\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected wav_name"):
        read_metadata(tmp_path)
    with pytest.raises(ValueError, match="no metadata"):
        read_metadata(tmp_path / "wavs")


def test_train_config_validation_and_schedule():
    with pytest.raises(ValueError, match="derived"):
        AcousticTrainConfig(model={"vocab_size": 10})
    with pytest.raises(ValueError, match="speaker_mode"):
        AcousticTrainConfig(speaker_mode="x")
    cfg = AcousticTrainConfig(lr=1e-3, warmup_steps=10, bin_loss_start=5, bin_loss_ramp=4)
    assert cfg.lr_at(0) < cfg.lr_at(9) == pytest.approx(1e-3)
    assert cfg.lr_at(1000) < 1e-3
    assert cfg.bin_weight(4) == 0 and cfg.bin_weight(6) == pytest.approx(0.5) and cfg.bin_weight(100) == 1.0
    assert AcousticTrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="fine-tuning"):
        merge_model_config({"hidden": 256}, {"hidden": 32}, finetune=True)
    assert merge_model_config({"hidden": 256}, {"dropout": 0.1}, finetune=True) == {"hidden": 256, "dropout": 0.1}
