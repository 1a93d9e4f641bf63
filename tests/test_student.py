"""Teacher corpus (durations from the teacher, pauses, edges) and the multi-voice student trainer."""
from __future__ import annotations

import json

import numpy as np
import pytest

from index_tts.frontend.kokoro_phonemes import aligned_phonemes, phones_to_phonemes
from index_tts.train import teacher_corpus as tc
from index_tts.train.student import Clip, StudentConfig, make_batches, split_validation
from index_tts.train.student_voices import display_names, student_id


def test_aligned_phonemes_owners_match_the_plain_string(fe):
    seg = fe("我们一起去公园散步吧，好吗？").segments[0]
    text, owners = aligned_phonemes(seg.phones, seg.sentence_type, seg.word_index)
    assert text == phones_to_phonemes(seg.phones, seg.sentence_type, seg.word_index)
    assert len(owners) == len(text)
    assert owners == sorted(owners), "characters are owned in symbol order"
    for ch, o in zip(text, owners):
        p = seg.phones[o]
        if ch == " ":
            assert p.startswith("#") or p[-1].isdigit() or p == "^" or p.isalpha()
        elif ch in ",":
            assert p == "#3"
        elif ch in ".?!":
            assert p == "sil"
        else:
            assert not p.startswith("#") and p not in ("sil", "eos")
    # every syllable's final owns its tone arrow
    arrows = [seg.phones[o] for ch, o in zip(text, owners) if ch in "→↗↓↘"]
    assert all(a[-1] in "1234" for a in arrows)


def test_symbol_durations_cover_the_mel_and_give_pads_to_sil(fe):
    seg = fe("你好，世界。").segments[0]
    text, owners = aligned_phonemes(seg.phones, seg.sentence_type, seg.word_index)
    token_d = np.arange(1, len(text) + 3) % 4 + 1  # pads at both ends
    n_frames = int(token_d.sum()) * 2 + 1
    d = tc.symbol_durations(owners, token_d, seg.phones, n_frames)
    assert d.sum() == n_frames and (d >= 0).all()
    assert d[0] == token_d[0] * 2  # start pad -> leading sil
    last_sil = max(i for i, p in enumerate(seg.phones) if p == "sil")
    assert d[last_sil] >= token_d[-1] * 2
    assert d[seg.phones.index("eos")] == 0
    with pytest.raises(ValueError):
        tc.symbol_durations(owners, token_d[:-1], seg.phones, n_frames)


def test_settle_pauses_moves_trailing_silence_into_the_pause():
    phones = ["sil", "n", "i3", "#3", "h", "ao3", "sil", "eos"]
    d = np.array([4, 3, 10, 2, 3, 20, 2, 0])
    energy = np.ones(int(d.sum()))
    energy[4 + 3 + 6: 4 + 3 + 10] = 1e-6  # last 4 frames of i3 silent
    energy[4 + 3 + 10 + 2 + 3 + 8:] = 1e-6  # ao3 silent after 8 frames, and the final sil
    out = tc.settle_pauses(d, phones, energy)
    assert out.sum() == d.sum()
    assert out[2] == 6 and out[3] == 6  # i3 -> #3
    assert out[5] == 8 and out[6] == 14  # ao3 -> sil
    trimmed, a, b = tc.trim_edges(out, phones, keep=3)
    assert trimmed[0] == 3 and trimmed[6] == 3 and b - a == trimmed.sum()


def test_assignments_rotate_voices_evenly():
    jobs = tc.assignments([f"s{i}" for i in range(9)], ["a", "b", "c"], 2)
    assert len(jobs) == 18
    counts = {v: sum(1 for _, x in jobs if x == v) for v in "abc"}
    assert set(counts.values()) == {6}
    assert all(jobs[2 * i][1] != jobs[2 * i + 1][1] for i in range(9))


def test_student_ids_never_collide_with_teacher_ids():
    assert student_id("zm_yunxi") == "yunxi"
    blend = student_id("0.5*zf_xiaobei+0.5*zm_yunxi")
    assert blend.startswith("mix_") and blend == student_id("0.5*zf_xiaobei+0.5*zm_yunxi")
    names = display_names({"yunxi": 0, blend: 0})
    assert names["yunxi"].endswith("（学生）") and "Kokoro" not in names["yunxi"]


def test_batches_respect_the_frame_budget_and_validation_is_stable():
    rng = np.random.default_rng(0)
    clips = [Clip(f"v{i % 3}_{i}", f"v{i % 3}", None, 50 + 7 * i) for i in range(60)]
    for idx in make_batches(clips, 600, rng):
        assert max(clips[i].n_frames for i in idx) * len(idx) <= 600 or len(idx) == 1
    assert sorted(i for b in make_batches(clips, 600, rng) for i in b) == list(range(60))
    tr1, va1 = split_validation(clips)
    tr2, va2 = split_validation(list(reversed(clips)))
    assert {c.uid for c in va1} == {c.uid for c in va2} and len(va1) == 6
    assert not {c.uid for c in tr1} & {c.uid for c in va1}
    cfg = StudentConfig(lr=1e-3, warmup_steps=10, decay_steps=100, min_lr=1e-5)
    assert cfg.lr_at(0) < cfg.lr_at(9) <= cfg.lr and abs(cfg.lr_at(110) - 1e-5) < 1e-9


@pytest.mark.slow
def test_student_trains_exports_and_speaks(tmp_path):
    """Corpus from the default voice (no Kokoro, no ASR), a few steps, export, synthesize."""
    import torch

    from index_tts.synthesizer import Synthesizer
    from index_tts.train.student import StudentTrainer

    sent = tmp_path / "s.txt"
    sent.write_text("今天天气很好。\n我们一起去公园散步吧。\n这本书一共有三百页。\n晚上早点休息。\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    assert tc.main(["--sentences", str(sent), "--out", str(corpus), "--voices", "baker", "--per-sentence", "1",
                    "--no-asr"]) == 0
    rows = [json.loads(x) for x in (corpus / "index.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4 and all(r["kept"] for r in rows)
    z = np.load(corpus / rows[0]["path"])
    assert z["durations"].sum() == z["mel"].shape[1] == len(z["f0"])
    import soundfile as sf

    audio, sr = sf.read(corpus / "audio" / "baker" / f"{rows[0]['uid']}.flac")
    assert sr == 24000 and abs(len(audio) // 300 + 1 - z["mel"].shape[1]) <= 1  # the clip the features came from
    torch.manual_seed(0)
    trainer = StudentTrainer(StudentConfig(batch_frames=4000, warmup_steps=1, lr=1e-4), corpus, tmp_path / "run")
    batch = [list(range(len(trainer.train_clips)))]
    first = trainer.train_step(batch[0])
    for _ in range(3):
        last = trainer.train_step(batch[0])
    assert last["mel_after"] < first["mel_after"] + 1e-3
    assert first["mel_after"] < 0.6, "step 0 is the default voice reading its own output"
    trainer.save()
    again = StudentTrainer(StudentConfig(), corpus, tmp_path / "run")
    assert again.resume() and again.step == 4
    trained = trainer.model.speaker_proj.weight.detach().clone()
    out = trainer.export(tmp_path / "bundle")
    from index_tts.encoders.timbre import TimbreConfig

    assert TimbreConfig.from_dict(json.loads((out / "config.json").read_text(encoding="utf-8"))["clone_timbre"]) \
        == TimbreConfig()  # the clone's timbre settings travel with the voices (in the manifest's config)
    tts = Synthesizer(model_path=out)
    ids = [v.get("id") for v in tts.voices()]
    assert "baker" in ids
    res = tts.synthesize("你好，世界。", speaker="baker", seed=0)
    assert res.duration_s > 0.5 and np.isfinite(res.wav).all() and np.abs(res.wav).max() > 0.05
    # committed form: trained tensors only, completed from the default voice on a fresh clone
    from index_tts.importers import student_zh

    parts = student_zh.write_parts(out, tmp_path / "parts")
    full = (out / "acoustic.safetensors").stat().st_size + (out / "vocoder_mbmelgan.safetensors").stat().st_size
    assert (parts / "parts.safetensors").stat().st_size < 0.7 * full  # no frozen tensors, vocoder in fp16
    with pytest.raises(student_zh.StudentNotReleased):  # a training checkpoint is not installed
        student_zh.build(parts, tmp_path / "built")
    assert not (tmp_path / "built").exists()
    built = student_zh.build(parts, tmp_path / "built", force=True)
    again = Synthesizer(model_path=built).synthesize("你好，世界。", speaker="baker", seed=0)
    assert len(again.wav) == len(res.wav)  # the vocoder travels in fp16: the same audio within rounding
    snr = 10 * np.log10(np.sum(res.wav ** 2) / max(np.sum((again.wav - res.wav) ** 2), 1e-20))
    assert snr > 35, snr
    # training continues from the committed multi-voice weights (speaker projection kept, not zeroed)
    cont = StudentTrainer(StudentConfig(init_from=str(built)), corpus, tmp_path / "run2")
    assert torch.allclose(cont.model.speaker_proj.weight, trained.half().float(), atol=1e-3)
    assert float(trained.abs().sum()) > 0
    cfg = json.loads((parts / "config.json").read_text(encoding="utf-8"))
    cfg["base"]["acoustic_sha256"] = "0" * 64
    (parts / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    with pytest.raises(student_zh.StudentBuildError, match="differ"):
        student_zh.build(parts, tmp_path / "built2", force=True)
