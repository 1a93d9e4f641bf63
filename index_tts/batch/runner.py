"""Render a script into a folder: per-line audio, the joined book, subtitles and a manifest.

    out/
      lines/0001_<key>.wav, 0001_<key>.json   one per spoken line (+ its segment timing)
      <name>.wav (.flac/.ogg/.mp3)            the whole script joined, with its pauses
      <name>.srt, <name>.vtt                  sentence-level cues
      <name>.timing.json                      every segment: line, text, phones, frames, times, word times
      manifest.json                           line, character, voice, emotion, file, start/end

Resumable: a line counts as done when its .wav and then its .json (written last) are both
there and agree; a restarted batch renders only the lines that are not done. Every file is
written to a temporary name in the same folder and moved into place with ``os.replace``,
so a killed batch never leaves a half-written file under a final name (left-over temporary
files are removed on the next start). No wall-clock values go into the outputs: the same
script, engine and seed give byte-identical files.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Optional

import numpy as np

from ..errors import InvalidParameterError
from ..script import Script, describe_cast, parse_script
from .plan import Job, make_jobs
from .subtitles import Cue, clean_text, speech_bounds, to_srt, to_vtt

if TYPE_CHECKING:
    from .parallel import LinePool, ParallelSpec

log = logging.getLogger(__name__)

AUDIO_FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"),
                 "mp3": ("MP3", "MPEG_LAYER_III")}
_LINE_FILE = re.compile(r"^\d{4}_[0-9a-f]{12}\.(wav|json)$")
_TMP_MARK = ".tmp-"
Progress = Callable[["ProgressInfo"], None]


class BatchCancelled(Exception):
    """Raised between two lines when ``should_stop()`` says so; finished lines are kept."""


@dataclass
class ProgressInfo:
    done: int                 # lines finished (rendered now or found done)
    total: int
    job: Optional[Job]        # the line just finished (None before the first)
    skipped: int              # lines found done from an earlier run
    elapsed_s: float
    eta_s: Optional[float]    # None until a line has been rendered in this run

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass
class BatchResult:
    out_dir: Path
    name: str
    jobs: list[Job]
    rendered: int
    skipped: int
    audio_s: float            # the whole script
    render_s: float           # synthesis time of the lines rendered in this run (summed over workers)
    rendered_audio_s: float   # audio length of those lines
    files: dict[str, str] = field(default_factory=dict)
    cast: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_formats(formats: Iterable[str]) -> list[str]:
    import soundfile as sf

    have = sf.available_formats()
    out = []
    for f in formats:
        f = f.strip().lower()
        if f not in AUDIO_FORMATS:
            raise InvalidParameterError(f"unknown audio format {f!r}; choose from {', '.join(AUDIO_FORMATS)}")
        if AUDIO_FORMATS[f][0] not in have:
            raise InvalidParameterError(f"this soundfile/libsndfile build cannot write {f}")
        out.append(f)
    return out if "wav" in out else ["wav"] + out


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}{_TMP_MARK}{os.getpid()}")


def write_bytes_atomic(path: Path, data: bytes) -> None:
    tmp = _tmp(path)
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_audio_atomic(path: Path, wav: np.ndarray, sample_rate: int, fmt: str = "wav") -> None:
    import soundfile as sf

    major, subtype = AUDIO_FORMATS[fmt]
    tmp = _tmp(path)
    sf.write(str(tmp), wav, sample_rate, format=major, subtype=subtype)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def remove_stale_temp(folder: Path) -> int:
    n = 0
    for p in list(folder.glob(f".*{_TMP_MARK}*")):
        p.unlink(missing_ok=True)
        n += 1
    return n


def render_line(synth: Any, job: Job) -> tuple[np.ndarray, list[dict], list[str]]:
    """Audio of one line (its parts and inline pauses) and the timing of each segment.

    Times are kept in whole samples: a segment's chunk starts at ``SegmentInfo.start_s``
    (the synthesizer's running total of its chunks) after the start of its part; the speech
    inside the chunk is where the samples rise above the silence level (``speech_bounds``).
    """
    sr = synth.sample_rate
    chunks: list[np.ndarray] = []
    segments: list[dict] = []
    warnings: list[str] = []
    offset = 0  # samples
    for part in job.parts:
        if isinstance(part, float):
            chunks.append(np.zeros(int(round(part * sr)), np.float32))
            offset += len(chunks[-1])
            continue
        part_len = 0
        for chunk, info in synth.stream(part, warnings=warnings, **job.synth_kwargs()):
            begin = offset + int(round(info.start_s * sr))
            a, b = speech_bounds(chunk, sr)
            words = None if getattr(info, "words", None) is None else [
                [w.text, offset + int(round(w.start_s * sr)), offset + int(round(w.end_s * sr))] for w in info.words]
            segments.append({"text": clean_text(info.text), "normalized": info.normalized,
                             "phones": list(info.phones), "frames": int(info.frames),
                             "chunk": [begin, begin + len(chunk)], "speech": [begin + a, begin + b],
                             "words": words})
            chunks.append(np.asarray(chunk, np.float32))
            part_len += len(chunk)
        offset += part_len
    wav = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return wav, segments, warnings


def store_line(synth: Any, job: Job, lines_dir: Path) -> dict:
    """Render one line and write its .wav, then its .json (the "done" mark), both atomically."""
    sr = synth.sample_rate
    wav, segments, warnings = render_line(synth, job)
    meta = {"key": job.key, "index": job.index, "line": job.lineno, "samples": int(len(wav)),
            "sample_rate": sr, "segments": segments, "warnings": warnings}
    write_audio_atomic(lines_dir / f"{job.stem}.wav", wav, sr)
    write_bytes_atomic(lines_dir / f"{job.stem}.json", _json_bytes(meta))
    return meta


def _render_sequential(synth: Any, todo: list[Job], lines_dir: Path,
                       should_stop: Optional[Callable[[], bool]]) -> Iterator[tuple[Job, dict, float]]:
    for job in todo:
        if should_stop is not None and should_stop():
            return
        t = time.perf_counter()
        meta = store_line(synth, job, lines_dir)
        yield job, meta, time.perf_counter() - t


def _line_done(lines_dir: Path, job: Job) -> Optional[dict]:
    meta_path, wav_path = lines_dir / f"{job.stem}.json", lines_dir / f"{job.stem}.wav"
    if not (meta_path.is_file() and wav_path.is_file()):
        return None
    try:
        import soundfile as sf

        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("key") != job.key or sf.info(str(wav_path)).frames != meta.get("samples"):
            return None
        return meta
    except (OSError, ValueError, RuntimeError):
        return None


def _engine_id(synth: Any) -> str:
    bundle = getattr(getattr(synth, "bundle_dir", None), "name", "") or type(synth).__name__
    return f"{bundle}/{getattr(synth, 'vocoder_name', '')}"


def plan_script(script: Script, synth: Any, seed: Optional[int] = None):
    from ..textemotion import detect_emotion

    voices = synth.info()["voices"]
    return make_jobs(script, voices, engine=_engine_id(synth), detect=detect_emotion, seed=seed)


def run_batch(script: Script | str, out_dir: str | Path, synth: Any, *, name: Optional[str] = None,
              formats: Iterable[str] = ("wav",), seed: Optional[int] = None, progress: Optional[Progress] = None,
              should_stop: Optional[Callable[[], bool]] = None,
              parallel: Optional["ParallelSpec | LinePool"] = None) -> BatchResult:
    """Render ``script`` (a parsed ``Script`` or its text) into ``out_dir``; see the module doc.

    ``parallel`` (workers > 1) renders the missing lines in that many processes, each with its
    own engine (index_tts/batch/parallel.py); ``synth`` is then used only for planning. A running
    ``LinePool`` renders every missing line (``pool.engine()`` can then stand in for ``synth``)."""
    if isinstance(script, str):
        script = parse_script(script, source=name or "<script>")
    formats = check_formats(formats)
    out = Path(out_dir)
    lines_dir = out / "lines"
    lines_dir.mkdir(parents=True, exist_ok=True)
    removed = remove_stale_temp(out) + remove_stale_temp(lines_dir)
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted run", removed)
    name = name or (Path(script.source).stem if script.source and not script.source.startswith("<") else "script")
    jobs, cast, tail = plan_script(script, synth, seed)
    sr = synth.sample_rate
    t0 = time.perf_counter()
    metas: dict[int, dict] = {}
    todo = []
    for job in jobs:
        meta = _line_done(lines_dir, job)
        if meta is None:
            todo.append(job)
        else:
            metas[job.index] = meta
    skipped = len(jobs) - len(todo)
    if skipped:
        log.info("%d of %d lines already done; rendering %d", skipped, len(jobs), len(todo))
    if progress:
        progress(ProgressInfo(skipped, len(jobs), None, skipped, 0.0, None))
    chars_left = sum(len(j.text) for j in todo)
    chars_done, render_s, rendered_samples = 0, 0.0, 0
    all_warnings: list[str] = []
    t_render = time.perf_counter()
    from .parallel import LinePool

    if todo and (isinstance(parallel, LinePool) or (parallel is not None and parallel.workers > 1 and len(todo) > 1)):
        from .parallel import render_parallel

        results = render_parallel(todo, lines_dir, parallel, should_stop)
    else:
        results = _render_sequential(synth, todo, lines_dir, should_stop)
    for n, (job, meta, seconds) in enumerate(results, start=1):
        metas[job.index] = meta
        all_warnings += [f"line {job.lineno}: {w}" for w in meta["warnings"]]
        render_s += seconds
        rendered_samples += meta["samples"]
        chars_done += len(job.text)
        chars_left -= len(job.text)
        if progress:
            eta = (time.perf_counter() - t_render) / max(chars_done, 1) * chars_left
            progress(ProgressInfo(skipped + n, len(jobs), job, skipped, time.perf_counter() - t0, eta))
    if len(metas) < len(jobs):  # a stop request ended the rendering early
        raise BatchCancelled(f"stopped after {len(metas)} of {len(jobs)} lines")
    files = assemble(out, name, jobs, metas, sr, tail, formats, script, cast)
    _remove_stale_lines(lines_dir, jobs)
    audio_s = sum(m["samples"] for m in metas.values()) / sr
    return BatchResult(out, name, jobs, len(todo), skipped, audio_s, render_s, rendered_samples / sr, files,
                       describe_cast(cast), all_warnings)


def _remove_stale_lines(lines_dir: Path, jobs: list[Job]) -> None:
    keep = {f"{j.stem}.wav" for j in jobs} | {f"{j.stem}.json" for j in jobs}
    for p in lines_dir.iterdir():
        if _LINE_FILE.match(p.name) and p.name not in keep:
            p.unlink()


def assemble(out: Path, name: str, jobs: list[Job], metas: dict[int, dict], sr: int, tail: float,
             formats: list[str], script: Script, cast: dict) -> dict[str, str]:
    """Join the line files, write subtitles, timing and the manifest (all atomically)."""
    import soundfile as sf

    pieces: list[np.ndarray] = []
    cues: list[Cue] = []
    rows: list[dict] = []
    timing: list[dict] = []
    cursor = 0  # samples
    for job in jobs:
        gap = int(round(job.gap_before * sr))
        pieces.append(np.zeros(gap, np.float32))
        cursor += gap
        wav, _ = sf.read(str(out / "lines" / f"{job.stem}.wav"), dtype="float32")
        start = cursor / sr
        pieces.append(wav)
        cursor += len(wav)
        meta = metas[job.index]
        line_start = cursor - len(wav)
        for seg in meta["segments"]:
            a, b = seg["speech"]
            cue = Cue(round((line_start + a) / sr, 3), round((line_start + b) / sr, 3), seg["text"],
                      job.lineno, job.index, job.character)
            cues.append(cue)
            words = seg.get("words")  # [text, first sample, end sample] in the line, from the model's durations
            if words is not None:
                words = [{"text": w, "start": round((line_start + a) / sr, 3), "end": round((line_start + b) / sr, 3)}
                         for w, a, b in words]
            timing.append({**cue.to_dict(), "normalized": seg["normalized"], "phones": seg["phones"],
                           "frames": seg["frames"], "words": words})
        rows.append({"index": job.index, "line": job.lineno, "character": job.character, "voice": job.voice,
                     "emotion": job.emotion or "neutral", "emotion_source": job.emotion_source,
                     "intensity": job.intensity, "speed": job.speed, "pitch": job.pitch, "text": job.text,
                     "chapter": job.chapter, "file": f"lines/{job.stem}.wav",
                     "start": round(start, 3), "end": round(cursor / sr, 3),
                     "start_sample": line_start, "end_sample": cursor, "seed": job.seed})
    pieces.append(np.zeros(int(round(tail * sr)), np.float32))
    joined = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    files: dict[str, str] = {}
    for fmt in formats:
        write_audio_atomic(out / f"{name}.{fmt}", joined, sr, fmt)
        files[fmt] = f"{name}.{fmt}"
    narrator = script.settings.narrator
    write_bytes_atomic(out / f"{name}.srt", to_srt(cues, narrator).encode("utf-8"))
    write_bytes_atomic(out / f"{name}.vtt", to_vtt(cues, narrator).encode("utf-8"))
    write_bytes_atomic(out / f"{name}.timing.json", _json_bytes({
        "sample_rate": sr, "cues": timing,
        "words_note": "words: lexical words timed from the acoustic model's phone durations (seconds in the "
                      "joined file; the Kokoro presets' from their graph's phoneme durations); null where "
                      "none could be matched"}))
    files.update(srt=f"{name}.srt", vtt=f"{name}.vtt", timing=f"{name}.timing.json", manifest="manifest.json")
    chapters = [{"title": r["chapter"], "start": r["start"]} for i, r in enumerate(rows)
                if r["chapter"] and (i == 0 or rows[i - 1]["chapter"] != r["chapter"])]
    manifest = {"script": script.source, "title": script.settings.title, "sample_rate": sr,
                "duration_s": round(len(joined) / sr, 3), "files": files, "chapters": chapters,
                "cast": {k: {"voice": v.voice, "pitch": v.pitch, "speed": v.speed, "source": v.source}
                         for k, v in cast.items()},
                "lines": rows}
    write_bytes_atomic(out / "manifest.json", _json_bytes(manifest))
    return files
