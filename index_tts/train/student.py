"""Multi-voice student: FastSpeech2 fine-tuned on CPU from the default voice, on the teacher corpus.

The corpus (``index_tts.train.teacher_corpus``) already holds, per clip, our symbol ids, the
teacher's own durations on our mel grid, the mel, f0, energy and a GE2E embedding. So the
student needs no aligner, and a step is one teacher-forced FastSpeech2 pass:

- init: the ``baker-zh`` acoustic model (its mel normalisation, pitch/energy units and vocoder
  are kept, so the student speaks through the default voice's MB-MelGAN);
- speaker conditioning: the clip's GE2E embedding through ``speaker_proj`` (zero-initialised,
  so step 0 is the default voice); presets use their voice's mean embedding, a reference clip
  its own (cloning);
- trained parts: ``StudentConfig.train`` (by default everything after the text encoder);
- batches: clips sorted into length buckets, filled up to ``batch_frames`` mel frames;
- checkpoints in ``--work`` (resumed automatically), bundle exports to ``--work/export``.

    python -m index_tts.train.student --corpus .run/student/corpus --work .run/student/run
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

from ..audio.mel import MelConfig
from ..utils.config import ConfigBase

log = logging.getLogger(__name__)

VAL_PER_SPEAKER = 2


@dataclass(frozen=True)
class StudentConfig(ConfigBase):
    name: str = "voices-zh"
    init_from: str = "baker-zh"
    train: tuple[str, ...] = ("speaker_proj", "variance", "decoder", "mel_proj", "postnet")
    batch_frames: int = 2400
    max_clip_frames: int = 1000
    lr: float = 3e-4
    warmup_steps: int = 100
    decay_steps: int = 20000
    min_lr: float = 3e-5
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    w_mel: float = 1.0
    w_duration: float = 1.0
    w_pitch: float = 0.5
    w_energy: float = 0.5
    seed: int = 0
    log_interval: int = 10
    ckpt_interval: int = 50
    rescan_interval: int = 200
    speakers: tuple[str, ...] = field(default_factory=tuple)  # empty: every voice in the corpus
    # The exported bundle's FastSpeech2Config.energy_boost_via_mel: loudness boosts as a mel
    # gain, because raising this decoder's energy input blurs the consonants of voices already
    # loud in the default voice's units (xiaoxiao, docs/VOICES.md).
    energy_boost_via_mel: bool = True
    initial_rate_share: float = 0.5  # FastSpeech2Config.initial_rate_share of the export

    def lr_at(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        t = min(1.0, (step - self.warmup_steps) / max(1, self.decay_steps))
        return self.min_lr + 0.5 * (self.lr - self.min_lr) * (1 + math.cos(math.pi * t))


@dataclass(frozen=True)
class Clip:
    uid: str
    voice: str
    path: Path
    n_frames: int


def read_corpus(corpus: Path, max_frames: int, speakers: Sequence[str] = ()) -> list[Clip]:
    """Kept clips of a teacher corpus (its ``index.jsonl``), shortest first."""
    from .teacher_corpus import read_index

    clips = [Clip(r.uid, r.voice, corpus / r.path, r.n_frames) for r in read_index(corpus / "index.jsonl").values()
             if r.kept and r.path and 0 < r.n_frames <= max_frames and (not speakers or r.voice in speakers)]
    return sorted((c for c in clips if c.path.is_file()), key=lambda c: (c.n_frames, c.uid))


def split_validation(clips: Sequence[Clip], per_speaker: int = VAL_PER_SPEAKER) -> tuple[list[Clip], list[Clip]]:
    """A fixed held-out set: per voice, the clips whose uid hashes lowest."""
    import hashlib

    by: dict[str, list[Clip]] = {}
    for c in clips:
        by.setdefault(c.voice, []).append(c)
    val = set()
    for rows in by.values():
        rows = sorted(rows, key=lambda c: hashlib.sha1(c.uid.encode()).hexdigest())
        val.update(c.uid for c in rows[:per_speaker] if len(rows) > 4 * per_speaker)
    return [c for c in clips if c.uid not in val], [c for c in clips if c.uid in val]


def make_batches(clips: Sequence[Clip], batch_frames: int, rng: np.random.Generator) -> list[list[int]]:
    """Indices of ``clips`` (sorted by length) in batches of at most ``batch_frames`` padded frames."""
    order = np.argsort([c.n_frames for c in clips], kind="stable")
    batches, cur, longest = [], [], 0
    for i in order:
        n = clips[i].n_frames
        if cur and max(longest, n) * (len(cur) + 1) > batch_frames:
            batches.append(cur)
            cur, longest = [], 0
        cur.append(int(i))
        longest = max(longest, n)
    if cur:
        batches.append(cur)
    rng.shuffle(batches)
    return batches


class FeatureCache:
    """Clip features loaded once (fp16 mels), as tensors in the model's units."""

    def __init__(self, mel_cfg: MelConfig) -> None:
        self.mel_cfg = mel_cfg
        self._rows: dict[str, dict] = {}
        self._mean = torch.tensor(mel_cfg.mel_mean).unsqueeze(-1)
        self._std = torch.tensor(mel_cfg.mel_std).unsqueeze(-1)

    def get(self, clip: Clip) -> dict:
        row = self._rows.get(clip.uid)
        if row is None:
            with np.load(clip.path) as z:
                mel = (torch.from_numpy(z["mel"].astype(np.float32)) - self._mean) / self._std
                row = {"ids": torch.from_numpy(z["ids"].astype(np.int64)),
                       "dur": torch.from_numpy(z["durations"].astype(np.int64)),
                       "mel": mel.half(), "f0": torch.from_numpy(z["f0"].astype(np.float32)),
                       "energy": torch.from_numpy(z["energy"].astype(np.float32)),
                       "spk": torch.from_numpy(z["spk_emb"].astype(np.float32))}
            self._rows[clip.uid] = row
        return row


def collate(rows: Sequence[dict]) -> dict[str, torch.Tensor]:
    b = len(rows)
    n = max(len(r["ids"]) for r in rows)
    t = max(r["mel"].shape[1] for r in rows)
    out = {"ids": torch.zeros(b, n, dtype=torch.long), "dur": torch.zeros(b, n, dtype=torch.long),
           "mel": torch.zeros(b, rows[0]["mel"].shape[0], t), "f0": torch.zeros(b, t), "energy": torch.zeros(b, t),
           "ids_lens": torch.tensor([len(r["ids"]) for r in rows]),
           "mel_lens": torch.tensor([r["mel"].shape[1] for r in rows]), "spk": torch.stack([r["spk"] for r in rows])}
    for i, r in enumerate(rows):
        k, m = len(r["ids"]), r["mel"].shape[1]
        out["ids"][i, :k], out["dur"][i, :k] = r["ids"], r["dur"]
        out["mel"][i, :, :m], out["f0"][i, :m], out["energy"][i, :m] = r["mel"].float(), r["f0"], r["energy"]
    return out


class StudentTrainer:
    def __init__(self, cfg: StudentConfig, corpus: str | Path, work: str | Path) -> None:
        from ..acoustic.model import FastSpeech2, FastSpeech2Config
        from .acoustic_export import load_acoustic_state, read_bundle_config, resolve_bundle_dir

        self.cfg, self.corpus, self.work = cfg, Path(corpus), Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.init_dir = resolve_bundle_dir(cfg.init_from)
        bcfg = read_bundle_config(self.init_dir)
        self.symbols = list(bcfg["symbols"])
        self.mel_cfg = MelConfig.from_dict(bcfg["mel"])
        mdict = dict(bcfg["acoustic"]["config"], speaker_embed_dim=256)
        self.model_cfg = FastSpeech2Config.from_dict(mdict)
        torch.manual_seed(cfg.seed)
        self.model = FastSpeech2(self.model_cfg, mel_config=self.mel_cfg)
        state = load_acoustic_state(self.init_dir, bcfg)
        own = self.model.state_dict()
        self.model.load_state_dict({k: v for k, v in state.items() if k in own and own[k].shape == v.shape},
                                   strict=False)
        if "speaker_proj.weight" not in state:  # from a single-voice bundle: step 0 speaks as that voice
            torch.nn.init.zeros_(self.model.speaker_proj.weight)
            torch.nn.init.zeros_(self.model.speaker_proj.bias)
        else:
            log.info("continuing from the multi-voice model in %s", self.init_dir)
        for name, p in self.model.named_parameters():
            p.requires_grad = name.split(".")[0] in cfg.train
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(self.params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.step = 0
        self.cache = FeatureCache(self.mel_cfg)
        self.rescan()

    def rescan(self) -> None:
        clips = read_corpus(self.corpus, self.cfg.max_clip_frames, self.cfg.speakers)
        if not clips:
            raise ValueError(f"{self.corpus}: no kept clips")
        self.train_clips, self.val_clips = split_validation(clips)
        voices = sorted({c.voice for c in clips})
        log.info("corpus: %d train / %d val clips, %.1f min, voices %s", len(self.train_clips), len(self.val_clips),
                 sum(c.n_frames for c in clips) * self.mel_cfg.hop_length / self.mel_cfg.sample_rate / 60, voices)

    # ------------------------------------------------------------------ one step
    def losses(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        from .acoustic_dataset import phone_average

        mc = self.model_cfg
        dur = batch["dur"]
        f0_hz = phone_average(batch["f0"], dur, nonzero_only=True)
        f0 = torch.where(f0_hz > 0, (f0_hz - mc.f0_mean_hz) / mc.f0_std_hz, torch.zeros_like(f0_hz))
        src = (torch.arange(dur.shape[1]).unsqueeze(0) < batch["ids_lens"].unsqueeze(1)).float()
        energy = (phone_average(batch["energy"], dur) - mc.energy_mean) / mc.energy_std * src
        use_postnet = "postnet" in self.cfg.train
        out = self.model(batch["ids"], batch["ids_lens"], dur, f0, energy, mel_lens=batch["mel_lens"],
                         speaker=batch["spk"], postnet=use_postnet)
        t = batch["mel"].shape[2]
        mmask = (torch.arange(t).unsqueeze(0) < batch["mel_lens"].unsqueeze(1)).unsqueeze(1).float()
        denom = mmask.sum() * batch["mel"].shape[1]
        l1 = lambda m: ((m[..., :t] - batch["mel"]).abs() * mmask).sum() / denom
        mse = lambda a, b: (((a - b) ** 2) * src).sum() / src.sum()
        voiced = (f0_hz > 0).float() * src
        out_l = {"mel_before": l1(out.mel_before),
                 "duration": mse(out.log_duration_pred, torch.log(dur.float() + mc.duration_offset)),
                 "pitch": (((out.f0_pred - f0) ** 2) * voiced).sum() / voiced.sum().clamp_min(1),
                 "energy": mse(out.energy_pred, energy)}
        if use_postnet:
            out_l["mel_after"] = l1(out.mel_after)
        mel_term = out_l["mel_before"] + out_l["mel_after"] if use_postnet else 2 * out_l["mel_before"]
        c = self.cfg
        out_l["total"] = (c.w_mel * mel_term + c.w_duration * out_l["duration"] + c.w_pitch * out_l["pitch"]
                          + c.w_energy * out_l["energy"])
        return out_l

    def train_step(self, idx: list[int]) -> dict[str, float]:
        for g in self.opt.param_groups:
            g["lr"] = self.cfg.lr_at(self.step)
        self.model.train()
        torch.manual_seed(self.cfg.seed + self.step)
        batch = collate([self.cache.get(self.train_clips[i]) for i in idx])
        losses = self.losses(batch)
        self.opt.zero_grad(set_to_none=True)
        losses["total"].backward()
        gnorm = torch.nn.utils.clip_grad_norm_(self.params, self.cfg.grad_clip)
        self.opt.step()
        self.step += 1
        return {**{k: float(v.detach()) for k, v in losses.items()}, "grad_norm": float(gnorm)}

    @torch.inference_mode()
    def validate(self) -> dict[str, float]:
        self.model.eval()
        if not self.val_clips:
            return {}
        sums: dict[str, float] = {}
        for i in range(0, len(self.val_clips), 4):
            losses = self.losses(collate([self.cache.get(c) for c in self.val_clips[i:i + 4]]))
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + float(v) * len(self.val_clips[i:i + 4])
        return {k: v / len(self.val_clips) for k, v in sums.items()}

    # ------------------------------------------------------------------ checkpoints
    @property
    def ckpt_path(self) -> Path:
        return self.work / "student.pt"

    def save(self) -> None:
        tmp = self.ckpt_path.with_suffix(".tmp")
        torch.save({"step": self.step, "model": self.model.state_dict(), "opt": self.opt.state_dict(),
                    "config": self.cfg.to_dict()}, tmp)
        os.replace(tmp, self.ckpt_path)

    def resume(self) -> bool:
        if not self.ckpt_path.is_file():
            return False
        state = torch.load(self.ckpt_path, map_location="cpu", weights_only=True)
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.step = int(state["step"])
        log.info("resumed %s at step %d", self.ckpt_path, self.step)
        return True

    def speaker_table(self) -> dict[str, np.ndarray]:
        from ..encoders.speaker import mean_embedding

        rows: dict[str, list[np.ndarray]] = {}
        for c in self.train_clips:
            rows.setdefault(c.voice, []).append(self.cache.get(c)["spk"].numpy())
        from .student_voices import student_id

        return {student_id(v): mean_embedding(np.stack(r)) for v, r in sorted(rows.items())}

    def export(self, out_dir: Path, notes: Optional[dict] = None) -> Path:
        from ..encoders.timbre import TimbreConfig
        from .acoustic_export import ExportInfo, export_bundle, speakers_entry
        from .student_voices import display_names, student_id
        from .voice_stats import add_ranges, f0_ranges

        table = self.speaker_table()
        info = ExportInfo(
            self.cfg.name, "Multi-voice student: the default voice's FastSpeech2 fine-tuned on CPU on Kokoro "
            "teacher voices read with our frontend's phonemes (index_tts.train.student).",
            STUDENT_LICENCE, {"trainer": "index_tts.train.student", "init_from": self.cfg.init_from,
                              "teachers": "Kokoro-82M v1.0 (Apache-2.0) voices from npm kokoro-js@1.2.1",
                              "durations": "the teacher's own duration predictor", "steps": self.step},
            add_ranges(speakers_entry(table, display_names(table)),
                       {student_id(v): r for v, r in f0_ranges(self.train_clips).items()}),
            {"steps": self.step, "clips": len(self.train_clips), **(notes or {})})
        info.extra["clone_timbre"] = TimbreConfig().to_dict()  # the clone's timbre map settings travel along
        model_cfg = self.model_cfg.replace(energy_boost_via_mel=self.cfg.energy_boost_via_mel,
                                           initial_rate_share=self.cfg.initial_rate_share)
        return export_bundle(out_dir, self.model, model_cfg, self.mel_cfg, self.symbols, info, self.init_dir)

    # ------------------------------------------------------------------ loop
    def train(self, max_steps: int, export_every: int = 0, stop_at: float = 0.0) -> None:
        rng = np.random.default_rng(self.cfg.seed + self.step)
        batches: list[list[int]] = []
        t0, agg, n = time.time(), {}, 0
        while self.step < max_steps and not (stop_at and time.time() > stop_at):
            if self.step and self.step % self.cfg.rescan_interval == 0:
                self.rescan()
                batches = []
            if not batches:
                batches = make_batches(self.train_clips, self.cfg.batch_frames, rng)
            losses = self.train_step(batches.pop())
            n += 1
            for k, v in losses.items():
                agg[k] = agg.get(k, 0.0) + v
            if self.step % self.cfg.log_interval == 0:
                log.info("step %d  %s  %.2f s/step", self.step,
                         " ".join(f"{k} {v / n:.4f}" for k, v in agg.items()), (time.time() - t0) / n)
                t0, agg, n = time.time(), {}, 0
            if self.step % self.cfg.ckpt_interval == 0:
                self.save()
            if export_every and self.step % export_every == 0:
                val = self.validate()
                log.info("step %d validation %s", self.step, {k: round(v, 4) for k, v in val.items()})
                with (self.work / "validation.jsonl").open("a") as fh:
                    fh.write(json.dumps({"step": self.step, "time": time.time(), **val}) + "\n")
                self.export(self.work / "export", {"validation": {k: round(v, 4) for k, v in val.items()}})
        self.save()


STUDENT_LICENCE = ("Acoustic model fine-tuned from the default voice (Baker corpus: non-commercial use only; "
                   "see baker-zh MODEL_CARD.md) on speech of Kokoro-82M v1.0 voices (Apache-2.0). "
                   "Not for commercial use.")


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True, help="checkpoint folder (resumed when it holds student.pt)")
    ap.add_argument("--config", help="StudentConfig JSON (defaults otherwise)")
    ap.add_argument("--steps", type=int, default=100000)
    ap.add_argument("--export-every", type=int, default=250)
    ap.add_argument("--minutes", type=float, default=0.0, help="stop (with a checkpoint) after this long")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--export", help="only export the checkpoint to this folder")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    torch.set_num_threads(args.threads)
    cfg = StudentConfig.load(args.config) if args.config else StudentConfig()
    trainer = StudentTrainer(cfg, args.corpus, args.work)
    trainer.resume()
    if args.export:
        trainer.export(Path(args.export))
        return 0
    stop_at = time.time() + args.minutes * 60 if args.minutes else 0.0
    trainer.train(args.steps, args.export_every, stop_at)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
