"""``python -m index_tts`` end to end through subprocesses: models, synth, error handling."""
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from index_tts import hub
from index_tts.cli import _emotion_kwargs, CLIError

from test_hub import make_bundle

ROOT = hub.PROJECT_ROOT


def run_cli(*args, env=None, timeout=300):
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "index_tts", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def assert_clean_error(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for f in fragments:
        assert f in proc.stderr, proc.stderr


def test_models_list_and_verify(tmp_path):
    root = tmp_path / "hub"
    make_bundle(root / "tiny")
    make_bundle(root / "other", name="other")
    env = {"INDEX_TTS_HUB": str(root)}
    out = run_cli("models", "list", env=env)
    assert out.returncode == 0, out.stderr
    names = [line.split("\t")[0] for line in out.stdout.splitlines()]
    assert names == ["other", "tiny"]
    assert "tiny test bundle" in out.stdout
    ok = run_cli("models", "verify", env=env)
    assert ok.returncode == 0 and ok.stdout.split() == ["OK", "other", "OK", "tiny"]
    (root / "tiny" / "MODEL_CARD.md").write_text("edited\n")
    bad = run_cli("models", "verify", env=env)
    assert bad.returncode == 2
    assert "OK    other" in bad.stdout and "FAIL  tiny" in bad.stdout and "MODEL_CARD.md" in bad.stdout
    missing = run_cli("models", "verify", "ghost", env=env)
    assert_clean_error(missing, "ghost", "models fetch")


def test_models_fetch_errors_are_clean(tmp_path):
    env = {"INDEX_TTS_HUB": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    assert_clean_error(run_cli("models", "fetch", "someone/voice", env=env), "HF_HUB_OFFLINE", "models build")
    assert_clean_error(run_cli("models", "fetch", "voice", env=env), "OWNER/NAME")
    assert_clean_error(run_cli("models", "fetch", env=env), "repository id")


def test_synth_bad_input_exits_2(tmp_path):
    env = {"INDEX_TTS_HUB": str(tmp_path / "empty-hub")}
    no_model = run_cli("synth", "--text", "你好。", "--out", str(tmp_path / "a.wav"), "--model", "ghost", env=env)
    assert_clean_error(no_model, "ghost", "bash start_app.sh")
    no_file = run_cli("synth", "--text-file", str(tmp_path / "none.txt"), "--out", str(tmp_path / "a.wav"))
    assert_clean_error(no_file, "text file not found")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    not_utf8 = run_cli("synth", "--text-file", str(tmp_path / "latin1.txt"), "--out", str(tmp_path / "a.wav"))
    assert_clean_error(not_utf8, "not UTF-8")
    usage = run_cli("synth", "--out", str(tmp_path / "a.wav"))  # neither --text nor --text-file
    assert usage.returncode == 2 and "--text" in usage.stderr
    assert not (tmp_path / "a.wav").exists()


def test_emotion_flag_parsing():
    assert _emotion_kwargs("happy", 0.5) == {"emotion_label": "happy", "intensity": 0.5}
    assert _emotion_kwargs("0.8,0,0,0,0,0,0.2,0", 0.7) == {
        "emotion_vector": [0.8, 0, 0, 0, 0, 0, 0.2, 0], "intensity": 0.7}
    assert _emotion_kwargs(None, 0.6) == {}
    with pytest.raises(CLIError, match="comma-separated"):
        _emotion_kwargs("0.8,x", 0.6)


needs_default = pytest.mark.skipif(
    not (hub.hub_dir() / hub.DEFAULT_BUNDLE / "config.json").is_file(),
    reason="default bundle not built; run `python -m index_tts models build`",
)


def test_synth_parameter_checks_exit_2_before_loading(tmp_path):
    """Range and empty-text checks happen before the model loads (works without any bundle)."""
    env = {"INDEX_TTS_HUB": str(tmp_path / "empty-hub")}
    out = tmp_path / "x.wav"
    assert_clean_error(run_cli("synth", "--text", "你好。", "--out", str(out), "--speed", "5", env=env),
                       "--speed must be between 0.7 and 1.3")
    assert_clean_error(run_cli("synth", "--text", "你好。", "--out", str(out), "--intensity", "-1", env=env),
                       "--intensity")
    assert_clean_error(run_cli("synth", "--text", "   ", "--out", str(out), env=env), "text is empty")
    assert not out.exists()


@needs_default
def test_synth_writes_wav(tmp_path):
    (tmp_path / "t.txt").write_text("你好，欢迎使用。", encoding="utf-8")
    out = tmp_path / "hello.wav"
    proc = run_cli("synth", "--text-file", str(tmp_path / "t.txt"), "--out", str(out), "--device", "cpu",
                   "--speed", "1.1")
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout
    wav, sr = sf.read(str(out), dtype="float32")
    assert sr == 24000 and wav.ndim == 1
    assert 0.6 < len(wav) / sr < 4.0
    assert np.abs(wav).max() > 0.05  # not silence


@needs_default
def test_synth_unknown_emotion_exit_2(tmp_path):
    out = tmp_path / "x.wav"
    proc = run_cli("synth", "--text", "你好。", "--out", str(out), "--emotion", "no-such-emotion", "--device", "cpu")
    assert_clean_error(proc, "no-such-emotion")
    assert not out.exists()


def test_models_list_empty_hub_names_the_fix(tmp_path):
    proc = run_cli("models", "list", env={"INDEX_TTS_HUB": str(tmp_path)})
    assert proc.returncode == 0 and "models build" in proc.stdout
