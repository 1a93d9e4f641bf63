#!/usr/bin/env bash
# IndexTTS: one command to set up and start the web UI + HTTP API.
#
#   bash start_app.sh [--host 0.0.0.0] [--port 7860] [--gpu|--cpu] [--backend torch|onnx] [--auth user:password] [--share]
#
# First start: creates .venv, installs requirements.txt, builds the default voice
# (a few minutes). Later starts skip whatever is already done (seconds).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PID_FILE="${INDEX_TTS_PID_FILE:-$ROOT/.run/app.pid}"

usage() {
    cat <<'EOF'
Usage: bash start_app.sh [options] [-- extra webui.py options]

Sets up everything on the first run (virtual environment .venv, Python packages,
default voice model in cache_hub/), then serves the web UI and the HTTP API on one port.
A previous instance started from this folder is stopped first.

Options:
  --host HOST         interface to listen on (default 0.0.0.0: reachable from the LAN;
                      use 127.0.0.1 for this computer only)
  --port PORT         port (default 7860)
  --gpu               install the CUDA build of PyTorch and run on the GPU
  --cpu               run on the CPU even when a GPU is available
  --backend NAME      torch (default) or onnx: run the networks in ONNX Runtime (faster on a
                      CPU; the graphs are exported into the voice bundle once, ~10 s)
  --auth USER:PASS    require HTTP Basic auth for UI and API (or set INDEX_TTS_AUTH)
  --share             also open a public Gradio share link (needs internet; off by default)
  -h, --help          show this help

Extra options after "--" go to webui.py, e.g.:  bash start_app.sh -- --model my-bundle --max-chars 8000
                                               bash start_app.sh -- --api-only   (HTTP API, no web page)
Stop with Ctrl+C (or: kill $(cat .run/app.pid)).
EOF
}

die() { printf 'ERROR: %s\n' "$*" >&2; exit 2; }

HOST=0.0.0.0
PORT=7860
MODE=cpu
DEVICE=auto
SHARE=0
AUTH="${INDEX_TTS_AUTH:-}"
BACKEND="${INDEX_TTS_BACKEND:-torch}"
EXTRA=()
while [ $# -gt 0 ]; do
    case "$1" in
        --host) [ $# -ge 2 ] || die "--host needs a value"; HOST="$2"; shift 2 ;;
        --host=*) HOST="${1#*=}"; shift ;;
        --port) [ $# -ge 2 ] || die "--port needs a value"; PORT="$2"; shift 2 ;;
        --port=*) PORT="${1#*=}"; shift ;;
        --gpu) MODE=gpu; DEVICE=cuda; shift ;;
        --cpu) MODE=cpu; DEVICE=cpu; shift ;;
        --backend) [ $# -ge 2 ] || die "--backend needs torch or onnx"; BACKEND="$2"; shift 2 ;;
        --backend=*) BACKEND="${1#*=}"; shift ;;
        --auth) [ $# -ge 2 ] || die "--auth needs user:password"; AUTH="$2"; shift 2 ;;
        --auth=*) AUTH="${1#*=}"; shift ;;
        --share) SHARE=1; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; EXTRA=("$@"); break ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done
case "$BACKEND" in torch|onnx) ;; *) die "--backend must be torch or onnx, got '$BACKEND'" ;; esac
export INDEX_TTS_BACKEND="$BACKEND"
case "$PORT" in
    ''|*[!0-9]*) die "--port must be a number, got '$PORT'" ;;
esac
[ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "--port must be between 1 and 65535"
if [ -n "$AUTH" ]; then
    case "$AUTH" in
        ?*:?*) ;;
        *) die "--auth must look like user:password" ;;
    esac
fi

cd "$ROOT"
mkdir -p "$ROOT/.run"

# Stop the instance a previous start left running (checked by its command line, never by
# name), then make sure the port is free before spending time on set-up.
BOOT_PY="${PYTHON:-python3.11}"
command -v "$BOOT_PY" >/dev/null 2>&1 || BOOT_PY=python3
PYTHONPATH="$ROOT" "$BOOT_PY" -m index_tts.server.runctl stop-previous --pid-file "$PID_FILE" --script "$ROOT/webui.py"
if ! PYTHONPATH="$ROOT" "$BOOT_PY" -m index_tts.server.runctl check-port --host "$HOST" --port "$PORT"; then
    exit 3
fi

# shellcheck source=scripts/setup_env.sh
. "$ROOT/scripts/setup_env.sh"
setup_env "--$MODE" || exit 1

ARGS=(--host "$HOST" --port "$PORT" --device "$DEVICE" --pid-file "$PID_FILE")
[ "$SHARE" = 1 ] && ARGS+=(--share)
# The password goes through the environment, not the command line (ps shows that).
if [ -n "$AUTH" ]; then export INDEX_TTS_AUTH="$AUTH"; else unset INDEX_TTS_AUTH; fi
export GRADIO_ANALYTICS_ENABLED=False

printf '[start] loading the model and starting the server on port %s ...\n' "$PORT" >&2
# exec: the server replaces this shell, so Ctrl+C / SIGTERM reach it directly and it
# removes its pid file and temp files on the way out.
exec python "$ROOT/webui.py" "${ARGS[@]}" "${EXTRA[@]}"
