"""scripts/setup_env.sh builds the optional Kokoro voices without ever blocking a start."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run_setup_kokoro(hub: Path, bindir: Path, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": str(bindir), "INDEX_TTS_HUB": str(hub), "HOME": os.environ.get("HOME", "/tmp"), **(extra_env or {})}
    script = f'. "{ROOT}/scripts/setup_env.sh" && cd "{ROOT}" && _setup_kokoro; echo "rc=$?"'
    return subprocess.run(["/bin/bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def no_npm_bin(tmp_path):
    """A PATH with python (this interpreter) and the few tools the script uses, but no npm."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bindir / "python").chmod(0o755)
    for tool in ("cat", "tail", "mkdir", "rm", "sh", "dirname"):
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} not found")
        (bindir / tool).symlink_to(found)
    return bindir


def test_failed_build_is_a_warning_and_not_retried(tmp_path, no_npm_bin):
    hub = tmp_path / "hub"
    first = _run_setup_kokoro(hub, no_npm_bin)
    assert first.stdout.strip().endswith("rc=0")
    assert "WARNING" in first.stderr and "npm" in first.stderr and "default voice works" in first.stderr
    assert (hub / ".kokoro-zh.failed").is_file() and not (hub / "kokoro-zh").exists()
    again = _run_setup_kokoro(hub, no_npm_bin)  # next start: no new attempt, no delay, no noise
    assert again.stdout.strip().endswith("rc=0") and again.stderr == ""


def test_opt_out_and_warm_start_do_nothing(tmp_path, no_npm_bin):
    hub = tmp_path / "hub"
    off = _run_setup_kokoro(hub, no_npm_bin, {"INDEX_TTS_KOKORO": "0"})
    assert off.stderr == "" and not hub.exists()
    (hub / "kokoro-zh").mkdir(parents=True)
    (hub / "kokoro-zh" / "config.json").write_text('{"model": {"prosody_inputs": true}}')
    warm = _run_setup_kokoro(hub, no_npm_bin, {"INDEX_TTS_KOKORO": "1"})
    assert warm.stderr == "" and warm.stdout.strip().endswith("rc=0")


def test_an_older_bundle_that_cannot_be_updated_is_kept_with_a_warning(tmp_path, no_npm_bin):
    """A bundle from before the prosody inputs: set-up tries to bring it up to date; when that
    fails (here: no manifest, no npm) it warns, succeeds, and leaves the bundle as it was."""
    hub = tmp_path / "hub"
    (hub / "kokoro-zh").mkdir(parents=True)
    (hub / "kokoro-zh" / "config.json").write_text("{}")
    old = _run_setup_kokoro(hub, no_npm_bin, {"INDEX_TTS_KOKORO": "1"})
    assert old.stdout.strip().endswith("rc=0") and "could not update" in old.stderr
    assert (hub / "kokoro-zh" / "config.json").read_text() == "{}"
