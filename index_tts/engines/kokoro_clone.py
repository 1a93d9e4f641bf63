"""Cloning through the teacher: search the Kokoro graph's style space for a reference clip's voice.

A Kokoro style row has two halves: the first 128 numbers drive the decoder (who is speaking), the
last 128 the prosody predictor (how). Measured on unseen voices (docs/VOICES.md, session 12), the
decoder half carries the identity: the true decoder half with a Mandarin prosody half scores
0.96-0.98 against the voice, while the best blend of the eight Mandarin tables reaches only
0.81-0.87 -- an unseen voice lies almost entirely outside their span. So a clone searches the
decoder half freely:

* the space: ``decoder = mean + spread * z`` (mean and per-number spread of the eight Mandarin stock
  tables, every table row moved by the same ``z`` in R^128). Only Mandarin tables define it, so
  every non-Mandarin Kokoro voice stays an unseen reference;
* the start: a linear **surrogate** ``embedding ~ A z + c`` (GE2E, resemblyzer) fitted once on random
  ``z`` (``build_surrogate``; shipped in ``data/kokoro_clone_surrogate.safetensors``), inverted for the
  clip's embedding;
* the search: rounds of random probes around the best ``z`` so far, a local linear fit of the
  embedding on them, and Gauss-Newton steps toward the clip's embedding; the best reading wins.
  The objective is the cosine between the clip and the graph reading fixed calibration text (two sentences by default).

The prosody half is the Mandarin voice whose F0 median is nearest the clip's (never zf_xiaoni's). The result is a style
table like any preset's; it is a Kokoro voice (teacher), never presented as this project's model.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

log = logging.getLogger(__name__)

TEACHER_CLONE = "clone_teacher"  # the voice id a request names; a fitted clone gets "clone_teacher:<key>"
MANDARIN = ("zf_xiaobei", "zf_xiaoni", "zf_xiaoxiao", "zf_xiaoyi", "zm_yunjian", "zm_yunxi", "zm_yunxia",
            "zm_yunyang")
# Prosody halves a clone may take: not zf_xiaoni's, whose style garbles Mandarin (dropped as a preset,
# docs/VOICES.md). ff_siwis's clone (F0 202 Hz) took it as the nearest pitch and read 8 dev sentences at
# 19.9 % CER; the same decoder half with zf_xiaoxiao's prosody half: 2.6 % (similarity 0.951 -> 0.946).
PROSODY_VOICES = tuple(v for v in MANDARIN if v != "zf_xiaoni")
HALF = 128  # decoder half | prosody half of a style row
SURROGATE_FILE = Path(__file__).resolve().parent / "data" / "kokoro_clone_surrogate.safetensors"
CALIBRATION = "春天来了，公园里的花都开了，很多人带着孩子出来散步。"
# the second sentence of the default calibration: reading two texts overfits less to one (8 rounds, held-out
# similarity with one -> two sentences: dev voice am_michael 0.881 -> 0.899, jf_alpha 0.947 -> 0.960, jm_kumo
# 0.926 -> 0.947; docs/VOICES.md, session 14) at about twice the search time
CALIBRATION_MORE = "请把窗户关上，外面的风越来越大，明天可能要下雨。"

Render = Callable[[np.ndarray], np.ndarray]  # style table [rows, 256] -> 24 kHz audio of the calibration
Embed = Callable[[np.ndarray], np.ndarray]  # 24 kHz audio -> unit GE2E embedding [256]
Progress = Callable[[int, int], None]
Quality = Callable[[np.ndarray], Optional[float]]  # 24 kHz audio -> DNSMOS OVRL (None: cannot tell)


@dataclass(frozen=True)
class SearchConfig:
    """How hard a clone is searched; the defaults take ~14-20 min per new clip on the 2-core dev machine."""

    rounds: int = 8  # dev voice am_michael: similarity 0.812 / 0.825 / 0.881 after 4 / 6 / 8 rounds
    probes: int = 40  # random probes per round
    sigma: float = 0.3  # probe spread, in units of the Mandarin tables' spread
    start_ridge: float = 3e-4  # regularisation of the surrogate's inversion
    # DNSMOS OVRL the calibration reading must keep (stock Mandarin voices 3.17-3.47, clean unseen clips'
    # starting points 3.09-3.32; a film clip with a music bed started at 2.08 and its clone read 25 % CER)
    quality_floor: float = 2.8
    seed: int = 0
    calibration: str = CALIBRATION + CALIBRATION_MORE  # what every candidate reads (its length sets the cost)
    version: int = 2  # part of the cache key: bump when the search changes its answers (2: no xiaoni prosody)

    @classmethod
    def from_dict(cls, d: dict) -> "SearchConfig":
        return cls(**{k: type(getattr(cls, k))(v) for k, v in d.items() if k in cls.__dataclass_fields__})

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def evaluations(self) -> int:
        return 1 + self.rounds * (self.probes + 3)


@dataclass(frozen=True)
class CloneStyle:
    """A fitted clone: its style table and how it was found."""

    table: np.ndarray  # float32 [rows, 256]
    similarity: float  # GE2E cosine of its calibration reading with the clip
    start_similarity: float  # the same for the surrogate's starting point
    prosody_from: str  # the Mandarin voice whose prosody half it uses
    evaluations: int
    seconds: float


class StyleSpace:
    """Decoder halves as ``mean + spread * z`` over the Mandarin stock tables."""

    def __init__(self, stock: dict[str, np.ndarray]) -> None:
        missing = [v for v in MANDARIN if v not in stock]
        if missing:
            raise ValueError(f"the style space needs the Mandarin stock tables; missing {missing}")
        tables = np.stack([np.asarray(stock[v], np.float32) for v in MANDARIN])
        self.stock = dict(zip(MANDARIN, tables))
        self.mean = tables.mean(0)
        self.spread = tables.std(0)

    def table(self, z: np.ndarray, prosody_from: Optional[str] = None) -> np.ndarray:
        out = self.mean.copy()
        out[:, :HALF] += self.spread[:, :HALF] * np.asarray(z, np.float32)[None, :]
        if prosody_from is not None:
            out[:, HALF:] = self.stock[prosody_from][:, HALF:]
        return out.astype(np.float32)


@dataclass(frozen=True)
class Surrogate:
    """``embedding ~ a @ z + c`` over the style space, and the Mandarin voices' F0 medians (Hz)."""

    a: np.ndarray  # [256, 128]
    c: np.ndarray  # [256]
    f0_hz: dict
    meta: dict

    def start(self, target: np.ndarray, ridge: float) -> np.ndarray:
        a = self.a.astype(np.float64)
        return np.linalg.solve(a.T @ a + ridge * np.eye(a.shape[1]), a.T @ (target - self.c))

    def save(self, path: Path = SURROGATE_FILE) -> None:
        from safetensors.numpy import save_file

        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, "f0_hz": self.f0_hz}
        # contiguous: safetensors writes a transposed view's buffer as if it were not transposed
        save_file({"a": np.ascontiguousarray(self.a, np.float64), "c": np.ascontiguousarray(self.c, np.float64)},
                  str(path),
                  metadata={"json": json.dumps(meta, ensure_ascii=False)})

    @classmethod
    def load(cls, path: Path = SURROGATE_FILE) -> "Surrogate":
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            meta = json.loads(f.metadata()["json"])
            a, c = f.get_tensor("a"), f.get_tensor("c")
        if a.shape != (256, HALF) or c.shape != (256,):
            raise ValueError(f"{path}: surrogate shapes {a.shape}, {c.shape}; expected (256, {HALF}), (256,)")
        return cls(a=a, c=c, f0_hz={k: float(v) for k, v in meta.pop("f0_hz").items()}, meta=meta)


def linear_fit(z: np.ndarray, e: np.ndarray, ridge: float, weights: Optional[np.ndarray] = None):
    """Weighted ridge regression ``e ~ a @ z + c`` (the intercept unpenalised) -> (a [D, n], c [D])."""
    w = np.ones(len(z)) if weights is None else weights
    x = np.hstack([z, np.ones((len(z), 1))]) * np.sqrt(w)[:, None]
    pen = np.diag([ridge] * z.shape[1] + [0.0])
    coef = np.linalg.solve(x.T @ x + pen, x.T @ (e * np.sqrt(w)[:, None]))
    return coef[:-1].T, coef[-1]


def build_surrogate(space: StyleSpace, render: Render, embed: Embed, f0: Callable[[np.ndarray], float],
                    samples: int = 300, seed: int = 7, ridge: float = 10.0,
                    progress: Optional[Progress] = None) -> Surrogate:
    """Read the calibration with ``samples`` random decoder halves (mean prosody) and fit the map."""
    rng = np.random.default_rng(seed)
    zs, es = [], []
    for i in range(samples):
        z = rng.standard_normal(HALF)
        zs.append(z)
        es.append(embed(render(space.table(z))))
        if progress is not None:
            progress(i + 1, samples)
    a, c = linear_fit(np.array(zs), np.array(es), ridge)
    f0s = {v: round(f0(render(space.stock[v])), 1) for v in MANDARIN}
    meta = {"samples": samples, "seed": seed, "ridge": ridge, "calibration": CALIBRATION,
            "made_by": "python -m index_tts.engines.kokoro_clone --build-surrogate"}
    return Surrogate(a=a, c=c, f0_hz=f0s, meta=meta)


def nearest_prosody(clip_f0: float, f0_hz: dict, allowed: tuple = PROSODY_VOICES) -> Optional[str]:
    """The ``allowed`` Mandarin voice whose F0 median is nearest (in log) to the clip's; None without pitch."""
    if not np.isfinite(clip_f0) or clip_f0 <= 0:
        return None
    return min((v for v in f0_hz if v in allowed), key=lambda v: abs(np.log(f0_hz[v] / clip_f0)), default=None)


class SearchState:
    """A search's progress after its last finished round, in one ``.npz`` file (written whole to a
    temporary name, then renamed). It belongs to one clip embedding, search config and prosody half
    (a fingerprint); a file for anything else, or a damaged one, is ignored and the search starts over.
    A file that cannot be written only costs the resume (logged)."""

    def __init__(self, path: Path, target: np.ndarray, cfg: SearchConfig, prosody: Optional[str]) -> None:
        self.path = Path(path)
        key = np.asarray(target, np.float64).tobytes() + json.dumps([cfg.to_dict(), prosody]).encode()
        self.fingerprint = hashlib.sha256(key).hexdigest()

    def load(self) -> Optional[dict]:
        if not self.path.is_file():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as f:
                if str(f["fingerprint"]) != self.fingerprint:
                    log.info("ignoring %s: it belongs to another clip or search", self.path)
                    return None
                keys, ok = f["checked_keys"], f["checked_ok"]
                return {"round": int(f["round"]), "zs": list(f["zs"]), "es": list(f["es"]),
                        "checked": {int(k): bool(v) for k, v in zip(keys, ok)}, "rng": json.loads(str(f["rng"])),
                        "z": f["z"].copy(), "best": float(f["best"]), "start": float(f["start"]),
                        "seconds": float(f["seconds"])}
        except Exception as exc:  # noqa: BLE001 - a damaged state only costs the resume
            log.warning("ignoring damaged clone search state %s: %s", self.path, exc)
            return None

    def save(self, done: int, zs: list, es: list, checked: dict, rng: np.random.Generator, z: np.ndarray,
             best: float, start: float, seconds: float) -> None:
        tmp = self.path.with_name(f"{self.path.name}.tmp{os.getpid()}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                np.savez(fh, fingerprint=np.array(self.fingerprint), round=np.array(done), zs=np.array(zs),
                         es=np.array(es), checked_keys=np.array(list(checked), np.int64),
                         checked_ok=np.array(list(checked.values()), bool),
                         rng=np.array(json.dumps(rng.bit_generator.state)), z=np.asarray(z, np.float64),
                         best=np.array(best), start=np.array(start), seconds=np.array(seconds))
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            log.warning("could not keep the clone search's state in %s (%s): a cut search starts over", self.path, exc)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def fit_clone(space: StyleSpace, surrogate: Surrogate, render: Render, embed: Embed, target: np.ndarray,
              clip_f0: float, cfg: SearchConfig = SearchConfig(), progress: Optional[Progress] = None,
              trace: Optional[list] = None, quality: Optional[Quality] = None,
              state_path: Optional[Path] = None) -> CloneStyle:
    """Search the decoder half whose calibration reading sounds most like ``target`` (the clip's embedding).

    ``quality``: a score of a reading (DNSMOS OVRL); a style whose calibration reading scores under
    ``cfg.quality_floor`` is never chosen, and a clip whose starting point already does is refused
    (``ReferenceAudioError``: such clips -- noise or music under the voice -- made unintelligible clones).
    ``trace``: a list that receives ``(round, similarity, table)`` after each round (measurements).
    ``state_path``: where the search keeps its state after each round (:class:`SearchState`); a search
    cut short (cancelled, killed) goes on from its last finished round and gives the same answer as one
    never interrupted. The file is removed when the search ends."""
    from ..errors import ReferenceAudioError

    t0 = time.perf_counter()
    target = np.asarray(target, np.float64)
    prosody = nearest_prosody(clip_f0, surrogate.f0_hz)
    rng = np.random.default_rng(cfg.seed)
    zs: list[np.ndarray] = []
    es: list[np.ndarray] = []

    def score(z: np.ndarray) -> float:
        zs.append(np.asarray(z, np.float64))
        es.append(np.asarray(embed(render(space.table(z, prosody))), np.float64))
        return float(es[-1] @ target)

    checked: dict[int, bool] = {}

    def clean(i: int) -> bool:  # the i-th reading is good enough to be chosen
        if quality is None:
            return True
        if i not in checked:
            q = quality(render(space.table(zs[i], prosody)))
            checked[i] = q is None or q >= cfg.quality_floor
        return checked[i]

    state = SearchState(state_path, target, cfg, prosody) if state_path is not None else None
    saved = state.load() if state is not None else None
    if saved is not None:
        zs.extend(saved["zs"])
        es.extend(saved["es"])
        checked.update(saved["checked"])
        rng.bit_generator.state = saved["rng"]
        z, best, start, done, earlier = saved["z"], saved["best"], saved["start"], saved["round"], saved["seconds"]
        log.info("clone search: going on after round %d/%d (similarity %.3f)", done, cfg.rounds, best)
    else:
        done, earlier = 0, 0.0
        z = surrogate.start(target, cfg.start_ridge)
        best = start = score(z)
        if not clean(0):
            raise ReferenceAudioError("this clip's voice could not be matched cleanly by the teacher voices (noise, "
                                      "music or a poor recording under the voice?); use a cleaner clip, or voice 'clone'")
    if progress is not None:  # the search has begun (or goes on): rounds done so far
        progress(done, cfg.rounds)
    width2 = 2.0 * (2.0 * cfg.sigma) ** 2 * HALF  # probes of this round weigh ~0.9, far old ones little
    for rnd in range(done, cfg.rounds):
        for _ in range(cfg.probes):
            score(z + rng.standard_normal(HALF) * cfg.sigma)
        zz = np.array(zs) - z
        a, c = linear_fit(zz, np.array(es), 1.0, np.exp(-np.sum(zz ** 2, 1) / width2))
        for mu in (1e-3, 1e-2, 1e-1):  # Gauss-Newton steps of three lengths
            score(z + np.linalg.solve(a.T @ a + mu * np.eye(HALF), a.T @ (target - c)))
        order = np.argsort(-(np.array(es) @ target))
        j = next((int(i) for i in order[:6] if clean(int(i))), None)  # the most similar clean reading
        if j is not None:
            z, best = zs[j], float(es[j] @ target)
        log.info("clone search round %d/%d: similarity %.3f", rnd + 1, cfg.rounds, best)
        if state is not None:  # before the progress callback, which may cancel the job
            state.save(rnd + 1, zs, es, checked, rng, z, best, start, earlier + time.perf_counter() - t0)
        if trace is not None:
            trace.append((rnd + 1, best, space.table(z, prosody)))
        if progress is not None:
            progress(rnd + 1, cfg.rounds)
    if state is not None:
        state.remove()
    return CloneStyle(table=space.table(z, prosody), similarity=best, start_similarity=start,
                      prosody_from=prosody or "mean", evaluations=len(zs),
                      seconds=earlier + time.perf_counter() - t0)


def main(argv: Optional[list[str]] = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Rebuild the clone search's surrogate from the kokoro-zh bundle")
    ap.add_argument("--build-surrogate", action="store_true", required=True)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=str(SURROGATE_FILE))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from ..encoders.speaker import SpeakerEncoder
    from ..eval.kokoro_voices import f0_median
    from .kokoro import KokoroEngine
    from .teacher_voices import calibration_reader

    engine = KokoroEngine.from_hub(threads=args.threads)
    spk = SpeakerEncoder()
    space = StyleSpace({v: engine.stock_table(v) for v in MANDARIN})
    sur = build_surrogate(space, calibration_reader(engine), lambda w: spk.embed(w, 24000, validate=False),
                          lambda w: f0_median(w, 24000), samples=args.samples,
                          progress=lambda i, n: i % 25 == 0 and log.info("%d/%d", i, n))
    sur.save(Path(args.out))
    log.info("wrote %s (F0 medians %s)", args.out, sur.f0_hz)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
