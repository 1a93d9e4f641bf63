"""Student voices behind the Synthesizer: listed, routed to the student's model, cloning from a clip."""
from __future__ import annotations

import json

import numpy as np
import pytest


@pytest.fixture(scope="module")
def hub_with_student(tmp_path_factory):
    """A hub holding the default voice and a small student made from it (2 steps, 2 voices)."""
    import torch

    from index_tts import hub
    from index_tts.train import teacher_corpus as tc
    from index_tts.train.student import StudentConfig, StudentTrainer

    root = tmp_path_factory.mktemp("hub")
    base = hub.hub_dir() / "baker-zh"
    if not (base / "config.json").is_file():
        pytest.skip("default voice not built")
    (root / "baker-zh").symlink_to(base)
    sent = root / "s.txt"
    sent.write_text("今天天气很好。\n我们一起去公园散步吧。\n这本书一共有三百页。\n晚上早点休息。\n", encoding="utf-8")
    corpus = root / "corpus"
    mp = pytest.MonkeyPatch()
    mp.setenv(hub.HUB_ENV, str(root))
    assert tc.main(["--sentences", str(sent), "--out", str(corpus), "--voices", "baker", "--per-sentence", "1",
                    "--no-asr"]) == 0
    # a second "voice": the same clips under another name with a shifted embedding
    rows = [json.loads(x) for x in (corpus / "index.jsonl").read_text(encoding="utf-8").splitlines()]
    with (corpus / "index.jsonl").open("a", encoding="utf-8") as fh:
        for r in rows:
            z = dict(np.load(corpus / r["path"]))
            z["spk_emb"] = np.roll(z["spk_emb"], 7)
            path = f"feats/other/{r['uid']}.npz"
            tc.save_features(corpus / path, **z)
            fh.write(json.dumps({**r, "uid": "o" + r["uid"], "voice": "zm_yunxi", "path": path}) + "\n")
    torch.manual_seed(0)
    trainer = StudentTrainer(StudentConfig(batch_frames=8000, warmup_steps=1, lr=3e-4), corpus, root / "run")
    for _ in range(2):
        trainer.train_step(list(range(len(trainer.train_clips))))
    trainer.export(root / "student-zh")
    yield root
    mp.undo()


def test_student_voices_are_listed_and_speak(hub_with_student, monkeypatch):
    from index_tts import hub
    from index_tts.synthesizer import Synthesizer

    monkeypatch.setenv(hub.HUB_ENV, str(hub_with_student))
    tts = Synthesizer(device="cpu")
    voices = {v["id"]: v for v in tts.voices()}
    assert {"baker", "yunxi", "clone"} <= set(voices)
    assert voices["yunxi"]["display_name"].endswith("（学生）")
    default = tts.synthesize("你好，世界。", seed=0).wav
    student = tts.synthesize("你好，世界。", speaker="yunxi", seed=0).wav
    again = tts.synthesize("你好，世界。", speaker="yunxi", seed=0).wav
    assert np.array_equal(student, again)
    assert student.shape != default.shape or not np.allclose(student, default), "the student model was not used"
    # pitch and speed act on student voices
    slow = tts.synthesize("你好，世界。", speaker="yunxi", seed=0, speed=0.8).wav
    assert len(slow) > len(student) * 1.1


def test_clone_needs_a_reference_and_uses_it(hub_with_student, monkeypatch):
    from index_tts import hub
    from index_tts.errors import InvalidParameterError
    from index_tts.synthesizer import Synthesizer

    monkeypatch.setenv(hub.HUB_ENV, str(hub_with_student))
    tts = Synthesizer(device="cpu")
    with pytest.raises(InvalidParameterError, match="reference"):
        tts.synthesize("你好。", speaker="clone")
    ref = tts.synthesize("春天来了，河边的柳树都发芽了，到处都是绿色。", seed=1)
    a = tts.synthesize("你好，世界。", speaker="clone", seed=0, reference_audio=(ref.wav, ref.sample_rate),
                       reference_strength=0.0)
    assert a.duration_s > 0.4 and np.isfinite(a.wav).all()
    from index_tts.encoders.speaker import SpeakerEncoder

    emb = SpeakerEncoder().embed(ref.wav, ref.sample_rate)
    nearest, score = tts.student_voices.nearest(emb)
    assert nearest in ("baker", "yunxi") and -1.0 <= score <= 1.0


def test_a_breathy_clip_is_cloned_without_its_intonation(hub_with_student, monkeypatch):
    """A voice the pitch analyser cannot follow (a real speaker re-synthesised breathy: aperiodicity
    floor 0.4) still passes the speaker check: the clone speaks, with a warning that the clip's
    intonation is not imitated. As a style reference for a preset the same clip is still refused."""
    pyworld = pytest.importorskip("pyworld")
    from pathlib import Path

    import soundfile as sf

    from index_tts import hub
    from index_tts.encoders.speaker import check_reference
    from index_tts.errors import ReferenceAudioError
    from index_tts.synthesizer import Synthesizer

    wav, sr = sf.read(Path(__file__).parent / "data" / "tiny_tts" / "wavs" / "kokoro_jm_kumo_00003.flac",
                      dtype="float64")
    f0, sp, ap = pyworld.wav2world(wav, sr)
    breathy = pyworld.synthesize(f0, sp, np.maximum(ap, 0.4), sr).astype(np.float32)
    check_reference(breathy, sr)  # a voice, by the speaker encoder's check
    monkeypatch.setenv(hub.HUB_ENV, str(hub_with_student))
    tts = Synthesizer(device="cpu")
    res = tts.synthesize("你好，世界。", speaker="clone", seed=0, reference_audio=(breathy, sr))
    assert res.duration_s > 0.4 and np.isfinite(res.wav).all() and np.abs(res.wav).max() > 0.05
    assert any("intonation is not imitated" in w for w in res.warnings), res.warnings
    with pytest.raises(ReferenceAudioError, match="no voiced speech"):
        tts.synthesize("你好，世界。", speaker="yunxi", seed=0, reference_audio=(breathy, sr))


def test_a_telephone_clip_does_not_muffle_the_clone(hub_with_student, monkeypatch):
    """An 8 kHz copy of a clip (nothing above 4 kHz) clones with the model's own top band: the
    clone's 4.5-7.5 kHz energy (relative to 0.3-3 kHz) stays within 12 dB of the full-band clip's
    clone's (measured: -18.4 vs -21.5 dB; copying the clip's empty top bands gave -37.5)."""
    import librosa

    from index_tts import hub
    from index_tts.synthesizer import Synthesizer

    monkeypatch.setenv(hub.HUB_ENV, str(hub_with_student))
    tts = Synthesizer(device="cpu")
    ref = tts.synthesize("春天来了，河边的柳树都发芽了，到处都是绿色，孩子们在草地上放风筝。", seed=1)
    phone = librosa.resample(librosa.resample(ref.wav, orig_sr=ref.sample_rate, target_sr=8000),
                             orig_sr=8000, target_sr=ref.sample_rate)

    def top_db(clip):
        wav = tts.synthesize("今天的会议改到下午三点。", speaker="clone", seed=0, reference_audio=(clip, ref.sample_rate)).wav
        spec = np.abs(librosa.stft(wav, n_fft=1024)) ** 2
        freqs = librosa.fft_frequencies(sr=tts.sample_rate, n_fft=1024)
        return 10 * np.log10(spec[(freqs > 4500) & (freqs < 7500)].mean() / spec[(freqs > 300) & (freqs < 3000)].mean())

    full_db, phone_db = top_db(ref.wav), top_db(phone)
    assert phone_db > full_db - 12.0, (full_db, phone_db)


def test_named_voices_are_listed_before_the_training_blends(tmp_path, monkeypatch):
    import json

    from index_tts import hub
    from index_tts.audio.mel_config import MelConfig
    from index_tts.engines.student import StudentVoices

    mel, symbols = MelConfig(), ["sil", "a1", "eos"]
    folder = tmp_path / "student-zh"
    folder.mkdir()
    speakers = {"mix_1": {"display_name": "混合音色1（学生）"}, "yunxi": {"display_name": "男声·云希（学生）"},
                "mix_2": {}, "xiaoyi": {}}
    (folder / "config.json").write_text(json.dumps({"mel": mel.to_dict(), "symbols": symbols,
                                                    "speakers": speakers}), encoding="utf-8")
    monkeypatch.setenv(hub.HUB_ENV, str(tmp_path))
    ids = [d["id"] for d in StudentVoices(mel, symbols).describe()]
    assert ids == ["yunxi", "xiaoyi", "mix_1", "mix_2", "clone"]
