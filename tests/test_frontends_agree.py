"""The web page's handler, the HTTP API and the CLI turn the same settings into the same audio.

All three build the core's ``SynthesisRequest`` (index_tts/request.py), so for one seed they must
give the same 16-bit samples as each other and as the Synthesizer itself, including an emotion
label combined with a mix (the core's one rule: the label at full weight plus the mix, scaled to
the cap; a neutral dropdown adds nothing).
"""
from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("httpx")
from fastapi.testclient import TestClient  # noqa: E402

from index_tts import hub  # noqa: E402
from index_tts.server import create_app  # noqa: E402
from index_tts.results import to_int16  # noqa: E402
from index_tts.server.engine import EngineWorker  # noqa: E402
from index_tts.server.ui_handlers import UIConfig, _Handlers  # noqa: E402

TEXT = "今天天气真不错，我们去公园散步吧。"
CLI_THREADS = 2  # the CLI runs torch with at most two threads (cli.limit_threads)

# name -> (common sliders, UI dropdown, UI/CLI mix, API emotion, API emotion_vector)
CASES = {
    "sliders": (dict(speed=1.1, pitch=0.94, sentence_pause=0.5, comma_pause=0.25, intensity=0.6, seed=7),
                "neutral", None, None, None),
    "label+mix": (dict(speed=1.0, pitch=1.0, sentence_pause=0.35, comma_pause=0.15, intensity=0.8, seed=3),
                  "happy", {"sad": 0.5}, "happy", {"sad": 0.5}),
    "mix only": (dict(speed=0.9, pitch=1.0, sentence_pause=0.35, comma_pause=0.15, intensity=0.7, seed=5),
                 "neutral", {"happy": 0.6, "surprised": 0.3}, None, {"happy": 0.6, "surprised": 0.3}),
}


@pytest.fixture(scope="module")
def engine(synth):
    """The real engine, run with the CLI's thread count so float sums add up in the same order."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(min(CLI_THREADS, before))
    yield synth
    torch.set_num_threads(before)


def _read(data) -> np.ndarray:
    wav, sr = sf.read(io.BytesIO(data) if isinstance(data, bytes) else data, dtype="int16")
    assert sr == 24000
    return wav


def via_ui(synth, tmp_path, common, dropdown, mix) -> np.ndarray:
    h = _Handlers(EngineWorker(synth), UIConfig(max_chars=500, output_dir=tmp_path / "ui",
                                                max_upload_bytes=1 << 20))
    path, *_ = h.generate(TEXT, common["speed"], common["pitch"], common["sentence_pause"], common["comma_pause"],
                          None, dropdown, common["intensity"], None, common["seed"], [], mix=mix)
    return _read(path)


def via_api(synth, common, emotion, vector) -> np.ndarray:
    body = {"text": TEXT, **common}
    if emotion is not None:
        body["emotion"] = emotion
    if vector is not None:
        body["emotion_vector"] = vector
    with TestClient(create_app(synth, ui=False)) as client:
        r = client.post("/synthesize", json=body)
    assert r.status_code == 200, r.text
    return _read(r.content)


def via_cli(tmp_path, common, emotion, mix) -> np.ndarray:
    out = tmp_path / "cli.wav"
    args = ["synth", "--text", TEXT, "--out", str(out), "--seed", str(common["seed"])]
    for name in ("speed", "pitch", "sentence_pause", "comma_pause", "intensity"):
        args += ["--" + name.replace("_", "-"), repr(common[name])]
    if emotion is not None:
        args += ["--emotion", emotion]
    if mix:
        args += ["--mix", ",".join(f"{k}={v}" for k, v in mix.items())]
    env = {**os.environ, "PYTHONPATH": str(hub.PROJECT_ROOT)}
    proc = subprocess.run([sys.executable, "-m", "index_tts", *args], cwd=hub.PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return _read(out)


@pytest.mark.parametrize("case", list(CASES))
def test_ui_api_and_cli_give_the_same_samples(engine, tmp_path, case):
    common, dropdown, mix, emotion, vector = CASES[case]
    if (dropdown != "neutral" or mix) and not engine.info()["emotions"]:
        pytest.skip("this voice offers no emotions")
    core_kw = {k: v for k, v in common.items() if k != "intensity" or emotion or vector}
    core = to_int16(engine.synthesize(TEXT, emotion_label=emotion, emotion_vector=vector, **core_kw).wav)
    ui = via_ui(engine, tmp_path, common, dropdown, mix)
    api = via_api(engine, common, emotion, vector)
    cli = via_cli(tmp_path, common, None if dropdown == "neutral" else dropdown, mix)
    assert len(core) > 24000  # real speech, more than a second
    for name, wav in (("UI", ui), ("API", api), ("CLI", cli)):
        assert wav.shape == core.shape and np.array_equal(wav, core), f"{name} differs from the core ({case})"


def test_label_and_mix_both_count(engine):
    """Not a vacuous agreement: the mix changes a labelled request, a neutral label changes nothing."""
    if not engine.info()["emotions"]:
        pytest.skip("this voice offers no emotions")
    kw = dict(intensity=0.8, seed=3)
    happy = engine.synthesize(TEXT, emotion_label="happy", **kw).wav
    happy_sad = engine.synthesize(TEXT, emotion_label="happy", emotion_vector={"sad": 0.5}, **kw).wav
    assert happy.shape != happy_sad.shape or not np.array_equal(happy, happy_sad)
    mix = engine.synthesize(TEXT, emotion_vector={"sad": 0.5}, **kw).wav
    neutral_mix = engine.synthesize(TEXT, emotion_label="neutral", emotion_vector={"sad": 0.5}, **kw).wav
    assert np.array_equal(mix, neutral_mix)
