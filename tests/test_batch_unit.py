"""Batch jobs without the model: planning, subtitles, atomic files, resume, cancel (fake engine)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from index_tts.batch import BatchCancelled, make_jobs, run_batch
from index_tts.batch.subtitles import Cue, parse_srt, speech_bounds, to_srt, to_vtt
from index_tts.errors import InvalidParameterError
from index_tts.script import parse_script
from index_tts.synthesizer import SegmentInfo
from index_tts.textemotion import detect_emotion

SR = 1000  # a tiny sample rate keeps the fake audio small


class FakeSynth:
    """Speaks each sentence as 50 ms silence + 10 ms of tone per character + 100 ms pause."""

    sample_rate = SR
    vocoder_name = "fake"

    def __init__(self, voices=("baker",)):
        self.calls: list[tuple[str, dict]] = []
        self._voices = [{"id": v} for v in voices]

    def info(self):
        return {"voices": self._voices}

    def stream(self, text, warnings=None, **kw):
        self.calls.append((text, kw))
        t = 0.0
        for i, sentence in enumerate(s for s in text.replace("！", "。").split("。") if s):
            level = 0.1 + 0.01 * (kw.get("seed", 0) % 7)
            chunk = np.concatenate([np.zeros(50), np.full(10 * len(sentence), level), np.zeros(100)]).astype(np.float32)
            info = SegmentInfo(i, sentence + "。", sentence, ["sil"], t, t + len(chunk) / SR, len(sentence))
            t = info.end_s
            yield chunk, info


SCRIPT = "@seed: 3\n旁白一句。\n小明：我们赢了！\n[pause 1s]\n[小红|sad 0.4] 再见。第二句。\n"


def test_jobs_carry_every_setting_and_gaps():
    jobs, cast, tail = make_jobs(parse_script(SCRIPT), ["baker"], detect=detect_emotion)
    assert [j.character for j in jobs] == ["旁白", "小明", "小红"]
    assert [j.gap_before for j in jobs] == [0.0, 0.4, 1.0]  # line_pause, then the explicit pause
    assert (jobs[2].emotion, jobs[2].intensity, jobs[2].emotion_source) == ("sad", 0.4, "line")
    assert jobs[0].emotion is None and jobs[0].emotion_source == "none"
    assert jobs[1].pitch == cast["小明"].pitch != 1.0  # one voice: a preset tells 小明 apart
    assert tail == 0.0


def test_auto_emotion_and_header_precedence():
    jobs, _, _ = make_jobs(parse_script("@emotion: auto\n小明：我太高兴了！\n会议在三楼。\n[|calm] 好。\n"),
                           ["baker"], detect=detect_emotion)
    assert (jobs[0].emotion, jobs[0].emotion_source) == ("happy", "auto") and jobs[0].intensity > 0.6
    assert (jobs[1].emotion, jobs[1].emotion_source) == (None, "auto")  # neutral text: no emotion
    assert (jobs[2].emotion, jobs[2].emotion_source) == ("calm", "line")


def test_keys_and_seeds_are_stable_and_change_with_the_line():
    a, _, _ = make_jobs(parse_script(SCRIPT), ["baker"])
    b, _, _ = make_jobs(parse_script(SCRIPT), ["baker"])
    assert [j.key for j in a] == [j.key for j in b] and [j.seed for j in a] == [j.seed for j in b]
    c, _, _ = make_jobs(parse_script(SCRIPT.replace("我们赢了", "我们输了")), ["baker"])
    assert a[0].key == c[0].key and a[1].key != c[1].key
    d, _, _ = make_jobs(parse_script(SCRIPT), ["baker"], seed=4)
    assert all(x.key != y.key for x, y in zip(a, d))


def test_speed_and_pitch_are_clipped_to_engine_limits():
    jobs, _, _ = make_jobs(parse_script("@speed: 1.3\n@cast 小明: speed=1.3 pitch=1.2\n@pitch: 1.2\n小明：好。\n"),
                           ["baker"])
    assert (jobs[0].speed, jobs[0].pitch) == (1.3, 1.2)


def test_subtitle_formats():
    cues = [Cue(0.05, 1.2346, "你好。", 1, 1, "旁白"), Cue(3661.5, 3662.0, "再见。", 2, 2, "小明")]
    srt = to_srt(cues, narrator="旁白")
    assert srt.startswith("1\n00:00:00,050 --> 00:00:01,235\n你好。\n\n2\n")
    assert "01:01:01,500 --> 01:01:02,000\n小明：再见。" in srt
    vtt = to_vtt(cues, narrator="旁白")
    assert vtt.startswith("WEBVTT\n") and "01:01:01.500 --> 01:01:02.000" in vtt
    assert [c[2] for c in parse_srt(srt)] == ["你好。", "小明：再见。"]


def test_speech_bounds_find_the_sound():
    chunk = np.concatenate([np.zeros(240), np.full(480, 0.3), np.zeros(240)]).astype(np.float32)
    assert speech_bounds(chunk, 24000) == (240, 720)
    assert speech_bounds(np.zeros(1000, np.float32), 24000) == (0, 1000)


def test_batch_writes_everything_and_cues_match_the_audio(tmp_path):
    import soundfile as sf

    res = run_batch(SCRIPT, tmp_path, FakeSynth(), name="book", formats=["wav", "flac"])
    names = {p.name for p in tmp_path.iterdir()}
    assert {"book.wav", "book.flac", "book.srt", "book.vtt", "book.timing.json", "manifest.json", "lines"} <= names
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    rows = manifest["lines"]
    assert [(r["line"], r["character"], r["emotion"]) for r in rows] == [
        (2, "旁白", "neutral"), (3, "小明", "neutral"), (5, "小红", "sad")]
    wav, sr = sf.read(tmp_path / "book.wav")
    assert sr == SR and abs(len(wav) / sr - manifest["duration_s"]) < 1e-3
    for r in rows:  # each line's file is exactly its stretch of the joined audio
        line, _ = sf.read(tmp_path / r["file"])
        a = r["start_sample"]
        assert np.allclose(wav[a:a + len(line)], line)
    cues = parse_srt((tmp_path / "book.srt").read_text(encoding="utf-8"))
    assert len(cues) == 4  # the last line has two sentences: two cues
    # 50 ms of silence precede each fake sentence; the cue starts at the sound
    assert cues[0][0] == pytest.approx(0.05) and cues[0][1] == pytest.approx(0.05 + 0.04)  # 4 characters
    assert cues[1][0] == pytest.approx(rows[1]["start"] + 0.05)
    for start, end, _ in cues:
        a, b = round(start * sr), round(end * sr)
        assert np.abs(wav[a:b]).min() > 0.05  # inside a cue there is sound only
    assert res.rendered == 3 and res.skipped == 0


def test_resume_renders_only_missing_lines_and_gives_identical_files(tmp_path):
    whole, part = tmp_path / "whole", tmp_path / "part"
    run_batch(SCRIPT, whole, FakeSynth(), name="b")
    calls = {"n": 0}

    def stop():
        calls["n"] += 1
        return calls["n"] > 2  # stop before the third line

    fake = FakeSynth()
    with pytest.raises(BatchCancelled):
        run_batch(SCRIPT, part, fake, name="b", should_stop=stop)
    assert len(fake.calls) == 2 and not (part / "b.wav").exists()
    (part / "lines" / ".junk.wav.tmp-1").write_bytes(b"half")  # as a killed writer would leave
    again = FakeSynth()
    res = run_batch(SCRIPT, part, again, name="b")
    assert (res.rendered, res.skipped) == (1, 2) and [t for t, _ in again.calls] == ["再见。第二句。"]
    for f in ("b.wav", "b.srt", "b.vtt", "b.timing.json", "manifest.json"):
        assert (whole / f).read_bytes() == (part / f).read_bytes(), f
    assert not list(part.rglob("*.tmp-*"))


def test_a_half_written_line_is_redone(tmp_path):
    run_batch(SCRIPT, tmp_path, FakeSynth(), name="b")
    wav = next((tmp_path / "lines").glob("0002_*.wav"))
    wav.write_bytes(wav.read_bytes()[:100])  # truncated: frames no longer match its .json
    again = FakeSynth()
    assert run_batch(SCRIPT, tmp_path, again, name="b").rendered == 1


def test_edited_script_redoes_the_changed_line_and_drops_stale_files(tmp_path):
    run_batch(SCRIPT, tmp_path, FakeSynth(), name="b")
    again = FakeSynth()
    res = run_batch(SCRIPT.replace("我们赢了", "我们输了"), tmp_path, again, name="b")
    assert res.rendered == 1 and again.calls[0][0] == "我们输了！"
    assert len(list((tmp_path / "lines").glob("*.wav"))) == 3


def test_same_seed_same_audio_other_seed_other_audio(tmp_path):
    a = run_batch(SCRIPT, tmp_path / "a", FakeSynth(), name="b")
    b = run_batch(SCRIPT, tmp_path / "b", FakeSynth(), name="b", seed=11)
    assert (tmp_path / "a" / "b.wav").read_bytes() != (tmp_path / "b" / "b.wav").read_bytes()
    assert a.jobs[0].seed != b.jobs[0].seed


def test_progress_reports_eta(tmp_path):
    seen = []
    run_batch(SCRIPT, tmp_path, FakeSynth(), name="b", progress=seen.append)
    assert [p.done for p in seen] == [0, 1, 2, 3] and seen[-1].fraction == 1.0
    assert seen[0].eta_s is None and seen[-1].eta_s == 0.0 and seen[1].eta_s >= 0.0


def test_unknown_format_is_refused_before_work(tmp_path):
    fake = FakeSynth()
    with pytest.raises(InvalidParameterError, match="unknown audio format 'aac'"):
        run_batch(SCRIPT, tmp_path, fake, formats=["aac"])
    assert fake.calls == []


def test_measure_aligns_cues_with_heard_characters():
    from index_tts.batch.measure import cue_errors

    wav = np.zeros(24000 * 4, np.float32)
    wav[36000:48000] = 0.3  # speech from 1.5 s
    wav[72000:84000] = 0.3  # and from 3.0 s
    heard = [("你", 1.1), ("好", 1.3), ("再", 2.9), ("外", 3.0), ("见", 3.1)]
    errors, ref, silent = cue_errors([(1.5, 2.0, "小明：你好"), (3.0, 3.5, "再见")], heard, wav, 24000)
    assert ref == "你好再见"
    assert errors == pytest.approx([0.4, 0.1])
    assert silent == 2  # nothing but silence between Whisper's times and the cue starts


def fake_engine(model_path=None, device=None):
    """Engine factory for worker processes (ParallelSpec.engine)."""
    return FakeSynth()


def test_parallel_workers_give_the_same_files_and_resume(tmp_path):
    from index_tts.batch.parallel import ParallelSpec

    script = SCRIPT + "".join(f"第{i}句话。\n" for i in range(6))
    run_batch(script, tmp_path / "one", FakeSynth(), name="b")
    spec = ParallelSpec(2, engine="test_batch_unit:fake_engine")
    seen = []
    res = run_batch(script, tmp_path / "two", FakeSynth(), name="b", parallel=spec, progress=seen.append)
    assert res.rendered == 9 and sorted(p.done for p in seen) == list(range(10))
    for f in ("b.wav", "b.srt", "b.vtt", "b.timing.json", "manifest.json"):
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes(), f
    next((tmp_path / "two" / "lines").glob("0005_*.json")).unlink()
    assert run_batch(script, tmp_path / "two", FakeSynth(), name="b", parallel=spec).rendered == 1


def test_job_round_trips_through_json_for_task_queues(tmp_path):
    jobs, _, _ = make_jobs(parse_script("小红：我……[pause 0.8s]不知道。\n"), ["baker"])
    from index_tts.batch import Job

    again = Job.from_dict(json.loads(json.dumps(jobs[0].to_dict())))
    assert again == jobs[0] and again.parts == ("我……", 0.8, "不知道。")
    from index_tts.batch.runner import store_line

    meta = store_line(FakeSynth(), again, tmp_path)  # what a queue worker runs
    assert (tmp_path / f"{again.stem}.wav").is_file() and meta["key"] == again.key


def test_subtitles_for_one_synthesis_in_three_formats():
    from types import SimpleNamespace

    from index_tts.batch.subtitles import subtitles_for_result

    wav = np.zeros(3 * SR, np.float32)
    wav[200:900] = 0.3      # sentence 1 sounds from 0.2 s to 0.9 s inside chunk 0-1.2 s
    wav[1500:2600] = 0.3    # sentence 2 from 1.5 s to 2.6 s inside chunk 1.2-3.0 s
    segs = [SegmentInfo(0, "第一句。", "第一句", ["sil"], 0.0, 1.2, 3), SegmentInfo(1, "第二句还[huan2]书。", "第二句还书", ["sil"], 1.2, 3.0, 5)]
    res = SimpleNamespace(wav=wav, sample_rate=SR, segments=segs)
    srt = subtitles_for_result(res, "srt")
    assert parse_srt(srt) == [(0.2, 0.9, "第一句。"), (1.5, 2.6, "第二句还书。")]
    assert subtitles_for_result(res, "vtt").startswith("WEBVTT")
    assert json.loads(subtitles_for_result(res, "json"))[1] == {"start": 1.5, "end": 2.6, "text": "第二句还书。"}
    with pytest.raises(ValueError, match="unknown subtitle format"):
        subtitles_for_result(res, "ass")
