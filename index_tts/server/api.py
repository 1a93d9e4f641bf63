"""FastAPI app: JSON/audio HTTP API with the Gradio UI mounted on the same port.

``create_app(synth, ...)`` takes any object with the Synthesizer interface
(``synthesize``, ``info``), so tests and other front ends can build the app.

Routes
  GET  /health            liveness + engine summary (never behind auth)
  GET  /voices            voices / emotions / limits reported by the engine
  POST /synthesize        JSON -> audio/wav (or pcm / flac)
  POST /v1/audio/speech   OpenAI-compatible text-to-speech
  /                       the web UI (when ``ui=True``)
Errors are JSON ``{"error": {"message", "type", "code"}}``: 4xx for bad input, 503
when the queue is full, 500 (logged) for anything unexpected.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import IndexTTSError, InputError, TextTooLongError
from .engine import AUDIO_MEDIA_TYPES, EngineWorker, ServerBusyError, encode_audio
from .middleware import BasicAuthMiddleware, BodySizeLimitMiddleware, parse_auth
from .schemas import OPENAI_FORMATS, OPENAI_VOICES, SpeechRequest, SynthesizeRequest

log = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 5000
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


class APIError(Exception):
    """An error the API reports as is (status, message, type, code)."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code = status, message, type_, code


def _error(status: int, message: str, type_: str, code: str | None = None) -> JSONResponse:
    err: dict[str, Any] = {"message": message, "type": type_}
    if code:
        err["code"] = code
    return JSONResponse({"error": err}, status_code=status)


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors():
        if e.get("type") == "json_invalid":
            parts.append(f"the request body is not valid JSON ({e.get('ctx', {}).get('error', 'parse error')})")
            continue
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
        parts.append(f"{loc}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def effective_max_chars(worker: EngineWorker, max_chars: int) -> int:
    engine_limit = worker.info.max_chars
    return min(max_chars, engine_limit) if engine_limit else max_chars


def _check_text(text: str, limit: int, field: str) -> None:
    if len(text) > limit:
        raise TextTooLongError(f"{field} is {len(text)} characters; the limit is {limit}")


def _audio_response(worker: EngineWorker, res: Any, fmt: str, extra: dict[str, str] | None = None) -> Response:
    body = encode_audio(res.wav, res.sample_rate, fmt)
    timings = getattr(res, "timings", {}) or {}
    headers = {
        "X-Sample-Rate": str(res.sample_rate),
        "X-Audio-Duration": f"{len(res.wav) / res.sample_rate:.3f}",
    }
    if "rtf" in timings:
        headers["X-RTF"] = f"{float(timings['rtf']):.4f}"
    warnings = list(getattr(res, "warnings", []) or [])
    if warnings:  # JSON with \u escapes: headers must stay ASCII
        headers["X-Warnings"] = json.dumps(warnings, ensure_ascii=True)
    headers.update(extra or {})
    media = AUDIO_MEDIA_TYPES[fmt]
    if fmt == "pcm":
        media += f";rate={res.sample_rate};channels=1"
    return Response(content=body, media_type=media, headers=headers)


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
) -> FastAPI:
    """Build the ASGI app around ``synth`` (a Synthesizer or anything with its interface)."""
    credentials = parse_auth(auth) if isinstance(auth, str) else auth
    worker = EngineWorker(synth, max_pending=max_pending)
    # /docs and /redoc pull Swagger/ReDoc from a CDN: off, to keep the site fully offline.
    app = FastAPI(title="IndexTTS", version=__version__, docs_url=None, redoc_url=None)
    app.state.worker = worker
    app.state.max_chars = max_chars

    @app.exception_handler(APIError)
    async def _api_error(_: Request, exc: APIError):
        return _error(exc.status, exc.message, exc.type, exc.code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        return _error(422, _describe_validation(exc), "invalid_request_error", "validation_error")

    @app.exception_handler(InputError)
    async def _input_error(_: Request, exc: InputError):
        return _error(400, str(exc), "invalid_request_error", type(exc).__name__)

    @app.exception_handler(ServerBusyError)
    async def _busy(_: Request, exc: ServerBusyError):
        return JSONResponse(
            {"error": {"message": str(exc), "type": "server_busy", "code": "queue_full"}},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException):
        return _error(exc.status_code, str(exc.detail), "invalid_request_error" if exc.status_code < 500 else "server_error")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception):
        if isinstance(exc, IndexTTSError):  # e.g. a model problem: not the client's fault
            log.error("engine error: %s", exc)
            return _error(500, str(exc), "server_error", type(exc).__name__)
        log.exception("unexpected error while serving a request")
        return _error(500, "internal error while synthesizing (see the server log)", "server_error")

    @app.get("/health")
    def health() -> dict[str, Any]:
        info = worker.info
        return {
            "status": "ok",
            "version": __version__,
            "device": info.device,
            "sample_rate": info.sample_rate,
            "queue": worker.pending,
        }

    @app.get("/voices")
    def voices() -> dict[str, Any]:
        info = worker.info
        raw = info.raw
        return {
            "voices": info.voices,
            "voice_labels": info.voice_labels,
            "emotions": info.emotions,
            "reference_audio": info.reference_audio,
            "bundles": raw.get("bundles") or ([raw["bundle"]] if raw.get("bundle") else []),
            "sample_rate": info.sample_rate,
            "max_chars": effective_max_chars(worker, max_chars),
            "formats": list(AUDIO_MEDIA_TYPES),
        }

    @app.post("/synthesize", response_class=Response)
    async def synthesize(req: SynthesizeRequest) -> Response:
        _check_text(req.text, effective_max_chars(worker, max_chars), "text")
        if req.voice is not None and worker.info.voices and req.voice not in worker.info.voices:
            raise APIError(400, f"unknown voice {req.voice!r}; available: {', '.join(worker.info.voices)}",
                           code="UnknownVoiceError")
        if req.reference_audio_base64 and not worker.info.reference_audio:
            raise APIError(400, "this model does not support reference audio", code="unsupported")
        res = await worker.synthesize_async(req.text, **req.synth_kwargs())
        return _audio_response(worker, res, req.format)

    @app.post("/v1/audio/speech", response_class=Response)
    async def openai_speech(req: SpeechRequest) -> Response:
        fmt = req.response_format.lower()
        if fmt not in OPENAI_FORMATS:
            raise APIError(
                400,
                f"response_format {req.response_format!r} is not supported; use one of {', '.join(OPENAI_FORMATS)}",
                code="unsupported_response_format",
            )
        _check_text(req.input, effective_max_chars(worker, max_chars), "input")
        kwargs: dict[str, Any] = {"speed": req.mapped_speed()}
        voice = req.voice
        if voice and voice not in OPENAI_VOICES:
            if voice not in worker.info.voices:
                raise APIError(
                    400,
                    f"unknown voice {voice!r}; available: {', '.join(worker.info.voices) or '(default only)'}"
                    " (OpenAI voice names map to the default voice)",
                    code="UnknownVoiceError",
                )
            kwargs["speaker"] = voice
        res = await worker.synthesize_async(req.input, **kwargs)
        return _audio_response(worker, res, fmt, {"X-Applied-Speed": f"{kwargs['speed']:.3f}"})

    if ui:
        from .ui import mount_ui

        app = mount_ui(app, worker, max_chars=effective_max_chars(worker, max_chars),
                       output_dir=output_dir, max_upload_bytes=max_upload_bytes)

    # The middleware added last runs first: auth is checked before the body is read.
    # UI uploads (multipart) have their own cap; Gradio also checks max_upload_bytes itself.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes,
                       prefix_limits={"/gradio_api/upload": max_upload_bytes + (1 << 20)})
    if credentials:
        app.add_middleware(BasicAuthMiddleware, credentials=credentials)
    return app
