"""The torch-free pieces of the ONNX backend: the random draws, the prosody arithmetic, and a
server on that backend that never imports PyTorch."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from index_tts.acoustic import prosody_math as pm
from index_tts.acoustic.config import FastSpeech2Config
from index_tts.acoustic.controls import ProsodyControl
from index_tts.utils.rng import TorchRandom

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("seed", [0, 1, 77, 2**31 + 5, 2**32 - 1])
def test_torch_random_draws_what_torch_rand_draws(seed):
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(seed)
    r = TorchRandom(seed)
    for shape in [(1, 37, 256), (3,), (2, 5, 17)]:  # successive draws stay in step
        assert np.array_equal(torch.rand(shape, generator=g).numpy(), r.rand(shape))


def test_durations_round_scale_and_never_vanish():
    cfg = FastSpeech2Config()
    frames = np.array([[0.4, 1.6, 2.4, 3.49, 0.2]], np.float32)
    log_dur = np.log(frames + cfg.duration_offset).astype(np.float32)
    mask = np.ones_like(frames)
    assert pm.controlled_durations(log_dur, mask, cfg, None).tolist() == [[0, 2, 2, 3, 0]]
    twice = pm.controlled_durations(log_dur, mask, cfg, ProsodyControl(speed=0.5))
    assert twice.tolist() == [[1, 3, 5, 7, 0]]  # 0.8 3.2 4.8 6.98 0.4
    tiny = np.log(np.full((1, 3), 0.1, np.float32) + cfg.duration_offset).astype(np.float32)
    tiny[0, 1] += 0.01  # the longest symbol keeps one frame
    assert pm.controlled_durations(tiny, np.ones((1, 3), np.float32), cfg, None).tolist() == [[0, 1, 0]]
    with pytest.raises(ValueError, match="duration_scale"):
        pm.controlled_durations(log_dur, mask, cfg, ProsodyControl(duration_scale=np.array([1, 1, -1, 1, 1.0])))


def test_pitch_and_energy_controls_in_hz_and_db():
    cfg = FastSpeech2Config()
    hz = np.array([[220.0, 10.0, 330.0]], np.float32)  # the middle symbol is unvoiced (below the floor)
    f0 = (hz - cfg.f0_mean_hz) / cfg.f0_std_hz
    mask = np.ones_like(f0)
    up = pm.controlled_f0(f0, mask, np.ones_like(f0), cfg, ProsodyControl(pitch_shift=np.full(3, 12.0)))
    got = cfg.f0_mean_hz + cfg.f0_std_hz * up
    assert np.allclose(got[0, [0, 2]], [440.0, 660.0], rtol=1e-4) and got[0, 1] == pytest.approx(10.0, abs=1e-3)
    flat = pm.controlled_f0(f0, mask, np.ones_like(f0), cfg, ProsodyControl(pitch_range=np.zeros(3)))
    flat_hz = cfg.f0_mean_hz + cfg.f0_std_hz * flat
    assert flat_hz[0, 0] == pytest.approx(flat_hz[0, 2], rel=1e-4)  # no range left: the geometric mean
    assert flat_hz[0, 0] == pytest.approx(np.sqrt(220.0 * 330.0), rel=1e-3)
    energy = np.array([[0.0, 1.0]], np.float32)
    louder = pm.controlled_energy(energy, np.ones_like(energy), cfg, ProsodyControl(energy_db=np.full(2, 20.0)))
    lin = cfg.energy_mean + cfg.energy_std * energy
    assert np.allclose(cfg.energy_mean + cfg.energy_std * louder, 10 * lin, rtol=1e-4)
    with pytest.raises(ValueError, match="non-finite"):
        pm.controlled_energy(energy, np.ones_like(energy), cfg, ProsodyControl(energy_db=np.array([np.nan, 0.0])))


def test_frame_index_and_gain_ramps():
    assert pm.frame_index(np.array([2, 0, 3])).tolist() == [0, 0, 2, 2, 2]
    const = pm.frame_gain_db(np.full((1, 3), 6.0, np.float32), np.array([[4, 2, 5]]), 13)
    assert np.allclose(const[0, :11], 6.0) and np.all(const[0, 11:] == 0)  # constant stays exact
    step = pm.frame_gain_db(np.array([[0.0, 10.0]], np.float32), np.array([[10, 10]]), 20)[0]
    assert step[0] == 0 and step[-1] == pytest.approx(10.0) and np.all(np.diff(step) >= 0)
    assert 0 < step[9] < 10 and 0 < step[10] < 10  # a short ramp, not a step


def test_band_centres_match_librosa():
    librosa = pytest.importorskip("librosa")
    from index_tts.audio.mel_config import MelConfig

    cfg = MelConfig()
    want = librosa.mel_frequencies(n_mels=cfg.n_mels + 2, fmin=cfg.fmin, fmax=cfg.fmax)[1:-1]
    assert np.allclose(pm.mel_band_centres(cfg), want, rtol=1e-9)


def test_onnx_server_never_imports_torch(tmp_path):
    """A fresh interpreter: the ONNX Synthesizer + the API-only app answer plain, streamed and
    OpenAI-style requests, and torch is never imported."""
    pytest.importorskip("onnxruntime")
    from index_tts import hub

    bundle = hub.ensure_default_bundle()
    try:
        from index_tts.onnx.runtime import read_info

        read_info(bundle)
    except FileNotFoundError:  # a fresh clone: export into a copy (exporting needs torch; the child must not)
        import shutil

        from index_tts.cli import main as cli

        copy = tmp_path / "bundle" / bundle.name
        shutil.copytree(bundle, copy, ignore=shutil.ignore_patterns("onnx"))
        assert cli(["export-onnx", "--bundle", str(copy)]) == 0
        bundle = copy
    code = textwrap.dedent(f"""
        import json, sys
        from fastapi.testclient import TestClient
        from index_tts import Synthesizer
        from index_tts.server import create_app
        s = Synthesizer(model_path={str(bundle)!r}, backend="onnx")
        c = TestClient(create_app(s, ui=False, output_dir={str(tmp_path / 'out')!r}))
        out = {{}}
        r = c.post("/synthesize", json={{"text": "你好，世界。今天天气不错。", "seed": 1}})
        out["plain"] = [r.status_code, len(r.content)]
        r = c.post("/synthesize", json={{"text": "你好，世界。今天天气不错。", "seed": 1, "stream": True,
                                         "format": "pcm"}})
        out["stream"] = [r.status_code, len(r.content)]
        r = c.post("/v1/audio/speech", json={{"input": "你好。", "response_format": "wav"}})
        out["openai"] = [r.status_code, len(r.content)]
        out["torch"] = "torch" in sys.modules
        print(json.dumps(out))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["plain"][0] == out["stream"][0] == out["openai"][0] == 200
    assert out["plain"][1] > 44 + 24000 and out["openai"][1] > 44 + 4800
    assert out["stream"][1] == out["plain"][1] - 44  # the same samples, as raw pcm
    assert out["torch"] is False


def test_onnx_device_without_a_cuda_provider(monkeypatch):
    """No GPU was lent to this project: the CUDA provider is tested only for its fallback."""
    ort = pytest.importorskip("onnxruntime")
    from index_tts.engines.loader import _onnx_device
    from index_tts.errors import InvalidParameterError

    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert _onnx_device("auto", None) == "cpu" and _onnx_device("cpu", None) == "cpu"
    with pytest.raises(InvalidParameterError, match="CUDA"):
        _onnx_device("cuda", None)
    with pytest.raises(InvalidParameterError, match="device"):
        _onnx_device("tpu", None)
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert _onnx_device("auto", None) == "cuda" and _onnx_device(None, True) == "cuda"
    assert _onnx_device("auto", False) == "cpu"
