"""IndexTTS web app: Gradio UI + HTTP API on one port.

Usually started by ``bash start_app.sh`` (which sets up the venv and the model first)::

    python webui.py [--host 127.0.0.1] [--port 7860] [--device auto|cpu|cuda] [--auth user:pass] [--api-only]

``--api-only`` serves the HTTP API without the web page: Gradio is never imported.

Without ``--host`` it listens on 127.0.0.1 (this computer only).  Listening on another
interface without ``--auth`` logs a warning: anyone on that network can then use the app
(see "Security and threat model" in README.md).

Nothing heavy happens at import; everything starts in ``main()``.
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent
RUN_DIR = ROOT / ".run"
DEFAULT_PID_FILE = RUN_DIR / "app.pid"

log = logging.getLogger("index_tts.webui")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="IndexTTS web UI and HTTP API (one port).")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on (default 127.0.0.1 = this computer only; 0.0.0.0 = all)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="inference device")
    p.add_argument("--model", default=None, help="bundle name in cache_hub/ or a bundle folder (default baker-zh)")
    p.add_argument("--fp16", action="store_true", help="half precision on CUDA")
    p.add_argument("--auth", default=os.environ.get("INDEX_TTS_AUTH") or None,
                   help="user:password for HTTP Basic auth on UI and API (or env INDEX_TTS_AUTH)")
    p.add_argument("--share", action="store_true", help="also open a public Gradio share link (needs internet)")
    p.add_argument("--max-chars", type=int, default=5000, help="longest text accepted (default 5000)")
    p.add_argument("--output-dir", type=Path, default=ROOT / "outputs", help="where the UI saves wav files")
    p.add_argument("--max-pending", type=int, default=16,
                   help="requests allowed to wait for the engine before new ones get 503 (default 16)")
    p.add_argument("--temp-cap-mb", type=int, default=200,
                   help="size cap of the UI's temp folder (uploads, served copies) in MB (default 200)")
    p.add_argument("--pid-file", type=Path, default=DEFAULT_PID_FILE, help="pid file (default .run/app.pid)")
    p.add_argument("--api-only", action="store_true",
                   help="serve only the HTTP API, without the web UI (Gradio is not loaded: less memory)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for the networks (default: all cores)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return p


def _open_share_link(port: int) -> None:
    """Best effort: a public *.gradio.live link through Gradio's tunnel (needs internet)."""
    import secrets

    try:
        from gradio import networking

        url = networking.setup_tunnel("127.0.0.1", port, secrets.token_urlsafe(32), None, None)
        log.warning("public share link: %s (anyone with it can use this app)", url)
    except Exception as e:  # offline machines end here
        log.warning("could not open a public share link (%s); the app stays available locally", e)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from index_tts.server.middleware import parse_auth
    from index_tts.server.runctl import port_busy_message, port_in_use, remove_pid, write_pid

    try:
        parse_auth(args.auth)
    except ValueError as e:
        print(f"ERROR: --auth: {e}", file=sys.stderr)
        return 2
    if port_in_use(args.host, args.port):
        print(port_busy_message(args.host, args.port), file=sys.stderr)
        return 3

    from index_tts.server.memory import tune_malloc

    tune_malloc()  # bounded arenas, big blocks via mmap: long texts do not leave a bloated heap
    # Gradio reads these at import time: set them before anything imports it.
    tmp_dir = RUN_DIR / f"tmp-{os.getpid()}"
    (tmp_dir / "scratch").mkdir(parents=True, exist_ok=True)
    os.chmod(tmp_dir, 0o700)
    os.environ["GRADIO_TEMP_DIR"] = str(tmp_dir / "gradio")  # unused with --api-only
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Ctrl+C / SIGTERM end the process through SystemExit, so the finally below always
    # runs; uvicorn swaps in its own handlers while serving and re-raises the signal to
    # these after its graceful shutdown.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _exit_on_signal)
    write_pid(args.pid_file)
    try:
        return _serve(args, tmp_dir)
    finally:
        remove_pid(args.pid_file)
        shutil.rmtree(tmp_dir, ignore_errors=True)
        log.info("IndexTTS stopped")


def _exit_on_signal(signum, frame) -> None:
    raise SystemExit(0)


def _serve(args: argparse.Namespace, tmp_dir: Path) -> int:
    _clean_stale_tmp()
    from index_tts import Synthesizer
    from index_tts.errors import IndexTTSError
    from index_tts.server import create_app

    try:  # the backend comes from INDEX_TTS_BACKEND (start_app.sh --backend); onnx never imports torch
        synth = Synthesizer(model_path=args.model, device=args.device, fp16=args.fp16, threads=args.threads)
    except (IndexTTSError, FileNotFoundError, RuntimeError) as e:
        print(f"ERROR: cannot load the model: {e}", file=sys.stderr)
        return 1
    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.auth:
        log.warning("listening on %s WITHOUT --auth: anyone who can reach this port can use the app "
                    "and the engine; add --auth user:password or use --host 127.0.0.1", args.host)
    app = create_app(synth, auth=args.auth, max_chars=args.max_chars, output_dir=args.output_dir,
                     max_pending=args.max_pending, scratch_dir=tmp_dir / "scratch",
                     temp_cap_bytes=args.temp_cap_mb << 20, ui=not args.api_only)
    if args.api_only and args.share:
        log.warning("--share needs the web UI; ignored with --api-only")
        args.share = False

    import uvicorn

    config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level,
                            timeout_graceful_shutdown=3, access_log=False)
    server = uvicorn.Server(config)
    threading.Thread(target=_announce_when_ready, args=(server, args, app.state.worker), daemon=True).start()
    threading.Thread(target=_stop_engine_on_exit, args=(server, app.state.worker), daemon=True).start()
    server.run()
    if not server.started:
        print(f"ERROR: the server could not start on {args.host}:{args.port} (see the log above)", file=sys.stderr)
        return 1
    return 0


def _announce_when_ready(server, args: argparse.Namespace, worker) -> None:
    import time

    while not server.started and not server.should_exit:
        time.sleep(0.2)
    if not server.started:
        return
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    if args.api_only:
        print(f"\nIndexTTS HTTP API is ready (no web UI): http://{shown}:{args.port}/synthesize, "
              f"/v1/audio/speech, /health. Ctrl+C stops it.\n", file=sys.stderr, flush=True)
    else:
        print(f"\nIndexTTS is ready: open http://{shown}:{args.port}/ in your browser "
              f"(HTTP API: http://{shown}:{args.port}/synthesize). Ctrl+C stops it.\n", file=sys.stderr, flush=True)
    if args.share:
        _open_share_link(args.port)
    try:  # first synthesis loads dictionaries etc.; do it now, not on the first user's time
        worker.synthesize("你好。")
        log.info("engine warmed up")
    except Exception as e:  # noqa: BLE001 - a failed warm-up must not stop the server
        log.warning("warm-up synthesis failed: %s", e)


def _stop_engine_on_exit(server, worker) -> None:
    """On Ctrl+C/SIGTERM stop the running synthesis at its next segment, so requests in
    progress end at once with a JSON 503 instead of being cut off by the shutdown timeout."""
    import time

    while not server.should_exit:
        time.sleep(0.1)
    worker.shutdown()


def _clean_stale_tmp() -> None:
    """Remove temp folders left by app processes that no longer run."""
    from index_tts.server.runctl import alive

    if not RUN_DIR.is_dir():
        return
    for d in RUN_DIR.glob("tmp-*"):
        pid = d.name[4:]
        if pid.isdigit() and int(pid) != os.getpid() and not alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    try:
        code = main()
    except SystemExit as e:  # Ctrl+C / SIGTERM, after main()'s clean-up ran
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    # Everything is cleaned up: skip the interpreter's slow teardown of torch/gradio
    # (seconds on a busy machine) so a restart or Ctrl+C frees the port at once.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
