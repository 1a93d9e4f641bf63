"""Streaming audio over HTTP: each segment leaves as soon as it is vocoded.

The engine thread runs ``Synthesizer.stream`` and appends every segment, as 16-bit PCM, to a
private scratch file; after each piece (a segment, or the first half second of the first one) it
tells the event loop how many bytes are ready.
The response reads those bytes from the file and sends them as one HTTP chunk (chunked
transfer), so a slow client never makes the engine wait and never makes the server hold
the whole text's audio in memory.

Wire formats
  ``pcm``  raw s16le, 24 kHz mono (OpenAI's ``pcm``)
  ``wav``  a 44-byte RIFF header whose RIFF and ``data`` sizes are 0xFFFFFFFF (the usual
           "length unknown" convention of streamed wav; players read to the end of the
           stream), then the same PCM
  ``sse``  ``text/event-stream`` with OpenAI's events: ``speech.audio.delta`` (``audio`` =
           base64 of the next bytes of the chosen format) and ``speech.audio.done``; an
           ``error`` event when the synthesis fails after the stream has started

The response starts only once the first segment is ready: bad input the engine rejects
still gets a JSON 4xx.  A client that disconnects sets the job's cancel flag; the engine
stops at the next segment boundary.  The streamed PCM is the same, sample for sample, as
the whole-file answer for the same request and seed.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.responses import Response

from .audiofile import remove_file
from .errors import JobCancelled, describe, safe_text

log = logging.getLogger(__name__)

STREAM_FORMATS = ("wav", "pcm")
UNKNOWN_SIZE = 0xFFFFFFFF
#: Bytes per body message while catching up (keeps each send small and the loop responsive).
SEND_BYTES = 64 * 1024


def wav_stream_header(sample_rate: int, channels: int = 1, bits: int = 16) -> bytes:
    """A canonical 44-byte PCM wav header with RIFF and data sizes 0xFFFFFFFF (length unknown)."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, sample_rate, sample_rate * block, block, bits)
    return (b"RIFF" + struct.pack("<I", UNKNOWN_SIZE) + b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"data" + struct.pack("<I", UNKNOWN_SIZE))


@dataclass
class StreamSummary:
    """What the engine reports once a streamed synthesis is complete."""

    samples: int = 0
    segments: int = 0
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


class SegmentFeed:
    """Engine thread -> event loop: "n bytes of PCM are ready in the file" after each piece."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue = asyncio.Queue()
        self.warnings: list[str] = []

    def put(self, item: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            pass


def stream_to_file(synth: Any, text: str, path: Path, feed: SegmentFeed, stop: threading.Event,
                   **kwargs: Any) -> StreamSummary:
    """Engine-thread job: synthesize ``text`` segment by segment into ``path`` (raw s16le)."""
    from .engine import to_int16

    if stop.is_set():
        raise JobCancelled("cancelled before it started")
    t0 = time.perf_counter()
    summary = StreamSummary(timings={"frontend_s": 0.0, "acoustic_s": 0.0, "vocoder_s": 0.0})
    size = 0
    with open(path, "wb") as f:
        # pieces=True: the first segment's first half second leaves before the rest is vocoded
        gen = synth.stream(text, warnings=summary.warnings, stats=summary.timings, pieces=True, **kwargs)
        try:
            for chunk, info in gen:
                pcm = to_int16(chunk).tobytes()
                f.write(pcm)
                f.flush()
                size += len(pcm)
                summary.samples += len(pcm) // 2
                if "first_audio_s" not in summary.timings:
                    summary.timings["first_audio_s"] = time.perf_counter() - t0
                    feed.warnings = list(summary.warnings)
                feed.put(size)
                if info is None:  # more of this segment follows
                    continue
                summary.segments += 1
                if stop.is_set():
                    raise JobCancelled("the client went away; stopped at a segment boundary")
        finally:
            gen.close()
    summary.timings["total_s"] = time.perf_counter() - t0
    return summary


class AudioStream:
    """One streamed answer: started by :func:`start`, sent by :class:`StreamResponse`."""

    def __init__(self, job: Any, feed: SegmentFeed, path: Path, fmt: str, sse: bool, sample_rate: int,
                 text_chars: int) -> None:
        self.job, self.feed, self.path = job, feed, path
        self.fmt, self.sse, self.sample_rate, self.text_chars = fmt, sse, sample_rate, text_chars
        self.ready = 0  # bytes of PCM the engine has written so far
        self.finished = False

    async def first_segment(self, receive) -> None:
        """Wait until the first segment is in the file; raise the engine's error otherwise."""
        from .api import _wait_disconnect  # one definition of "the client went away"

        fut = asyncio.wrap_future(self.job.future)
        getter = asyncio.ensure_future(self.feed.queue.get())
        watcher = asyncio.ensure_future(_wait_disconnect(receive))
        try:
            done, _ = await asyncio.wait({getter, fut, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                self.ready = getter.result()
                return
            if fut in done:  # finished or failed before any audio: nothing was yielded
                fut.result()
                raise RuntimeError("the engine produced no audio")
            self.job.cancel.set()
            raise JobCancelled("the client disconnected")
        except BaseException:
            self.job.cancel.set()
            remove_file(self.path)
            raise
        finally:
            for t in (getter, watcher):
                t.cancel()

    def headers(self) -> dict[str, str]:
        h = {"X-Sample-Rate": str(self.sample_rate), "Cache-Control": "no-store", "X-Accel-Buffering": "no",
             "X-Streamed": "true"}
        if self.feed.warnings:
            h["X-Warnings"] = json.dumps([str(w)[:300] for w in self.feed.warnings[:20]], ensure_ascii=True)
        return h

    def media_type(self) -> str:
        if self.sse:
            return "text/event-stream"
        if self.fmt == "pcm":
            return f"audio/L16;rate={self.sample_rate};channels=1"
        return "audio/wav"


class StreamResponse(Response):
    """An ASGI response: audio bytes as they are written, cancellation on disconnect.

    (A starlette ``Response`` only so that FastAPI hands it through unchanged.)"""

    def __init__(self, stream: AudioStream, extra_headers: dict[str, str] | None = None) -> None:
        super().__init__(media_type=stream.media_type())
        self.stream = stream
        self.extra = dict(extra_headers or {})

    async def __call__(self, scope, receive, send) -> None:
        from .api import _wait_disconnect

        s = self.stream
        headers = {**s.headers(), **self.extra, "content-type": s.media_type()}
        watcher = asyncio.ensure_future(_wait_disconnect(receive))
        fut = asyncio.wrap_future(s.job.future)
        sent = 0
        try:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]})
            prefix = wav_stream_header(s.sample_rate) if s.fmt == "wav" else b""
            with open(s.path, "rb") as f:
                while True:
                    while sent < s.ready:  # send what is in the file
                        data = prefix + f.read(min(SEND_BYTES, s.ready - sent))
                        sent += len(data) - len(prefix)
                        prefix = b""
                        await send({"type": "http.response.body", "body": self._wire(data), "more_body": True})
                        if watcher.done():
                            raise JobCancelled("the client disconnected")
                    if fut.done() and s.feed.queue.empty():
                        break
                    getter = asyncio.ensure_future(s.feed.queue.get())
                    done, _ = await asyncio.wait({getter, fut, watcher}, return_when=asyncio.FIRST_COMPLETED)
                    if getter in done:
                        s.ready = getter.result()
                    else:
                        getter.cancel()
                    if watcher in done:
                        raise JobCancelled("the client disconnected")
            summary = await self._summary(fut)
            tail = self._done_event(summary) if s.sse else b""
            await send({"type": "http.response.body", "body": tail, "more_body": False})
            s.finished = True
        except JobCancelled:
            s.job.cancel.set()
            log.info("streaming client disconnected: job %d stops at the next segment", s.job.id)
        except (OSError, asyncio.CancelledError):
            s.job.cancel.set()
            raise
        finally:
            watcher.cancel()
            if not s.finished:
                s.job.cancel.set()
            remove_file(s.path)

    async def _summary(self, fut) -> StreamSummary | BaseException:
        try:
            return await fut
        except Exception as e:  # noqa: BLE001 - reported in-band (SSE) or as a cut stream
            log.warning("streamed synthesis failed after the first segment: %s", safe_text(e))
            return e

    def _wire(self, data: bytes) -> bytes:
        if not self.stream.sse:
            return data
        event = {"type": "speech.audio.delta", "audio": base64.b64encode(data).decode("ascii")}
        return b"event: speech.audio.delta\ndata: " + json.dumps(event).encode() + b"\n\n"

    def _done_event(self, summary: StreamSummary | BaseException) -> bytes:
        if isinstance(summary, BaseException):
            info = describe(summary)
            err = {"type": "error", "error": {"message": safe_text(info.message), "type": info.type,
                                              "code": info.code}}
            return b"event: error\ndata: " + json.dumps(err, ensure_ascii=False).encode() + b"\n\n"
        chars = self.stream.text_chars
        done = {"type": "speech.audio.done",
                "usage": {"input_tokens": chars, "output_tokens": 0, "total_tokens": chars},
                "audio_seconds": round(summary.samples / self.stream.sample_rate, 3),
                "segments": summary.segments}
        return b"event: speech.audio.done\ndata: " + json.dumps(done).encode() + b"\n\n"


async def start(worker: Any, text: str, path: Path, fmt: str, sse: bool, receive, **kwargs: Any) -> AudioStream:
    """Queue a streamed synthesis and wait for its first segment (errors before it raise here)."""
    feed = SegmentFeed(asyncio.get_running_loop())

    def work(stop: threading.Event) -> StreamSummary:
        return worker._timed(text, lambda: stream_to_file(worker.synth, text, path, feed, stop, **kwargs))

    job = worker.submit(work, size=len(text))
    stream = AudioStream(job, feed, path, fmt, sse, worker.info.sample_rate, len(text))
    await stream.first_segment(receive)
    return stream
