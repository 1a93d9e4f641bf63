"""Batch production: a script (or a folder of them) -> per-line audio, the joined book,
SRT/WebVTT subtitles, segment timing and a manifest; resumable and repeatable.

    python -m index_tts batch story.txt --out out/story
    from index_tts.batch import run_batch
    run_batch(open("story.txt", encoding="utf-8").read(), "out/story", tts, name="story")
"""
from .plan import Job, make_jobs
from .runner import BatchCancelled, BatchResult, ProgressInfo, run_batch

__all__ = ["BatchCancelled", "BatchResult", "Job", "ProgressInfo", "make_jobs", "run_batch"]
