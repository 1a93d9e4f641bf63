"""Batch jobs on the real default voice: a short script end to end, interrupted and resumed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from index_tts.batch import BatchCancelled, run_batch
from index_tts.batch.subtitles import parse_srt

SCRIPT = """@voice: baker
@cast 小明: voice=baker
@seed: 7
夜深了，街上很安静。
小明：我们赢了！
[pause 0.5s]
[旁白|sad 0.5] 他慢慢地走回了家。
"""


@pytest.fixture(scope="module")
def whole(synth, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch_whole")
    res = run_batch(SCRIPT, out, synth, name="story")
    return out, res


def test_outputs_and_manifest(whole):
    import soundfile as sf

    out, res = whole
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = manifest["lines"]
    assert [(r["line"], r["character"], r["voice"]) for r in rows] == [
        (4, "旁白", "baker"), (5, "小明", "baker"), (7, "旁白", "baker")]
    assert rows[1]["emotion"] == "neutral" and rows[2]["emotion"] == "sad"
    assert rows[1]["pitch"] != 1.0  # 小明 shares the voice: a different preset
    wav, sr = sf.read(out / "story.wav", dtype="float32")
    assert sr == 24000 and manifest["duration_s"] == pytest.approx(len(wav) / sr, abs=1e-3)
    for r in rows:
        line, _ = sf.read(out / r["file"], dtype="float32")
        assert np.abs(line).max() > 0.1  # real speech
        a = r["start_sample"]
        assert np.array_equal(wav[a:a + len(line)], line)
    gap = wav[rows[1]["end_sample"]:rows[2]["start_sample"]]
    assert len(gap) == round(0.5 * sr) and not gap.any()  # the [pause 0.5s]


def test_subtitles_follow_the_lines(whole):
    out, _ = whole
    rows = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["lines"]
    cues = parse_srt((out / "story.srt").read_text(encoding="utf-8"))
    assert [c[2] for c in cues] == ["夜深了，街上很安静。", "小明：我们赢了！", "他慢慢地走回了家。"]
    for (start, end, _), r in zip(cues, rows):
        assert r["start"] <= start < end <= r["end"]
        assert start - r["start"] < 0.5  # speech begins soon after the line does
    vtt = (out / "story.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and vtt.count(" --> ") == len(cues)
    timing = json.loads((out / "story.timing.json").read_text(encoding="utf-8"))
    assert all(c["frames"] > 0 and c["phones"][0] == "sil" for c in timing["cues"])
    for c in timing["cues"]:  # word times from the model's durations agree with the cue's own speech bounds
        words = c["words"]
        assert words and "".join(w["text"] for w in words) == c["normalized"].replace("，", "")
        assert [w["start"] for w in words] == sorted(w["start"] for w in words)
        assert abs(words[0]["start"] - c["start"]) < 0.15 and abs(words[-1]["end"] - c["end"]) < 0.25


def test_interrupted_batch_resumes_to_identical_files(whole, synth, tmp_path):
    ref, _ = whole
    asked = {"n": 0}

    def stop_after_first():
        asked["n"] += 1
        return asked["n"] > 1

    with pytest.raises(BatchCancelled):
        run_batch(SCRIPT, tmp_path, synth, name="story", should_stop=stop_after_first)
    assert len(list((tmp_path / "lines").glob("*.json"))) == 1
    res = run_batch(SCRIPT, tmp_path, synth, name="story")
    assert (res.rendered, res.skipped) == (2, 1)
    for f in ("story.wav", "story.srt", "story.vtt", "story.timing.json", "manifest.json"):
        assert (ref / f).read_bytes() == (tmp_path / f).read_bytes(), f
    assert not list(tmp_path.rglob("*.tmp-*"))


@pytest.mark.slow
def test_cli_killed_with_sigkill_and_restarted(tmp_path, synth):
    """The CLI in a subprocess, SIGKILLed after its first line; the rerun redoes only the rest
    and equals an uninterrupted CLI run (another process) byte for byte."""
    script = tmp_path / "story.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "index_tts", "batch", str(script), "--threads", "1", "--out"]
    subprocess.run(cmd + [str(tmp_path / "ref")], check=True, env=env, capture_output=True)
    out = tmp_path / "killed"
    proc = subprocess.Popen(cmd + [str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((out / "lines").glob("*.json")) if out.exists() else True:
        assert time.monotonic() < deadline and proc.poll() is None, "no line finished before the deadline"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "story.wav").exists()
    done = subprocess.run(cmd + [str(out)], check=True, env=env, capture_output=True, text=True)
    assert "already done (resuming)" in done.stderr
    for f in ("story.wav", "story.srt", "story.vtt", "manifest.json"):
        assert (tmp_path / "ref" / f).read_bytes() == (out / f).read_bytes(), f
    assert not list(out.rglob("*.tmp-*"))


@pytest.mark.slow
def test_cli_two_workers_equal_one_worker(tmp_path, synth):
    script = tmp_path / "story.txt"
    script.write_text(SCRIPT + "第二天早上，阳光照进了小屋。\n小明：我有一个好消息！\n", encoding="utf-8")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    base = [sys.executable, "-m", "index_tts", "batch", str(script), "--threads", "1", "--out"]
    subprocess.run(base + [str(tmp_path / "one")], check=True, env=env, capture_output=True)
    subprocess.run(base + [str(tmp_path / "two"), "--workers", "2"], check=True, env=env, capture_output=True)
    for f in ("story.wav", "story.srt", "story.vtt", "manifest.json"):
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes(), f


def test_cues_for_a_single_synthesis(synth):
    from index_tts.batch.subtitles import cues_from_result, to_srt

    res = synth.synthesize("第一句话。第二句话比较长一点。", seed=1)
    cues = cues_from_result(res)
    assert [c.text for c in cues] == ["第一句话。", "第二句话比较长一点。"]
    sr = res.sample_rate
    for c, seg in zip(cues, res.segments):
        assert seg.start_s <= c.start < c.end <= seg.end_s + 1e-3
        assert abs(res.wav[int(c.start * sr):int(c.end * sr)]).max() > 0.1
    assert to_srt(cues).count(" --> ") == 2
