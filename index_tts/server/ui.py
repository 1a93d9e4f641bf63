"""Gradio web UI, mounted at ``/`` of the API app (same port, same auth, same engine).

Controls the engine does not offer (voices, emotions, reference audio: read from
``Synthesizer.info()``) are not shown.  The page loads nothing from the internet:
system fonts only, analytics off, no CDN.
"""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from ..hub import PROJECT_ROOT
from ..request import SETTINGS
from .engine import EngineWorker
from .ffmpeg import find_ffmpeg
from .outputs import TempJanitor, remove_partials
from .ui_batch import build_batch_section
from .ui_handlers import UIConfig, _Handlers, unique_output_path

__all__ = ["UIConfig", "_Handlers", "build_ui", "mix_emotions", "mix_vector", "mount_ui", "setting_slider",
           "unique_output_path"]

log = logging.getLogger(__name__)

SYSTEM_FONTS = ["system-ui", "-apple-system", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC",
                "Source Han Sans SC", "WenQuanYi Micro Hei", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Consolas", "monospace"]

CSS = """
.gradio-container {max-width: 1180px !important; margin: auto;}
#title h1 {margin-bottom: 0;}
#status {min-height: 2.2em;}
.mix-note p {font-size: 0.9em; opacity: 0.85; margin: 0;}
#emotion-mix .head {flex-wrap: nowrap; gap: 4px;}
#emotion-mix .head label {min-width: 0;}
#emotion-mix [data-testid="block-info"] {white-space: nowrap;}
#emotion-mix input[type=number] {width: 3.6em; min-width: 0; flex: none; padding-left: 4px; padding-right: 4px;}
footer {display: none !important;}
"""

PRONUNCIATION_HELP = """
**多音字 / pronunciation overrides.** Put the pinyin (tone number 1–5, 5 = neutral tone)
in square brackets right after the character — or after a whole word, one syllable per
character — to force its reading:

| 输入 you type | 读作 reads |
|---|---|
| `还[huan2]书` | huán shū (return a book) |
| `还[hai2]有` | hái yǒu (also) |
| `银行[yin2 hang2]` | yín háng (bank) |
| `长[zhang3]大` | zhǎng dà (grow up) |

Numbers, dates and units are read out automatically (`2024年` → 二零二四年).
The HTTP API also takes a dictionary: `"pinyin_overrides": {"还款": "huan2 kuan3"}`.
"""


MIX_HELP = ("滑块 > 0 的情感与上面“情感”下拉框选中的情感（满权重）混合；总和超过上限时按比例缩小，"
            "“情感强度”作用于整体。下拉框为“中性”时只用滑块。  \nThe sliders above 0 are mixed with the "
            "Emotion dropdown's choice (at full weight); when the sum is over the cap all are scaled down, "
            "and Intensity scales the whole mix. With the dropdown at neutral the sliders alone count "
            "(the same rule as the API's emotion + emotion_vector).")

REFERENCE_HELP = ("上传或录制一段 3–15 秒的语音，模仿它的语速、音高与语气；音色选“克隆参考音色（学生）”时，"
                  "连音色一起克隆（每段参考音频第一次较慢；听着发闷或不清楚时调低“音色贴合”）；选“克隆参考音色"
                  "（Kokoro 教师）”时，在 Kokoro 教师模型里搜索最像的音色（每段新音频约 15 分钟，之后缓存）。"
                  "  \nUpload or record 3–15 s of speech to imitate its pace, pitch and tone; with the voice "
                  "克隆参考音色（学生） its voice is cloned too (slower the first time for each clip; lower "
                  "Timbre match if the clone sounds muffled or unclear); with 克隆参考音色（Kokoro 教师） a "
                  "Kokoro teacher style is searched to sound like it (about 15 minutes per new clip, then cached).")


def mix_emotions(emotions: list[str]) -> list[str]:
    """The emotions that get a mix slider: every one the engine offers except neutral."""
    return [e for e in emotions if e != "neutral"]


def setting_slider(name: str, **extra):
    """A gr.Slider with the core's range, default, step, label and hint of setting ``name``."""
    import gradio as gr

    s = SETTINGS[name]
    kw = dict(value=s.default, step=s.step, label=s.label)
    if s.info:
        kw["info"] = s.info
    kw.update(extra)
    return gr.Slider(s.low, s.high, **kw)


def mix_vector(names: list[str], values) -> dict[str, float] | None:
    """``{name: weight}`` for the sliders above 0, or None when all are 0 (dropdown is used)."""
    mix = {n: float(v) for n, v in zip(names, values or []) if v is not None and float(v) > 0.0}
    return mix or None


EXAMPLES = [
    "欢迎使用 IndexTTS，这是一个完全离线运行的中文语音合成系统。",
    "今天是2024年6月1日，气温25摄氏度，适合出门散步。",
    "我去图书馆还[huan2]书，还[hai2]借了两本新书。",
]


def _theme():
    import gradio as gr

    return gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=SYSTEM_FONTS, font_mono=MONO_FONTS)


def build_ui(worker: EngineWorker, cfg: UIConfig, streaming: bool | None = None):
    """The gr.Blocks page. Nothing is loaded from the network.

    ``streaming`` (default: when an ffmpeg is available, see :mod:`.ffmpeg`) makes the result
    player start with the first sentence; otherwise it gets the whole file at the end."""
    import gradio as gr

    if streaming is None:
        streaming = find_ffmpeg() is not None
        if not streaming:
            log.warning("no ffmpeg found (install ffmpeg or pip install imageio-ffmpeg): the web page plays "
                        "results only once they are complete")
    info = worker.info
    h = _Handlers(worker, cfg)
    with gr.Blocks(title="IndexTTS 中文语音合成", analytics_enabled=False,
                   delete_cache=(600, 3600)) as demo:
        gr.Markdown("# IndexTTS · 中文语音合成\n离线运行的普通话语音合成。Offline Mandarin text-to-speech — "
                    "nothing leaves this computer.", elem_id="title")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                text = gr.Textbox(label=f"文本 Text（最多 {cfg.max_chars} 字 / max {cfg.max_chars} characters）",
                                  lines=6, max_lines=20, placeholder="在这里输入中文文本…", elem_id="tts-text")
                with gr.Row():
                    gen = gr.Button("生成 Generate", variant="primary", elem_id="generate-btn", scale=3)
                    clear = gr.ClearButton([text], value="清空 Clear", scale=1)
                outputs_extra = []
                if streaming:  # plays from the first sentence on; the saved wav appears below at the end
                    outputs_extra.append(gr.Audio(label="播放 Playing（边合成边播放 plays while it is synthesized）",
                                                  streaming=True, autoplay=True, interactive=False, buttons=[],
                                                  elem_id="result-stream"))
                audio = gr.Audio(label="结果 Result（已保存的文件 the saved file）" if streaming else "结果 Result",
                                 type="filepath", interactive=False, buttons=["download"], elem_id="result-audio")
                status = gr.Markdown("", elem_id="status")
                gr.Examples(EXAMPLES, inputs=[text], label="示例 Examples")
                with gr.Accordion("多音字与读音 Pronunciation help", open=False):
                    gr.Markdown(PRONUNCIATION_HELP)
            with gr.Column(scale=2):
                many = len(info.voices) > 1
                with gr.Row(equal_height=True, visible=many):
                    voice = gr.Dropdown([(info.voice_labels.get(v, v), v) for v in info.voices],
                                        value=info.voices[0] if info.voices else None, label="音色 Voice",
                                        scale=4, elem_id="voice", visible=many)
                    preview = gr.Button("试听 Preview", scale=1, min_width=80, elem_id="voice-preview", visible=many)
                vocoders = [(v.get("display_name", v["id"]), v["id"]) for v in info.raw.get("student_vocoders") or []]
                vocoder = gr.Dropdown(vocoders, value=vocoders[0][1] if vocoders else None, elem_id="vocoder",
                                      label="声码器 Vocoder（学生音色 student voices）",
                                      visible=many and len(vocoders) > 1,
                                      info="HiFi-GAN: 音质优先 best quality · MB-MelGAN: 快速 fastest")
                preview_audio = gr.Audio(label="试听 Preview", type="numpy", interactive=False, autoplay=True,
                                         visible=many, buttons=[], elem_id="preview-audio")
                emotion_choices = [(info.emotion_labels.get(e, e), e) for e in info.emotions]
                if "neutral" not in info.emotions:
                    emotion_choices.insert(0, ("无 None", "neutral"))
                emotion = gr.Dropdown(emotion_choices, value="neutral", label="情感 Emotion",
                                      visible=bool(info.emotions))
                intensity = setting_slider("intensity", visible=bool(info.emotions))
                mix_names = mix_emotions(info.emotions)
                with gr.Accordion("情感混合 Emotion mix (advanced)", open=False, visible=bool(mix_names),
                                  elem_id="emotion-mix"):
                    gr.Markdown(MIX_HELP, elem_classes=["mix-note"])
                    mix_sliders = []
                    for i in range(0, len(mix_names), 2):
                        with gr.Row():
                            for name in mix_names[i:i + 2]:
                                mix_sliders.append(setting_slider(
                                    "emotion_weight", min_width=140, buttons=[],
                                    label=info.emotion_labels.get(name, name), elem_id=f"mix-{name}"))
                            if len(mix_names[i:i + 2]) == 1:
                                with gr.Column(min_width=140):  # keeps an odd last slider half-width
                                    pass
                speed = setting_slider("speed")
                pitch = setting_slider("pitch")
                sentence_pause = setting_slider("sentence_pause")
                comma_pause = setting_slider("comma_pause")
                with gr.Accordion("参考音频 Reference voice", open=False, visible=info.reference_audio,
                                  elem_id="reference-acc"):
                    gr.Markdown(REFERENCE_HELP, elem_classes=["mix-note"])
                    reference = gr.Audio(sources=["upload", "microphone"], type="filepath",
                                         label="参考音频 Reference clip（上传或录音 upload or record）",
                                         elem_id="reference-audio")
                    reference_strength = setting_slider("reference_strength")
                    timbre_strength = setting_slider("timbre_strength")
                with gr.Accordion("高级 Advanced", open=False):
                    seed = gr.Number(value=SETTINGS["seed"].default, precision=0, minimum=SETTINGS["seed"].low,
                                     maximum=SETTINGS["seed"].high, label=SETTINGS["seed"].label)
        with gr.Accordion("本次历史 History (this session)", open=True):
            history = gr.State([])
            with gr.Row():
                pick = gr.Dropdown([], label="选择回放 Replay", scale=2, elem_id="history-pick")
                replay = gr.Audio(label="回放 Replay", type="filepath", interactive=False,
                                  buttons=["download"], scale=3)
            files = gr.File(label="下载 Downloads", file_count="multiple", interactive=False)
        build_batch_section(worker, cfg.output_dir)  # 书稿/批量: scripts and batches (ui_batch.py)

        # Progress must stay a positional parameter (Gradio injects it by position); the
        # variable number of mix sliders arrives as *mix_values after it.
        # Gradio streams the player only from a generator function, hence two definitions.
        if streaming:
            def _generate(text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity,
                          reference, seed, history, reference_strength, timbre_strength, vocoder, request: gr.Request,
                          progress=gr.Progress(), *mix_values):
                yield from h.generate_stream(text, speed, pitch, sentence_pause, comma_pause, voice, emotion,
                                             intensity, reference, seed, history, progress=progress,
                                             reference_strength=reference_strength, timbre_strength=timbre_strength,
                                             mix=mix_vector(mix_names, mix_values), request=request, vocoder=vocoder)
        else:
            def _generate(text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity,
                          reference, seed, history, reference_strength, timbre_strength, vocoder, request: gr.Request,
                          progress=gr.Progress(), *mix_values):
                return h.generate(text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity,
                                  reference, seed, history, progress=progress,
                                  reference_strength=reference_strength, timbre_strength=timbre_strength,
                                  mix=mix_vector(mix_names, mix_values),
                                  request=request, vocoder=vocoder)

        def _closed(request: gr.Request):
            h.session_closed(request)

        # ``from __future__ import annotations`` makes these strings Gradio cannot resolve
        # (gr is local here); Gradio injects the request by its real type.
        _generate.__annotations__["request"] = gr.Request
        _closed.__annotations__["request"] = gr.Request

        inputs = [text, speed, pitch, sentence_pause, comma_pause, voice, emotion, intensity, reference, seed,
                  history, reference_strength, timbre_strength, vocoder, *mix_sliders]
        gen.click(_generate, inputs, [audio, status, history, pick, files, *outputs_extra], concurrency_id="engine",
                  api_visibility="private")
        pick.change(h.replay, [pick, history], [replay], queue=False, api_visibility="private")
        preview.click(h.preview, [voice], [preview_audio], concurrency_id="engine", api_visibility="private")
        clear.add([status])
        demo.unload(_closed)
    return demo


def mount_ui(app, worker: EngineWorker, *, max_chars: int, output_dir: str | Path | None,
             max_upload_bytes: int, scratch_dir: str | Path | None = None, temp_cap_bytes: int = 200 << 20):
    """Mount the UI at ``/`` of ``app`` and return the app.

    ``outputs/`` is deliberately not servable: the page gets results through Gradio's
    cache (random folder names); the cache is swept by age and kept under ``temp_cap_bytes``.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    out = Path(output_dir) if output_dir else PROJECT_ROOT / "outputs"
    remove_partials(out)
    # Only a temp folder of our own is swept (webui.py sets GRADIO_TEMP_DIR to .run/tmp-<pid>/gradio);
    # the shared system-wide default may hold other programs' files.
    janitor = TempJanitor(gradio_temp_root(), temp_cap_bytes) if os.environ.get("GRADIO_TEMP_DIR") else None
    scratch = Path(scratch_dir) if scratch_dir else None
    cfg = UIConfig(max_chars=max_chars, output_dir=out, max_upload_bytes=max_upload_bytes,
                   scratch_dir=scratch, janitor=janitor)
    demo = build_ui(worker, cfg)
    demo.queue(default_concurrency_limit=1, max_size=64)
    # Gradio copies returned files into its cache only from allowed folders, the working
    # directory or the system temp folder; only an outputs/ outside those must be allowed
    # (its file names are unguessable).
    allowed = [] if any(_inside(out, p) for p in (Path.cwd(), Path(tempfile.gettempdir()))) else [str(out)]
    return gr.mount_gradio_app(
        app, demo, path="/", theme=_theme(), css=CSS, allowed_paths=allowed,
        blocked_paths=[str(scratch)] if scratch else [],
        max_file_size=max_upload_bytes, footer_links=[], ssr_mode=False, show_error=True,
        mcp_server=False,
    )


def gradio_temp_root() -> Path:
    """Gradio's temp folder (uploads and the copies of results it serves)."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False
