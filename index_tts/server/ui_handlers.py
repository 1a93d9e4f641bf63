"""Event handlers of the web UI (run in Gradio's worker threads; the engine runs one job at a time).

Every user mistake becomes a plain message (``gr.Error`` / ``gr.Warning``), never a stack
trace; messages are safe to show whatever the text held.  Results are synthesized into a
scratch file and moved to ``outputs/`` under an unguessable name once complete.  The
history dropdown carries opaque ids, not server paths.  A closed tab cancels its jobs.
"""
from __future__ import annotations

import io
import logging
import os
import queue
import secrets
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ReferenceAudioError
from ..request import DEFAULTS, SynthesisRequest
from ..results import to_int16
from .engine import EngineWorker
from .errors import JobCancelled, describe, lone_surrogate_at, safe_text
from .outputs import TempJanitor, publish, unique_output_path

log = logging.getLogger(__name__)

__all__ = ["UIConfig", "_Handlers", "unique_output_path"]


@dataclass(frozen=True)
class UIConfig:
    max_chars: int
    output_dir: Path
    max_upload_bytes: int
    scratch_dir: Path | None = None
    janitor: TempJanitor | None = None


def wav_bytes(pcm, sample_rate: int) -> bytes:
    """16-bit mono samples as a complete little wav file (one streamed segment)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    return buf.getvalue()


def _session_of(request: Any) -> str | None:
    return getattr(request, "session_hash", None) if request is not None else None


def waiting_note(ahead: int, search_round: tuple[int, int] | None) -> str:
    """The progress text shown while a request waits for the engine: how many jobs are ahead and,
    when the running one is a clone search (minutes per new clip), its round (``EngineWorker.search_round``)."""
    if ahead <= 0:
        return "排队/准备 Preparing"
    note = f"排队中：前面还有 {ahead} 个任务 Waiting for {ahead} earlier job{'s' if ahead > 1 else ''}"
    if search_round is not None:
        rounds = "{}/{}".format(*search_round)
        note += (f"（正在搜索克隆音色，第 {rounds} 轮；本轮结束后先处理排队的请求 / a clone search is running, "
                 f"round {rounds}; it lets waiting requests go first after this round）")
    return note


class _Handlers:
    """The UI's callbacks; ``generate`` is wired to the Generate button."""

    def __init__(self, worker: EngineWorker, cfg: UIConfig) -> None:
        self.worker, self.cfg = worker, cfg
        # never inside outputs/: a kill mid-synthesis must leave nothing there
        self.scratch = cfg.scratch_dir or Path(tempfile.mkdtemp(prefix="index-tts-ui-"))
        self._uploads: dict[str, set[str]] = {}
        self._previews: dict[str | None, tuple[int, Any]] = {}

    def generate(self, text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity,
                 reference, seed, history, progress=None, *, reference_strength=DEFAULTS.reference_strength,
                 timbre_strength=DEFAULTS.timbre_strength, mix: dict[str, float] | None = None,
                 request: Any = None, vocoder: str | None = None):
        """One synthesis, answered when complete. ``mix`` (emotion -> weight 0–1, zeros dropped)
        combines with ``emotion`` by the core's rule (index_tts/request.py), as in the API."""
        prep = self._prepare(text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity,
                             reference, seed, (reference_strength, timbre_strength), mix, progress, request, vocoder)
        if prep is None:
            return self._skips()
        text, kwargs, session, partial = prep
        try:
            res = self.worker.synthesize_to_file(text, partial, "wav", owner=session, **kwargs)
        except Exception as e:  # noqa: BLE001 - _failed raises what the user must see
            return self._failed(e)
        finally:
            self._sweep()
        return self._done(text, publish(res.path, self.cfg.output_dir), res, history)

    def generate_stream(self, text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity,
                        reference, seed, history, progress=None, *, reference_strength=DEFAULTS.reference_strength,
                        timbre_strength=DEFAULTS.timbre_strength, mix: dict[str, float] | None = None,
                        request: Any = None, vocoder: str | None = None):
        """Like :meth:`generate`, as a generator of six outputs: the five of :meth:`generate`
        (skipped while streaming) plus the page's streaming player, which gets each segment as
        wav bytes while the rest is synthesized; the last step fills in the saved file and
        leaves the player alone.  Closing the generator (page gone) cancels the job."""
        skip = self._skips()[0]
        for step in self._stream_steps(text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity,
                                       reference, seed, history, progress, (reference_strength, timbre_strength),
                                       mix, request, vocoder):
            yield step if len(step) == 6 else (*step, skip)

    def _stream_steps(self, text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity,
                      reference, seed, history, progress, strengths, mix, request, vocoder=None):
        prep = self._prepare(text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity,
                             reference, seed, strengths, mix, progress, request, vocoder)
        if prep is None:
            yield self._skips()
            return
        text, kwargs, session, partial = prep
        chunks: queue.Queue = queue.Queue()
        sample_rate = self.worker.info.sample_rate
        try:
            job = self.worker.submit_to_file(text, partial, "wav", owner=session, on_chunk=chunks.put, **kwargs)
        except Exception as e:  # noqa: BLE001 - e.g. a full queue
            yield self._failed(e)
            return
        job.future.add_done_callback(lambda _f: chunks.put(None))
        try:
            while (pcm := chunks.get()) is not None:
                yield (*self._skips(), wav_bytes(pcm, sample_rate))
            try:
                res = job.future.result()
            except Exception as e:  # noqa: BLE001
                yield self._failed(e)
                return
        finally:
            if not job.future.done():  # the generator was closed: nobody listens any more
                job.cancel.set()
            self._sweep()
        yield self._done(text, publish(res.path, self.cfg.output_dir), res, history)

    def _prepare(self, text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity, reference, seed,
                 strengths, mix, progress, request, vocoder=None):
        """Checks shared by both drivers: (text, engine kwargs, session, scratch path), or None
        after a warning when there is nothing to do; raises gr.Error for the user's mistakes."""
        import gradio as gr

        text = (text or "").strip() if isinstance(text, str) else ""
        if not text:
            gr.Warning("请输入要合成的文本。Please type some text first.")
            return None
        if len(text) > self.cfg.max_chars:
            raise gr.Error(f"文本太长：{len(text)} 字，上限 {self.cfg.max_chars} 字。"
                           f"Text too long: {len(text)} characters, the limit is {self.cfg.max_chars}.")
        bad = lone_surrogate_at(text)
        if bad >= 0:
            raise gr.Error(f"文本含有无效字符（第 {bad + 1} 个字符）。The text contains an invalid character "
                           f"(a lone surrogate) at position {bad + 1}; please retype or paste it again.")
        try:
            kwargs = self._kwargs(text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity,
                                  reference, seed, strengths, mix, vocoder)
        except (TypeError, ValueError) as e:
            raise gr.Error(f"参数无效 / invalid setting: {safe_text(e)}") from None
        session = _session_of(request)
        if session and kwargs.get("reference_audio"):
            self._uploads.setdefault(session, set()).add(str(kwargs["reference_audio"]))

        if progress is not None:
            def on_progress(done: int, total: int) -> None:
                progress((done, total), desc="合成中 Synthesizing", unit="sentences")

            def on_search(done: int, total: int) -> None:  # clone_teacher's first use of a clip (minutes)
                progress((done, total), desc="搜索克隆音色（每段新音频约 15 分钟，之后缓存）Searching the clone's voice",
                         unit="rounds")

            kwargs["progress"], kwargs["search_progress"] = on_progress, on_search
            progress(0.0, desc=waiting_note(self.worker.pending, self.worker.search_round))
        self.scratch.mkdir(parents=True, exist_ok=True)
        return text, kwargs, session, self.scratch / f"ui-{secrets.token_hex(12)}.wav.part"

    @staticmethod
    def _skips() -> tuple:
        import gradio as gr

        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()

    def _failed(self, e: BaseException) -> tuple:
        """Outputs for a failed synthesis, or a gr.Error raised with the user's message."""
        import gradio as gr

        if isinstance(e, ReferenceAudioError):  # a bad clip: say why, keep the page as it is
            msg = safe_text(e)
            gr.Warning(f"参考音频无法使用 / The reference clip cannot be used: {msg}")
            return gr.skip(), f"**参考音频 Reference:** {msg}", gr.skip(), gr.skip(), gr.skip()
        if isinstance(e, JobCancelled):
            log.info("UI synthesis cancelled (the page was closed)")
            return self._skips()
        info = describe(e)  # the API's mapping decides what is the user's to fix
        if info.status == 503:
            raise gr.Error(f"服务器忙 / {safe_text(info.message)}") from None
        if info.status < 500:
            raise gr.Error(safe_text(info.message)) from None
        raise gr.Error("合成失败（内部错误，详见服务器日志）。Synthesis failed: internal error, see the server log.") from None

    def _sweep(self) -> None:
        if self.cfg.janitor is not None:
            self.cfg.janitor.sweep()

    def _kwargs(self, text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity, reference, seed,
                strengths, mix, vocoder=None) -> dict[str, Any]:
        """The page's values as the core's ``SynthesisRequest`` (checked), as engine kwargs;
        ``strengths``: (reference_strength, timbre_strength)."""
        import gradio as gr

        info = self.worker.info
        mix = {k: float(v) for k, v in (mix or {}).items() if v and float(v) > 0.0}
        clip = None
        if info.reference_audio and reference:
            try:
                size = os.path.getsize(reference)
            except OSError:
                raise gr.Error("参考音频已失效，请重新上传。The reference clip is gone; please upload it again.") from None
            if size > self.cfg.max_upload_bytes:
                raise gr.Error(f"参考音频太大 / reference audio is larger than {self.cfg.max_upload_bytes // 2**20} MB")
            clip = reference
        req = SynthesisRequest(
            text, speaker=voice if len(info.voices) > 1 and voice else None,
            emotion_label=(emotion or None) if info.emotions else None,
            emotion_vector=(mix or None) if info.emotions else None, intensity=float(intensity),
            reference_audio=clip, reference_strength=float(strengths[0]), timbre_strength=float(strengths[1]),
            speed=float(speed), pitch=float(pitch), sentence_pause=float(sentence_pause),
            comma_pause=float(comma_pause), seed=None if seed in (None, "") else int(seed),
            vocoder=vocoder or None)
        return req.validate().to_kwargs()

    def _done(self, text: str, path: Path, res: Any, history: list | None):
        import gradio as gr

        timings = res.timings or {}
        status = f"**完成 Done** · {res.duration_s:.1f} s 音频 · 用时 {float(timings.get('total_s', 0.0)):.2f} s"
        if "rtf" in timings:
            status += f" · RTF {float(timings['rtf']):.3f}"
        status += f" · 已保存 saved: `{self.cfg.output_dir.name}/{path.name}`"
        for w in res.warnings or []:
            status += f"\n\n**注意 Warning:** {safe_text(w)}"
            gr.Warning(safe_text(w))
        snippet = text if len(text) <= 24 else text[:24] + "…"
        item = {"id": secrets.token_hex(6), "label": f"{path.stem[:15]} · {snippet}", "path": str(path)}
        srt = self._subtitles(path, res)
        if srt is not None:
            item["srt"] = str(srt)
        history = [item] + [h for h in (history or []) if isinstance(h, dict) and "id" in h]
        choices = [(h["label"], h["id"]) for h in history]
        files = [f for h in history for f in (h["path"], h.get("srt")) if f]
        return (str(path), status, history, gr.update(choices=choices, value=item["id"]), files)

    @staticmethod
    def _subtitles(path: Path, res: Any) -> Path | None:
        """Sentence subtitles (SRT) saved next to the result; None when the result has no segments."""
        import dataclasses

        if not getattr(res, "segments", None) or not dataclasses.is_dataclass(res):
            return None
        srt = path.with_suffix(".srt")
        tmp = srt.with_name(f".{srt.name}.part")  # what remove_partials sweeps after a kill
        try:
            tmp.write_text(dataclasses.replace(res, path=path).subtitles("srt"), encoding="utf-8")
            os.replace(tmp, srt)
        except (OSError, ValueError) as e:  # subtitles are a convenience: the audio is what matters
            log.warning("no subtitles for %s: %s", path.name, e)
            tmp.unlink(missing_ok=True)
            return None
        return srt

    def preview(self, voice):
        """The preview button: the chosen voice reads ``PREVIEW_TEXT`` (cached per voice)."""
        import gradio as gr

        from ..voices import PREVIEW_TEXT

        info = self.worker.info
        key = voice if len(info.voices) > 1 and voice else None
        if key not in self._previews:
            try:
                res = self.worker.synthesize(PREVIEW_TEXT, speaker=key, seed=0)
            except Exception as e:  # noqa: BLE001 - shown to the user, the page stays usable
                raise gr.Error(f"试听失败 Preview failed: {safe_text(str(e))}") from None
            self._previews[key] = (res.sample_rate, to_int16(res.wav))
        return self._previews[key]

    @staticmethod
    def replay(pick, history):
        """The saved file of the history entry ``pick`` (an opaque id) from this session's history."""
        for h in history or []:
            if isinstance(h, dict) and h.get("id") == pick and Path(h["path"]).is_file():
                return h["path"]
        return None

    def session_closed(self, request: Any = None) -> None:
        """The tab was closed or reloaded: stop its jobs and delete its uploaded clips."""
        session = _session_of(request)
        if not session:
            return
        self.worker.cancel_owner(session)
        for upload in self._uploads.pop(session, set()):
            try:
                os.unlink(upload)
            except OSError:
                pass
