"""Train a FastSpeech2 voice from (wav, text) pairs, alignment learned jointly.

    python -m index_tts.train acoustic --config configs/acoustic_base.json --data DATA --out runs/v1 \
        [--init-from baker-zh] [--vocoder-from baker-zh] [--resume] [--max-steps N] [--device cuda]

Each step: the aligner's soft alignment (forward-sum loss, plus the binarisation loss after
``bin_loss_start``) -> MAS hard durations -> per-symbol pitch/energy targets averaged over
those durations -> teacher-forced FastSpeech2 (mel L1 before/after the postnet, log-duration,
pitch and energy MSE). Checkpoints hold both models, optimiser, scheduler, scaler and the
step; batches are a function of (seed, step), so a resumed run continues exactly.
At the end the model is exported as a bundle folder (``<out>/bundle``).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..acoustic import FastSpeech2, FastSpeech2Config
from ..audio.mel import MelConfig
from .acoustic_config import (
    AcousticTrainConfig,
    merge_model_config,
    resolve_speaker_mode,
)
from .acoustic_data import (
    PACKED_INDEX,
    PreprocessSettings,
    compute_stats,
    default_workers,
    load_packed,
    pack_features,
    preprocess,
    read_metadata,
)
from .acoustic_dataset import AcousticDataset, StepBatchSampler, collate, phone_average
from .acoustic_export import (
    ExportInfo,
    export_bundle,
    load_acoustic_state,
    read_bundle_config,
    resolve_bundle_dir,
)
from .aligner import (
    Aligner,
    bin_loss,
    durations_from_path,
    forward_sum_loss,
    length_mask,
    mas_batch,
)
from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint

log = logging.getLogger(__name__)


@dataclass
class TrainSummary:
    step: int
    last_losses: dict
    val_loss: float | None
    bundle_dir: Path | None
    seconds: float


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda requested but CUDA is not available")
    return dev


class AcousticTrainer:
    def __init__(self, cfg: AcousticTrainConfig, data_dir: str | Path, out_dir: str | Path, device: str = "auto",
                 init_from: str | None = None, vocoder_from: str | None = None) -> None:
        self.cfg, self.out = cfg, Path(out_dir)
        self.data_dir = Path(data_dir)
        self.device = pick_device(device)
        self.init_dir = resolve_bundle_dir(init_from) if init_from else None
        vsrc = vocoder_from or init_from
        self.vocoder_dir = resolve_bundle_dir(vsrc) if vsrc else None
        self.out.mkdir(parents=True, exist_ok=True)
        self._vocoder = None
        base_model: dict = {}
        init_state = None
        if self.init_dir is not None:
            bcfg = read_bundle_config(self.init_dir)
            self.symbols = list(bcfg["symbols"])
            self.mel_cfg = MelConfig.from_dict(bcfg["mel"])
            base_model = dict(bcfg["acoustic"]["config"])
            init_state = load_acoustic_state(self.init_dir, bcfg)
        else:
            from ..frontend.symbols import BAKER_SYMBOLS

            self.symbols = list(BAKER_SYMBOLS)
            self.mel_cfg = (MelConfig.from_dict(read_bundle_config(self.vocoder_dir)["mel"]) if self.vocoder_dir
                            else MelConfig.from_dict(cfg.mel))
        # ---- data
        if (self.data_dir / PACKED_INDEX).is_file():  # audio-free features from --pack-features
            self.items = load_packed(self.data_dir, self.mel_cfg, self.symbols)
        else:
            self.items = preprocess(read_metadata(self.data_dir), self.out / "cache", self.mel_cfg, self.symbols,
                                    PreprocessSettings(**cfg.preprocess),
                                    workers=cfg.preprocess_workers or default_workers())
        stats = compute_stats(self.items)
        if not self.mel_cfg.normalized:
            self.mel_cfg = self.mel_cfg.replace(mel_mean=stats.mel_mean, mel_std=stats.mel_std)
        speakers = sorted({it.speaker for it in self.items})
        self.speaker_mode = resolve_speaker_mode(cfg.speaker_mode, len(speakers))
        self.speaker_table = self._speaker_table() if self.speaker_mode != "none" else {}
        # ---- models
        mdict = merge_model_config(base_model, cfg.model, finetune=self.init_dir is not None)
        mdict.update(vocab_size=len(self.symbols), n_mels=self.mel_cfg.n_mels)
        if self.init_dir is None:  # fine-tuning keeps the bundle's pitch/energy units
            mdict.update(f0_mean_hz=stats.f0_mean_hz, f0_std_hz=stats.f0_std_hz,
                         energy_mean=stats.energy_mean, energy_std=stats.energy_std)
        if self.speaker_mode != "none":
            mdict["speaker_embed_dim"] = 256
        self.model_cfg = FastSpeech2Config.from_dict(mdict)
        torch.manual_seed(cfg.seed)  # identical initial weights for identical configs
        self.model = FastSpeech2(self.model_cfg, mel_config=self.mel_cfg)
        if init_state is not None:
            self._load_init(init_state)
        self.model.to(self.device)
        self.aligner = Aligner(cfg.aligner, len(self.symbols), self.mel_cfg.n_mels).to(self.device)
        params = list(self.model.parameters()) + list(self.aligner.parameters())
        self.opt = torch.optim.AdamW(params, lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda s: cfg.lr_at(s) / cfg.lr)
        use_fp16 = self.device.type == "cuda" and cfg.precision == "fp16"
        self.scaler = torch.amp.GradScaler("cuda", enabled=use_fp16)
        self.step = 0
        # ---- split: a fixed, name-ordered held-out set
        order = sorted(range(len(self.items)), key=lambda i: hash_name(self.items[i].utt_id))
        n_val = min(cfg.val_size, len(self.items) // 10) if len(self.items) >= 10 else (1 if len(self.items) > 1 else 0)
        self.val_items = [self.items[i] for i in order[:n_val]]
        self.train_items = [self.items[i] for i in order[n_val:]]
        log.info("data: %d train / %d val items, %d speakers (mode %s), %.2f h", len(self.train_items),
                 len(self.val_items), len(speakers), self.speaker_mode, self.hours())
        log.info("model: FastSpeech2 %.2f M params, aligner %.2f M, device %s", _millions(self.model),
                 _millions(self.aligner), self.device)

    # ------------------------------------------------------------------ setup helpers
    def hours(self) -> float:
        return sum(it.n_frames for it in self.items) * self.mel_cfg.hop_length / self.mel_cfg.sample_rate / 3600

    def _speaker_table(self) -> dict[str, np.ndarray]:
        from ..encoders.speaker import mean_embedding

        rows: dict[str, list[np.ndarray]] = {}
        for it in self.items:
            with np.load(it.path) as z:
                if "spk_emb" not in z:
                    raise ValueError("multi-speaker training needs speaker embeddings (preprocess.speaker_embeddings)")
                rows.setdefault(it.speaker, []).append(z["spk_emb"])
        return {spk: mean_embedding(np.stack(v)) for spk, v in sorted(rows.items())}

    def _load_init(self, state: dict) -> None:
        own = self.model.state_dict()
        usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        missing = sorted(set(own) - set(usable))
        self.model.load_state_dict(usable, strict=False)
        if self.model.speaker_proj is not None and "speaker_proj.weight" not in usable:
            torch.nn.init.zeros_(self.model.speaker_proj.weight)  # start as the original voice
            torch.nn.init.zeros_(self.model.speaker_proj.bias)
        log.info("initialised from %s (%d tensors; new: %s)", self.init_dir, len(usable), missing[:8])

    def _autocast(self):
        if self.device.type != "cuda" or self.cfg.precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.cfg.precision == "bf16" else torch.float16
        return torch.autocast("cuda", dtype=dtype)

    # ------------------------------------------------------------------ losses
    def compute_losses(self, batch, step: int) -> dict[str, torch.Tensor]:
        cfg, mcfg = self.cfg, self.model_cfg
        al = self.aligner(batch.ids, batch.ids_lens, batch.mel, batch.mel_lens)
        hard = mas_batch(al.log_attn, batch.ids_lens, batch.mel_lens)
        losses = {"forward_sum": forward_sum_loss(al.attn_logits, batch.ids_lens, batch.mel_lens,
                                                  cfg.aligner.blank_logprob)}
        wb = cfg.bin_weight(step)
        losses["bin"] = bin_loss(al.log_attn, hard) if wb > 0 else torch.zeros((), device=self.device)
        total = cfg.w_forward_sum * losses["forward_sum"] + wb * losses["bin"]
        if step >= cfg.aligner_warmup_steps:
            dur = durations_from_path(hard)
            f0_hz = phone_average(batch.f0, dur, nonzero_only=True)
            f0 = torch.where(f0_hz > 0, (f0_hz - mcfg.f0_mean_hz) / mcfg.f0_std_hz, torch.zeros_like(f0_hz))
            energy = (phone_average(batch.energy, dur) - mcfg.energy_mean) / mcfg.energy_std
            src = length_mask(batch.ids_lens, batch.ids.shape[1])
            energy = energy * src
            with self._autocast():
                out = self.model(batch.ids, batch.ids_lens, dur, f0, energy, mel_lens=batch.mel_lens,
                                 speaker=batch.speaker)
            t = batch.mel.shape[2]
            mmask = length_mask(batch.mel_lens, t).unsqueeze(1).float()
            denom = mmask.sum() * batch.mel.shape[1]
            losses["mel_before"] = ((out.mel_before[..., :t].float() - batch.mel).abs() * mmask).sum() / denom
            losses["mel_after"] = ((out.mel_after[..., :t].float() - batch.mel).abs() * mmask).sum() / denom
            sm = src.float()
            log_dur = torch.log(dur.float() + mcfg.duration_offset)
            masked_mse = lambda a, b: (((a.float() - b) ** 2) * sm).sum() / sm.sum()
            losses["duration"] = masked_mse(out.log_duration_pred, log_dur)
            losses["pitch"] = masked_mse(out.f0_pred, f0)
            losses["energy"] = masked_mse(out.energy_pred, energy)
            total = total + cfg.w_mel * (losses["mel_before"] + losses["mel_after"]) + cfg.w_duration * losses[
                "duration"] + cfg.w_pitch * losses["pitch"] + cfg.w_energy * losses["energy"]
        losses["total"] = total
        return losses

    def train_step(self, batch) -> dict[str, float]:
        torch.manual_seed(self.cfg.seed + self.step)  # dropout noise is a function of the step
        self.model.train()
        self.aligner.train()
        losses = self.compute_losses(batch.to(self.device), self.step)
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(losses["total"]).backward()
        self.scaler.unscale_(self.opt)
        params = list(self.model.parameters()) + list(self.aligner.parameters())
        gnorm = torch.nn.utils.clip_grad_norm_(params, self.cfg.grad_clip)
        self.scaler.step(self.opt)
        self.scaler.update()
        self.sched.step()
        self.step += 1
        out = {k: float(v.detach()) for k, v in losses.items()}
        out["grad_norm"] = float(gnorm)
        return out

    # ------------------------------------------------------------------ checkpoints
    def _models(self) -> dict:
        return {"acoustic": self.model, "aligner": self.aligner}

    def _optims(self) -> dict:
        return {"opt": self.opt, "sched": self.sched, "scaler": self.scaler}

    def save(self) -> Path:
        extra = {"train_config": self.cfg.to_dict(), "model_config": self.model_cfg.to_dict(),
                 "mel_config": self.mel_cfg.to_dict(), "symbols": self.symbols, "speaker_mode": self.speaker_mode,
                 "speakers": {k: v.tolist() for k, v in self.speaker_table.items()}}
        path = save_checkpoint(self.out / "checkpoints" / f"ckpt_{self.step}.pt", self.step, self._models(),
                               self._optims(), extra)
        ckpts = sorted((self.out / "checkpoints").glob("ckpt_*.pt"), key=lambda p: int(p.stem.split("_")[-1]))
        for old in ckpts[: max(0, len(ckpts) - self.cfg.keep_checkpoints)]:
            old.unlink()
        return path

    def resume(self, path: Path | None = None) -> bool:
        path = path or latest_checkpoint(self.out / "checkpoints")
        if path is None:
            log.info("no checkpoint in %s; starting at step 0", self.out / "checkpoints")
            return False
        self.step, extra = load_checkpoint(path, self._models(), self._optims(), map_location=self.device)
        if extra.get("symbols") and extra["symbols"] != self.symbols:
            raise ValueError(f"{path}: symbol table differs from this run's")
        log.info("resumed from %s at step %d", path, self.step)
        return True

    # ------------------------------------------------------------------ validation
    def _loader(self, items, start: int, steps: int | None, shuffle_seed: int):
        ds = AcousticDataset(items, self.mel_cfg, self.speaker_table, self.speaker_mode)
        sampler = StepBatchSampler([it.n_frames for it in items], self.cfg.batch_size, shuffle_seed, start, steps)
        return torch.utils.data.DataLoader(ds, batch_sampler=sampler, collate_fn=collate,
                                           num_workers=self.cfg.num_workers, pin_memory=self.device.type == "cuda")

    @torch.no_grad()
    def validate(self, write_samples: int = 2) -> float | None:
        if not self.val_items:
            return None
        self.model.eval()
        self.aligner.eval()
        ds = AcousticDataset(self.val_items, self.mel_cfg, self.speaker_table, self.speaker_mode)
        total, n = 0.0, 0
        for i in range(0, len(ds), self.cfg.batch_size):
            batch = collate([ds[j] for j in range(i, min(i + self.cfg.batch_size, len(ds)))]).to(self.device)
            losses = self.compute_losses(batch, max(self.step, self.cfg.aligner_warmup_steps))
            total += float(losses.get("mel_after", losses["total"])) * len(batch.utt_ids)
            n += len(batch.utt_ids)
        from .acoustic_samples import write_samples as _write

        _write(self, write_samples)
        log.info("step %d: validation mel L1 %.4f", self.step, total / n)
        return total / n

    # ------------------------------------------------------------------ loop
    def train(self, max_steps: int | None = None) -> TrainSummary:
        cfg = self.cfg
        target = cfg.max_steps if max_steps is None else max_steps
        t0, last, val = time.time(), {}, None
        if self.step >= target:
            log.info("already at step %d >= %d", self.step, target)
        loader = self._loader(self.train_items, self.step, max(0, target - self.step), cfg.seed)
        tick = time.time()
        for batch in loader:
            last = self.train_step(batch)
            if self.step % cfg.log_interval == 0 or self.step == target:
                rate = cfg.log_interval / max(time.time() - tick, 1e-9)
                tick = time.time()
                log.info("step %d lr %.2e %s (%.2f steps/s)", self.step, self.sched.get_last_lr()[0],
                         " ".join(f"{k} {v:.4f}" for k, v in last.items()), rate)
            if self.step % cfg.val_interval == 0:
                val = self.validate()
            if self.step % cfg.ckpt_interval == 0:
                self.save()
        if self.step > 0 and latest_checkpoint(self.out / "checkpoints") != self.out / "checkpoints" / f"ckpt_{self.step}.pt":
            self.save()
        bundle = self.export(self.out / "bundle", last) if self.step > 0 else None
        return TrainSummary(self.step, last, val, bundle, time.time() - t0)

    def export(self, out_dir: Path, last_losses: dict | None = None) -> Path:
        from .acoustic_export import speakers_entry

        names = self._display_names()
        prov = {"trainer": "index_tts.train.acoustic", "data": str(self.data_dir), "steps": self.step,
                "init_from": str(self.init_dir) if self.init_dir else "none (trained from scratch)",
                "vocoder_from": str(self.vocoder_dir) if self.vocoder_dir else "none",
                "speaker_encoder": "resemblyzer GE2E (256-dim)" if self.speaker_mode != "none" else "none"}
        info = ExportInfo(self.cfg.name, self.cfg.description, self.cfg.licence, prov,
                          speakers_entry(self.speaker_table, names),
                          {"steps": self.step, "hours of audio": round(self.hours(), 3),
                           "utterances": len(self.items), "speaker mode": self.speaker_mode,
                           "last losses": {k: round(v, 4) for k, v in (last_losses or {}).items()}})
        path = export_bundle(out_dir, self.model, self.model_cfg, self.mel_cfg, self.symbols, info, self.vocoder_dir)
        log.info("exported bundle to %s", path)
        return path

    def _display_names(self) -> dict[str, str]:
        p = self.data_dir / "speakers.json"
        if not p.is_file():
            return {}
        data = json.loads(p.read_text(encoding="utf-8"))
        return {k: (v.get("display_name", k) if isinstance(v, dict) else str(v)) for k, v in data.items()}


def hash_name(name: str) -> str:
    import hashlib

    return hashlib.sha1(name.encode("utf-8")).hexdigest()


def _millions(m: torch.nn.Module) -> float:
    return sum(p.numel() for p in m.parameters()) / 1e6


def main(argv: list[str] | None = None) -> int:
    from .train_logging import setup_train_logging

    ap = argparse.ArgumentParser(prog="python -m index_tts.train acoustic", description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True, help="training config JSON (configs/acoustic_*.json)")
    ap.add_argument("--data", required=True, help="dataset folder with metadata.csv|tsv and wavs/")
    ap.add_argument("--out", required=True, help="run folder (checkpoints, cache, samples, bundle)")
    ap.add_argument("--resume", action="store_true", help="continue from the run folder's latest checkpoint")
    ap.add_argument("--init-from", default=None, help="bundle to fine-tune (folder or cache_hub name)")
    ap.add_argument("--vocoder-from", default=None, help="bundle whose vocoder/MelConfig to use (default: --init-from)")
    ap.add_argument("--max-steps", type=int, default=None, help="stop at this absolute step (default: config)")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda[:N]")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--export-only", action="store_true", help="load the latest checkpoint and export the bundle")
    ap.add_argument("--pack-features", default=None, metavar="DIR",
                    help="preprocess --data, write its features (fp16, no audio) to DIR for --data elsewhere, and stop")
    args = ap.parse_args(argv)
    setup_train_logging(Path(args.out) / "train.log")
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = AcousticTrainConfig.load(args.config)
    trainer = AcousticTrainer(cfg, args.data, args.out, args.device, args.init_from, args.vocoder_from)
    if args.pack_features:
        extra = [Path(args.data) / "speakers.json"]
        print(pack_features(trainer.items, args.pack_features, trainer.mel_cfg, trainer.symbols, extra))
        return 0
    if args.resume or args.export_only:
        trainer.resume()
    if args.export_only:
        print(trainer.export(Path(args.out) / "bundle"))
        return 0
    summary = trainer.train(args.max_steps)
    print(f"done: step {summary.step}, bundle {summary.bundle_dir}, {summary.seconds:.0f} s")
    return 0
