"""FastAPI app: JSON/audio HTTP API with the Gradio UI mounted on the same port.

``create_app(synth, ...)`` takes any object with the Synthesizer interface
(``stream`` or ``synthesize``, ``info``), so tests and other front ends can build the app.

Routes
  GET  /health            liveness + engine summary (never behind auth)
  GET  /voices            voices / emotions / limits reported by the engine
  POST /synthesize        JSON -> audio/wav (or pcm / flac); ``"stream": true`` or ``?stream=true``
                          sends wav/pcm segment by segment (see :mod:`.streaming`)
  POST /v1/audio/speech   OpenAI-compatible text-to-speech (wav/pcm stream like OpenAI's)
  /                       the web UI (when ``ui=True``)
Errors are JSON ``{"error": {"message", "type", "code"}}`` (see :mod:`.errors`, the one
place that maps exceptions): 4xx for bad input, 503 + Retry-After when the queue is full
or the server is stopping, 500 (logged) for anything unexpected.

Audio is synthesized into a scratch file segment by segment and sent from there (a streamed
answer starts with the first segment, a whole-file answer after the last); the file is
deleted once sent.  A client that disconnects cancels its synthesis at the next segment
boundary.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response

from .. import __version__
from ..errors import TextTooLongError
from ..voices import resolve_openai_voice
from . import streaming
from .engine import AUDIO_MEDIA_TYPES, AudioFile, EngineWorker, Job
from .errors import APIError, ErrorShieldMiddleware, JobCancelled, install_handlers, lone_surrogate_at
from .middleware import BasicAuthMiddleware, BodySizeLimitMiddleware, parse_auth
from .schemas import OPENAI_FORMATS, OPENAI_VOICES, SpeechRequest, SynthesizeRequest

log = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 5000
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
VOICE_DETAIL_KEYS = ("id", "display_name", "gender", "age", "description", "engine", "teacher_voice", "lacks",
                     "f0_median_hz")
API_ROUTES = {"/health": ["GET"], "/voices": ["GET"], "/synthesize": ["POST"], "/v1/audio/speech": ["POST"]}
OTHER_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def effective_max_chars(worker: EngineWorker, max_chars: int) -> int:
    engine_limit = worker.info.max_chars
    return min(max_chars, engine_limit) if engine_limit else max_chars


def check_text(text: str, limit: int, field: str) -> None:
    """Length limit and valid Unicode (a lone surrogate cannot be read or even encoded)."""
    if len(text) > limit:
        raise TextTooLongError(f"{field} is {len(text)} characters; the limit is {limit}")
    check_unicode(text, field)


def check_unicode(value: Any, field: str) -> None:
    """400 when any string in ``value`` (nested too) holds a lone UTF-16 surrogate."""
    if isinstance(value, str):
        pos = lone_surrogate_at(value)
        if pos >= 0:
            raise APIError(400, f"{field} contains a lone UTF-16 surrogate (\\u{ord(value[pos]):04x}) at "
                                f"position {pos}; send valid Unicode text", code="invalid_unicode")
    elif isinstance(value, dict):
        for k, v in value.items():
            check_unicode(k, field)
            check_unicode(v, f"{field}.{k}" if lone_surrogate_at(str(k)) < 0 else field)
    elif isinstance(value, (list, tuple)):
        for v in value:
            check_unicode(v, field)


class _ScratchFileResponse(FileResponse):
    """A FileResponse that deletes its file afterwards, whatever happened while sending."""

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            _remove(self.path)


def _remove(path: str | os.PathLike) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


async def _wait_disconnect(receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def await_job(request: Request, job: Job) -> Any:
    """The job's result; cancels it when the client disconnects or the server stops."""
    fut = asyncio.wrap_future(job.future)
    watcher = asyncio.ensure_future(_wait_disconnect(request.receive))
    try:
        done, _ = await asyncio.wait({fut, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if fut in done:
            return fut.result()
        job.cancel.set()
        log.info("client disconnected: synthesis job %d stops at the next segment", job.id)
        try:
            await fut
        except Exception:  # noqa: BLE001 - usually JobCancelled
            pass
        raise JobCancelled("the client disconnected")
    except asyncio.CancelledError:  # server shutdown: stop the engine work too
        job.cancel.set()
        raise
    finally:
        watcher.cancel()


def _query_flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name)
    if value is None:
        return False
    if value.lower() in ("1", "true", "yes", "on", ""):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise APIError(422, f"query parameter {name} must be true or false, got {value!r}", code="validation_error")


def _check_streamable(fmt: str) -> None:
    if fmt not in streaming.STREAM_FORMATS:
        raise APIError(400, f"format {fmt!r} cannot be streamed; stream wav or pcm (or ask for {fmt} without "
                            "streaming)", code="unsupported_stream_format")


def _audio_response(res: AudioFile, extra: dict[str, str] | None = None) -> Response:
    headers = {
        "X-Sample-Rate": str(res.sample_rate),
        "X-Audio-Duration": f"{res.duration_s:.3f}",
        "Cache-Control": "no-store",
    }
    if "rtf" in res.timings:
        headers["X-RTF"] = f"{float(res.timings['rtf']):.4f}"
    if res.warnings:  # JSON with \u escapes: headers must stay ASCII
        headers["X-Warnings"] = json.dumps([str(w)[:300] for w in res.warnings[:20]], ensure_ascii=True)
    headers.update(extra or {})
    media = AUDIO_MEDIA_TYPES[res.fmt]
    if res.fmt == "pcm":
        media += f";rate={res.sample_rate};channels=1"
    return _ScratchFileResponse(res.path, media_type=media, headers=headers)


def _with_subtitles(res: AudioFile, fmt: str) -> Response:
    """JSON: the audio (base64, in the requested format) with its sentence subtitles, cues and word times."""
    import base64

    from ..batch.subtitles import cues_json, format_cues

    try:
        cues = res.cues()
        body = {
            "audio_base64": base64.b64encode(res.path.read_bytes()).decode("ascii"),
            "format": res.fmt, "sample_rate": res.sample_rate, "duration_s": round(res.duration_s, 3),
            "subtitle_format": fmt, "subtitles": format_cues(cues, fmt), "cues": cues_json(cues),
            # word times from the model's phone durations (absent for voices without durations)
            "words": [{"text": w.text, "start": round(w.start_s, 3), "end": round(w.end_s, 3)}
                      for seg in res.segments for w in (getattr(seg, "words", None) or [])],
            "warnings": [str(w) for w in res.warnings],
        }
    finally:
        _remove(res.path)
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json",
                    headers={"Cache-Control": "no-store", "X-Audio-Duration": f"{res.duration_s:.3f}"})


def create_app(
    synth: Any,
    *,
    auth: str | tuple[str, str] | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_pending: int = 16,
    ui: bool = True,
    output_dir: str | Path | None = None,
    max_upload_bytes: int = 20 * 1024 * 1024,
    scratch_dir: str | Path | None = None,
    temp_cap_bytes: int = 200 * 1024 * 1024,
) -> FastAPI:
    """Build the ASGI app around ``synth`` (a Synthesizer or anything with its interface).

    ``scratch_dir`` holds audio while it is synthesized and sent (default: a new private
    temp folder); nothing there outlives its request.
    """
    credentials = parse_auth(auth) if isinstance(auth, str) else auth
    worker = EngineWorker(synth, max_pending=max_pending)
    scratch = Path(scratch_dir) if scratch_dir else Path(tempfile.mkdtemp(prefix="index-tts-scratch-"))
    scratch.mkdir(parents=True, exist_ok=True)
    os.chmod(scratch, 0o700)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        worker.shutdown()
        if not scratch_dir:
            shutil.rmtree(scratch, ignore_errors=True)

    # /docs and /redoc pull Swagger/ReDoc from a CDN: off, to keep the site fully offline.
    app = FastAPI(title="IndexTTS", version=__version__, docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.worker = worker
    app.state.max_chars = max_chars
    app.state.scratch_dir = scratch
    install_handlers(app)

    def scratch_path(fmt: str) -> Path:
        return scratch / f"api-{secrets.token_hex(12)}.{fmt}.part"

    @app.get("/health")
    def health() -> dict[str, Any]:
        info = worker.info
        return {
            "status": "ok",
            "version": __version__,
            "device": info.device,
            "sample_rate": info.sample_rate,
            "queue": worker.pending,
            "busy": worker.activity,  # None, "synthesis" or "clone search, round 3/8" (minutes)
        }

    @app.get("/voices")
    def voices() -> dict[str, Any]:
        info = worker.info
        raw = info.raw
        return {
            "voices": info.voices,
            "voice_labels": info.voice_labels,
            # what each voice is (gender, age, description, the controls it lacks), as the engine says
            "voice_details": [{k: v for k, v in d.items() if k in VOICE_DETAIL_KEYS}
                              for d in raw.get("voices") or [] if isinstance(d, dict)],
            "emotions": info.emotions,
            "reference_audio": info.reference_audio,
            "bundles": raw.get("bundles") or ([raw["bundle"]] if raw.get("bundle") else []),
            "sample_rate": info.sample_rate,
            "max_chars": effective_max_chars(worker, max_chars),
            "formats": list(AUDIO_MEDIA_TYPES),
            # vocoders of the student voices ("vocoder" in POST /synthesize), default first
            "student_vocoders": raw.get("student_vocoders") or [],
        }

    @app.post("/synthesize", response_class=Response)
    async def synthesize(req: SynthesizeRequest, request: Request) -> Response:
        check_text(req.text, effective_max_chars(worker, max_chars), "text")
        for name in ("voice", "emotion", "pinyin_overrides", "emotion_vector"):
            check_unicode(getattr(req, name), name)
        check_unicode(req.vocoder, "vocoder")
        known = {v.get("id") for v in worker.info.raw.get("student_vocoders") or []} | set(
            worker.info.raw.get("vocoders") or [])
        if req.vocoder is not None and req.vocoder not in known:
            raise APIError(400, f"unknown vocoder {req.vocoder!r}; available: {', '.join(sorted(known)) or 'none'}",
                           code="unknown_vocoder")
        if req.voice is not None and worker.info.voices and req.voice not in worker.info.voices:
            raise APIError(400, f"unknown voice {req.voice!r}; available: {', '.join(worker.info.voices)}",
                           code="UnknownVoiceError")
        if req.reference_audio_base64 and not worker.info.reference_audio:
            raise APIError(400, "this model does not support reference audio", code="unsupported")
        kwargs = req.synth_kwargs()
        sse = req.stream_format == "sse"
        if req.stream or sse or _query_flag(request, "stream"):
            if req.subtitles:
                raise APIError(400, "subtitles come with a complete synthesis; drop stream to get them",
                               code="invalid_request")
            _check_streamable(req.format)
            stream = await streaming.start(worker, req.text, scratch_path("pcm"), req.format, sse, request.receive,
                                           **kwargs)
            return streaming.StreamResponse(stream)
        job = worker.submit_to_file(req.text, scratch_path(req.format), req.format, **kwargs)
        res = await await_job(request, job)
        if req.subtitles:
            return _with_subtitles(res, req.subtitles)
        return _audio_response(res)

    @app.post("/v1/audio/speech", response_class=Response)
    async def openai_speech(req: SpeechRequest, request: Request) -> Response:
        fmt = req.response_format.lower()
        if fmt not in OPENAI_FORMATS:
            raise APIError(
                400,
                f"response_format {req.response_format!r} is not supported; use one of {', '.join(OPENAI_FORMATS)}",
                code="unsupported_response_format",
            )
        check_text(req.input, effective_max_chars(worker, max_chars), "input")
        check_unicode(req.voice, "voice")
        kwargs: dict[str, Any] = {"speed": req.mapped_speed()}
        voice = req.voice
        if voice in OPENAI_VOICES:  # OpenAI's names stand for our presets (index_tts/voices.py)
            voice = resolve_openai_voice(voice, worker.info.voices)
        elif voice and voice not in worker.info.voices:
            raise APIError(
                400,
                f"unknown voice {voice!r}; available: {', '.join(worker.info.voices) or '(default only)'}"
                " (OpenAI voice names map to presets)",
                code="UnknownVoiceError",
            )
        if voice:
            kwargs["speaker"] = voice
        applied = {"X-Applied-Speed": f"{kwargs['speed']:.3f}", "X-Voice": voice or "default"}
        sse = req.stream_format == "sse"
        if sse or req.stream or (req.stream is None and fmt in streaming.STREAM_FORMATS):
            _check_streamable(fmt)
            stream = await streaming.start(worker, req.input, scratch_path("pcm"), fmt, sse, request.receive,
                                           **kwargs)
            return streaming.StreamResponse(stream, applied)
        job = worker.submit_to_file(req.input, scratch_path(fmt), fmt, **kwargs)
        res = await await_job(request, job)
        return _audio_response(res, applied)

    for route, methods in API_ROUTES.items():  # wrong method on an API route: 405, not the UI's 404
        others = [m for m in OTHER_METHODS if m not in methods and not (m == "HEAD" and "GET" in methods)]
        allow = ", ".join(methods)

        async def not_allowed(request: Request, _allow: str = allow) -> Response:
            raise APIError(405, f"{request.method} is not allowed on {request.url.path}; use {_allow}",
                           code="method_not_allowed", headers={"Allow": _allow})

        app.add_api_route(route, not_allowed, methods=others, include_in_schema=False)

    if ui:
        from .ui import mount_ui

        app = mount_ui(app, worker, max_chars=effective_max_chars(worker, max_chars),
                       output_dir=output_dir, max_upload_bytes=max_upload_bytes, scratch_dir=scratch,
                       temp_cap_bytes=temp_cap_bytes)

    # The middleware added last runs first: errors are shielded outermost, then auth is
    # checked before the body is read.  UI uploads (multipart) have their own cap.
    if ui:
        from .pathalias import PathAliasMiddleware
        from .ui import gradio_temp_root

        app.add_middleware(PathAliasMiddleware, root=gradio_temp_root())
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes,
                       prefix_limits={"/gradio_api/upload": max_upload_bytes + (1 << 20)})
    if credentials:
        app.add_middleware(BasicAuthMiddleware, credentials=credentials)
    app.add_middleware(ErrorShieldMiddleware)
    return app
