"""``python -m index_tts.train <command> [options]``: training entry points, imported lazily."""
from __future__ import annotations

import importlib
import sys
from typing import Optional

# command -> (module, function, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "vocoder": ("index_tts.train.vocoder", "main", "train a HiFi-GAN vocoder from a JSON config"),
    "vocoder-export": ("index_tts.train.vocoder_export", "main_export", "export a checkpoint as a vocoder folder"),
    "vocoder-install": ("index_tts.train.vocoder_export", "main_install", "install a vocoder folder into a bundle"),
    "vocoder-bench": ("index_tts.eval.vocoder_bench", "main", "time vocoder inference speed (audio seconds per second)"),
    "make-vocoder-data": ("index_tts.train.vocoder_teacher", "main", "synthesise (mel, wav) pairs with a bundle's voice"),
    "pack-bundle-fp16": ("index_tts.train.carry", "main", "copy a bundle with fp16 weights (to carry to a GPU machine)"),
    "make-sentences": ("index_tts.train.sentences", "main", "write a list of generated Mandarin sentences"),
    "acoustic": ("index_tts.train.acoustic", "main", "train the FastSpeech2 acoustic model"),
}


def usage() -> str:
    lines = ["usage: python -m index_tts.train <command> [options]", "", "commands:"]
    lines += [f"  {name:<18} {help_}" for name, (_, _, help_) in COMMANDS.items()]
    lines.append("\n'python -m index_tts.train <command> --help' describes a command's options.")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module_name, func_name, _ = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(f"command {name!r} is not available in this installation ({module_name} is missing)", file=sys.stderr)
        return 2
    func = getattr(module, func_name, None)
    if func is None:
        print(f"command {name!r}: {module_name} has no {func_name}(argv) function", file=sys.stderr)
        return 2
    try:
        return int(func(rest) or 0)
    except (ValueError, FileNotFoundError) as exc:  # bad input: a message, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
