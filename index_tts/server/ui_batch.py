"""The web UI's 书稿/批量 (scripts & batches) section: paste or upload a script, preview each
line's character, voice and automatic emotion, render it with a progress bar and ETA, and
download the joined audio, SRT/WebVTT subtitles and the manifest.

Each line is one engine job (``EngineWorker.run``), so other visitors' requests are served
between lines. Results go to ``outputs/batch-<random>/`` (a name nobody can guess); the same
script rendered again in the same server run resumes in the same folder.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from pathlib import Path
from typing import Any

from .engine import EngineWorker
from .errors import JobCancelled, safe_text

log = logging.getLogger(__name__)

MAX_SCRIPT_CHARS = 100_000
PREVIEW_HEADERS = ["行 line", "角色 character", "音色 voice", "情感 emotion", "来源 source", "强度 intensity",
                   "语速 speed", "音高 pitch", "文本 text"]
HELP = """
每行一句：`角色名：台词`，或 `[角色|情感 强度] 台词`；`[pause 1.5s]` 停顿；`# 标题` 章节；
`@emotion: auto` 让没写情感的句子自动判断情感（“预览”里可以看到每句的情感，不满意就在那一行写上 `[角色|情感]`）。
One line per sentence: `名字：台词` or `[character|emotion intensity] text`; `[pause 1.5s]`;
`# Title` for chapters; `@emotion: auto` picks an emotion per line — see the preview, override a line by
writing its emotion. Full format: README, "Scripts, audiobooks and batches".
"""
EXAMPLE = """@emotion: auto
# 第一章
夜深了，窗外的雨一直没有停。
林雨：都这么晚了，他怎么还不回来？
[pause 1s]
陈默：是我，快开门。
[林雨|gentle 0.7] 快进来，先喝口热水暖暖身子。
"""


class _EngineProxy:
    """Looks like a Synthesizer to ``run_batch``; each line's synthesis is one engine job."""

    def __init__(self, worker: EngineWorker, owner: str | None, cancel) -> None:
        self.worker, self.owner, self.cancel = worker, owner, cancel
        synth = worker.synth
        self.sample_rate = synth.sample_rate
        self.bundle_dir = getattr(synth, "bundle_dir", None)
        self.vocoder_name = getattr(synth, "vocoder_name", "")

    def info(self) -> dict[str, Any]:
        return self.worker.synth.info()

    def stream(self, text: str, **kwargs: Any):
        def work(stop) -> list:
            out = []
            for item in self.worker.synth.stream(text, **kwargs):
                if stop.is_set():
                    raise JobCancelled("cancelled")
                out.append(item)
            return out

        return iter(self.worker.run(work, owner=self.owner, size=len(text), cancel=self.cancel))


class BatchHandlers:
    def __init__(self, worker: EngineWorker, output_dir: Path) -> None:
        self.worker, self.output_dir = worker, Path(output_dir)
        self._secret = secrets.token_hex(16)  # folder names: unguessable, stable within this server run

    def _script(self, text: str, upload: Any):
        import gradio as gr

        from ..script import ScriptError, parse_script

        if upload:
            try:
                text = Path(upload if isinstance(upload, str) else upload.name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise gr.Error(f"无法读取文件（需要 UTF-8 文本）/ cannot read the file (UTF-8 text needed): "
                               f"{safe_text(e)}") from None
        text = text if isinstance(text, str) else ""
        if not text.strip():
            raise gr.Error("请粘贴或上传书稿。Paste or upload a script first.")
        if len(text) > MAX_SCRIPT_CHARS:
            raise gr.Error(f"书稿太长：{len(text)} 字，上限 {MAX_SCRIPT_CHARS}。Script too long.")
        try:
            return text, parse_script(text, source="script")
        except ScriptError as e:
            raise gr.Error("书稿有错误 / problems in the script:\n" + "\n".join(
                f"第 {p.lineno} 行第 {p.col} 列 (line {p.lineno}:{p.col}): {safe_text(p.message)}"
                for p in e.problems[:20])) from None

    def preview(self, text: str, upload: Any):
        import gradio as gr

        from ..batch.runner import plan_script

        text, script = self._script(text, upload)
        try:
            jobs, cast, _ = plan_script(script, self.worker.synth)
        except ValueError as e:
            raise gr.Error(safe_text(e)) from None
        rows = [[j.lineno, j.character, j.voice or "", j.emotion or "neutral", j.emotion_source, j.intensity,
                 j.speed, j.pitch, j.text] for j in jobs]
        cast_md = " · ".join(f"**{c.character}** → {c.voice} (pitch {c.pitch:g}, speed {c.speed:g})"
                             for c in cast.values())
        return rows, f"{len(jobs)} 句 lines。{cast_md}"

    def render(self, text: str, upload: Any, fmt: str, progress=None, request: Any = None):
        import gradio as gr

        from ..batch.runner import BatchCancelled, run_batch

        text, script = self._script(text, upload)
        key = hashlib.sha256((self._secret + text).encode("utf-8")).hexdigest()[:24]
        out = self.output_dir / f"batch-{key}"
        owner = getattr(request, "session_hash", None) if request is not None else None

        def on_progress(p) -> None:
            if progress is None:
                return
            eta = f" · ETA {int(p.eta_s) // 60}:{int(p.eta_s) % 60:02d}" if p.eta_s is not None else ""
            what = f"第 {p.job.lineno} 行 {p.job.character} {p.job.emotion or 'neutral'}" if p.job else "准备 preparing"
            progress((p.done, p.total), desc=f"{what}{eta}", unit="lines")

        formats = ["wav"] + ([fmt] if fmt and fmt != "wav" else [])
        try:
            res = run_batch(script, out, _EngineProxy(self.worker, owner, None), name="book", formats=formats,
                            progress=on_progress)
        except (BatchCancelled, JobCancelled):
            return gr.skip(), gr.skip(), "已停止，已完成的句子会在下次继续使用。Stopped; finished lines are kept."
        except ValueError as e:  # unknown voice, bad format
            raise gr.Error(safe_text(e)) from None
        files = [str(out / f) for f in res.files.values()]
        note = (f"{len(res.jobs)} 句 lines · {res.audio_s:.1f} s · 新合成 rendered {res.rendered} · "
                f"沿用 reused {res.skipped}")
        if res.warnings:
            note += "  \n" + "  \n".join(safe_text(w) for w in res.warnings[:5])
        return str(out / res.files["wav"]), files, note


def build_batch_section(worker: EngineWorker, output_dir: Path) -> None:
    """Add the 书稿/批量 section to the gr.Blocks being built (call inside ``with gr.Blocks()``)."""
    import gradio as gr

    from ..batch.runner import AUDIO_FORMATS

    h = BatchHandlers(worker, output_dir)
    with gr.Accordion("书稿/批量 Scripts & batches（有声书、广播剧、批量配音）", open=False, elem_id="batch-section"):
        gr.Markdown(HELP)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                script = gr.Textbox(label="书稿 Script", lines=10, max_lines=30, value=EXAMPLE, elem_id="batch-script")
                upload = gr.File(label="或上传 .txt / or upload a .txt", file_types=[".txt"], elem_id="batch-upload")
            with gr.Column(scale=2):
                fmt = gr.Dropdown(list(AUDIO_FORMATS), value="wav", label="附加格式 Extra format")
                preview_btn = gr.Button("预览 Preview", elem_id="batch-preview")
                render_btn = gr.Button("生成全部 Render all", variant="primary", elem_id="batch-render")
                status = gr.Markdown("", elem_id="batch-status")
        table = gr.Dataframe(headers=PREVIEW_HEADERS, interactive=False, wrap=True, elem_id="batch-preview-table")
        audio = gr.Audio(label="合成结果 Joined audio", type="filepath", interactive=False, buttons=["download"])
        files = gr.File(label="下载 Downloads (audio, SRT, WebVTT, manifest)", file_count="multiple",
                        interactive=False)

        def _render(text, up, f, request: gr.Request, progress=gr.Progress()):
            return h.render(text, up, f, progress=progress, request=request)

        _render.__annotations__["request"] = gr.Request
        preview_btn.click(h.preview, [script, upload], [table, status], api_visibility="private")
        render_btn.click(_render, [script, upload, fmt], [audio, files, status], concurrency_id="engine-batch",
                         api_visibility="private")
