"""HiFi-GAN training loop: LSGAN + feature matching + mel L1, AdamW, resumable checkpoints.

``python -m index_tts.train vocoder --config configs/vocoder_hifigan_v2.json [--resume]
[--device cuda] [--max-steps N]``. Step ``k`` always trains on the same batch (see
:class:`StepBatchSampler`), so a resumed run continues exactly where the interrupted one stopped.
"""
from __future__ import annotations

import argparse
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..audio.mel import MelConfig, denormalize_mel, log_mel_raw
from ..vocoder.hifigan import HiFiGAN, HiFiGANConfig
from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from .discriminators import (
    HiFiGANDiscriminator,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
)
from .vocoder_config import VocoderTrainConfig, VocoderTrainConfigError, resolve_mel_config
from .vocoder_data import SegmentDataset, StepBatchSampler, collate, find_sources, prepare_cache, split_items

log = logging.getLogger(__name__)
LN10 = math.log(10.0)


@dataclass
class TrainSummary:
    step: int
    losses: dict[str, float] = field(default_factory=dict)
    val_mel_l1: Optional[float] = None
    val_input_l1: Optional[tuple[float, float]] = None  # (generated, reference audio) vs the input mel
    steps_per_s: float = 0.0
    checkpoint: Optional[str] = None
    export_dir: Optional[str] = None


class VocoderTrainer:
    def __init__(self, cfg: VocoderTrainConfig, device: str = "cpu", resume: bool = False):
        self.cfg = cfg
        self.device = torch.device(device)
        self.mel_cfg: MelConfig = resolve_mel_config(cfg)
        sr = self.mel_cfg.sample_rate
        self.loss_mel_cfg = self.mel_cfg.without_stats().replace(fmin=0.0, fmax=float(cfg.loss_fmax or sr / 2))
        self.val_mel_cfg = self.mel_cfg.without_stats()
        self.out = Path(cfg.out_dir)
        self.ckpt_dir = self.out / "checkpoints"
        self.amp_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(cfg.precision)
        if self.amp_dtype is not None and self.device.type != "cuda":
            log.warning("precision %s needs CUDA; training in fp32 on %s", cfg.precision, self.device)
            self.amp_dtype = None

        # Data first: the feature cache is built in worker processes, before CUDA is initialised.
        sources = find_sources(cfg.wav_dirs, cfg.pair_dirs)
        self.cache_dir = Path(cfg.cache_dir) if cfg.cache_dir else self.out / "cache"
        items = prepare_cache(sources, self.mel_cfg, self.cache_dir, workers=max(1, cfg.num_workers))
        self.train_items, self.val_items = split_items(items, cfg.val_items, cfg.segment_frames)
        self.dataset = SegmentDataset(self.train_items, self.cache_dir, cfg.segment_frames, self.mel_cfg.hop_length)

        if self.device.type == "cuda":  # TF32 matmuls/convs and autotuned kernels for the fixed crop size
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
            torch.backends.cudnn.benchmark = True
        torch.manual_seed(cfg.seed)
        self.gen = HiFiGAN(cfg.generator).apply_weight_norm().to(self.device)
        self.disc = HiFiGANDiscriminator(cfg.discriminator).to(self.device)
        self.opt_g = torch.optim.AdamW(self.gen.parameters(), cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
        self.opt_d = torch.optim.AdamW(self.disc.parameters(), cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
        self.sched_g = torch.optim.lr_scheduler.ExponentialLR(self.opt_g, cfg.lr_decay)
        self.sched_d = torch.optim.lr_scheduler.ExponentialLR(self.opt_d, cfg.lr_decay)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.step = 0
        self.last_val: Optional[float] = None
        self.last_val_input: Optional[tuple[float, float]] = None

        log.info(
            "data: %d training items, %d validation items; generator %.2fM params, discriminator %.2fM",
            len(self.train_items), len(self.val_items), _millions(self.gen), _millions(self.disc),
        )
        if resume:
            self.resume()

    # ----------------------------------------------------------------- checkpoints
    def _models(self) -> dict:
        return {"generator": self.gen, "discriminator": self.disc}

    def _optims(self) -> dict:
        return {"opt_g": self.opt_g, "opt_d": self.opt_d, "sched_g": self.sched_g, "sched_d": self.sched_d, "scaler": self.scaler}

    def save(self) -> Path:
        extra = {
            "train_config": self.cfg.to_dict(),
            "generator_config": self.cfg.generator.to_dict(),
            "mel": self.mel_cfg.to_dict(),
            "val_mel_l1": self.last_val,
            "val_input_l1": self.last_val_input,
            "torch_rng": torch.get_rng_state(),
        }
        path = save_checkpoint(self.ckpt_dir / f"ckpt_{self.step}.pt", self.step, self._models(), self._optims(), extra)
        old = sorted(self.ckpt_dir.glob("ckpt_*.pt"), key=lambda p: int(p.stem.split("_")[-1]))
        for p in old[: -self.cfg.keep_checkpoints]:
            p.unlink(missing_ok=True)
        return path

    def resume(self, path: Optional[Path] = None) -> bool:
        path = path or latest_checkpoint(self.ckpt_dir)
        if path is None:
            log.info("no checkpoint in %s; starting from step 0", self.ckpt_dir)
            return False
        state = torch.load(path, map_location="cpu", weights_only=False)
        extra = state.get("extra", {})
        if HiFiGANConfig.from_dict(extra["generator_config"]) != self.cfg.generator:
            raise VocoderTrainConfigError(f"{path}: the checkpoint's generator config differs from this run's config")
        if not MelConfig.from_dict(extra["mel"]).same_features(self.mel_cfg):
            raise VocoderTrainConfigError(f"{path}: the checkpoint was trained on other mel features")
        del state
        self.step, extra = load_checkpoint(path, self._models(), self._optims(), map_location=self.device)
        self.last_val = extra.get("val_mel_l1")
        self.last_val_input = extra.get("val_input_l1")
        if "torch_rng" in extra:
            torch.set_rng_state(extra["torch_rng"].cpu())
        log.info("resumed from %s at step %d", path, self.step)
        return True

    # ----------------------------------------------------------------- training
    def _autocast(self):
        return torch.autocast(self.device.type, dtype=self.amp_dtype or torch.float32, enabled=self.amp_dtype is not None)

    def _mel_l1(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Natural-log mel L1 (as in the paper) on full-band mels of the same definition."""
        a = log_mel_raw(y_hat.squeeze(1).float(), self.loss_mel_cfg)
        b = log_mel_raw(y.squeeze(1).float(), self.loss_mel_cfg)
        return F.l1_loss(a, b) * LN10

    def _step_backward(self, loss: torch.Tensor, opt: torch.optim.Optimizer, params) -> None:
        opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.cfg.grad_clip:
            self.scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(params, self.cfg.grad_clip)
        self.scaler.step(opt)

    def train_step(self, mel: torch.Tensor, wav: torch.Tensor) -> dict[str, float]:
        cfg = self.cfg
        mel = mel.to(self.device, non_blocking=True)
        wav = wav.to(self.device, non_blocking=True)
        with self._autocast():
            y_hat = self.gen(mel)
            real, _ = self.disc(wav)
            fake, _ = self.disc(y_hat.detach())
            loss_d = discriminator_loss(real, fake)
        self._step_backward(loss_d, self.opt_d, self.disc.parameters())

        with self._autocast():
            _, feats_real = self.disc(wav)
            fake, feats_fake = self.disc(y_hat)
            adv = generator_adversarial_loss(fake)
            fm = feature_matching_loss(feats_real, feats_fake)
        mel_l1 = self._mel_l1(y_hat, wav)
        loss_g = cfg.adv_loss_weight * adv + cfg.fm_loss_weight * fm + cfg.mel_loss_weight * mel_l1
        self._step_backward(loss_g, self.opt_g, self.gen.parameters())
        self.scaler.update()
        self.step += 1
        if self.step % cfg.lr_decay_every == 0:
            self.sched_g.step()
            self.sched_d.step()
        out = {"d": loss_d.item(), "g": loss_g.item(), "adv": adv.item(), "fm": fm.item(), "mel": mel_l1.item()}
        if not all(math.isfinite(v) for v in out.values()):
            raise FloatingPointError(f"non-finite loss at step {self.step}: {out}")
        return out

    @torch.no_grad()
    def validate(self, write_samples: int = 2) -> Optional[float]:
        """Mean L1 between log10 mels of generated and reference audio over the validation items.

        Also sets ``last_val_input``: (generated, reference audio) mean L1 against the input mel.
        """
        if not self.val_items:
            return None
        self.gen.eval()
        ds = SegmentDataset(self.val_items, self.cache_dir, 1, self.mel_cfg.hop_length)
        dists, gen_in, ref_in = [], [], []
        for i in range(len(self.val_items)):
            mel_np, wav_np = ds.load(i)
            n = min(mel_np.shape[1], self.cfg.val_max_frames)
            mel = torch.from_numpy(np.array(mel_np[:, :n], dtype=np.float32)).unsqueeze(0).to(self.device)
            ref = torch.from_numpy(np.array(wav_np[: n * self.mel_cfg.hop_length], dtype=np.float32) / 32767.0).to(self.device)
            with self._autocast():
                y_hat = self.gen(mel)
            y_hat = y_hat.float().squeeze(0).squeeze(0)
            a, b = log_mel_raw(y_hat, self.val_mel_cfg), log_mel_raw(ref, self.val_mel_cfg)
            dists.append(float(torch.mean(torch.abs(a - b))))
            # Against the input features themselves: comparable across vocoders (for teacher pairs the
            # reference audio is the teacher's output, so ref_in is the teacher's own error).
            target = denormalize_mel(mel[0], self.mel_cfg)
            gen_in.append(float(torch.mean(torch.abs(a[:, :n] - target))))
            ref_in.append(float(torch.mean(torch.abs(b[:, :n] - target))))
            if i < write_samples:
                self._write_sample(y_hat, i)
        self.gen.train()
        self.last_val_input = (float(np.mean(gen_in)), float(np.mean(ref_in)))
        return float(np.mean(dists))

    def _write_sample(self, wav: torch.Tensor, i: int) -> None:
        import soundfile as sf

        folder = self.out / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        sf.write(folder / f"step{self.step:07d}_val{i}.wav", wav.cpu().numpy(), self.mel_cfg.sample_rate, subtype="PCM_16")

    def _loader(self, last_step: int):
        sampler = StepBatchSampler(len(self.dataset), self.cfg.batch_size, self.cfg.seed, self.step + 1, last_step)
        return torch.utils.data.DataLoader(
            self.dataset, batch_sampler=sampler, num_workers=self.cfg.num_workers, collate_fn=collate,
            pin_memory=self.device.type == "cuda",
        )

    def train(self, max_steps: Optional[int] = None, max_seconds: Optional[float] = None) -> TrainSummary:
        """Train up to step ``max_steps`` (absolute; default cfg.max_steps) or for ``max_seconds`` of
        wall time, whichever comes first; a time-limited run still checkpoints and exports."""
        cfg = self.cfg
        last = max_steps or cfg.max_steps
        deadline = time.perf_counter() + max_seconds if max_seconds else None
        summary = TrainSummary(step=self.step, val_mel_l1=self.last_val)
        if self.step >= last:
            log.info("already at step %d >= %d; nothing to train", self.step, last)
        self.gen.train()
        self.disc.train()
        sums: dict[str, float] = {}
        count, t0, saved_at = 0, time.perf_counter(), None
        try:
            for mel, wav in self._loader(last):
                losses = self.train_step(mel, wav)
                for k, v in losses.items():
                    sums[k] = sums.get(k, 0.0) + v
                count += 1
                if deadline is not None and self.step < last and time.perf_counter() >= deadline:
                    log.info("time budget reached at step %d", self.step)
                    last = self.step
                if self.step % cfg.log_every == 0 or self.step == last:
                    rate = count / max(time.perf_counter() - t0, 1e-9)
                    avg = {k: v / count for k, v in sums.items()}
                    log.info(
                        "step %d | lr %.3e | d %.4f | g %.4f | adv %.4f | fm %.4f | mel %.4f | %.2f steps/s",
                        self.step, self.opt_g.param_groups[0]["lr"], avg["d"], avg["g"], avg["adv"], avg["fm"], avg["mel"], rate,
                    )
                    summary.losses, summary.steps_per_s = avg, rate
                    sums, count, t0 = {}, 0, time.perf_counter()
                if self.step % cfg.val_every == 0 or self.step == last:
                    self.last_val = self.validate()
                    if self.last_val is not None and self.last_val_input is not None:
                        log.info(
                            "step %d | validation mel L1 (log10) vs reference audio %.4f | vs input mel: generated %.4f, reference audio %.4f",
                            self.step, self.last_val, *self.last_val_input,
                        )
                if self.step % cfg.ckpt_every == 0 or self.step == last:
                    saved_at = self.save()
                if self.step >= last:
                    break
        except KeyboardInterrupt:
            log.warning("interrupted at step %d; saving a checkpoint", self.step)
            self.save()
            raise
        summary.step, summary.val_mel_l1, summary.val_input_l1 = self.step, self.last_val, self.last_val_input
        summary.checkpoint = str(saved_at) if saved_at else None
        if cfg.export_on_finish and self.step >= last:
            from .vocoder_export import export_vocoder

            ckpt = saved_at or latest_checkpoint(self.ckpt_dir) or self.save()
            summary.export_dir = str(export_vocoder(ckpt, self.out / "export", name=cfg.voice_name))
        return summary


def _millions(module: torch.nn.Module) -> float:
    return sum(p.numel() for p in module.parameters()) / 1e6


def pick_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise VocoderTrainConfigError("--device cuda requested but CUDA is not available")
    return name


def main(argv: Optional[list[str]] = None) -> int:
    from .train_logging import setup_train_logging

    ap = argparse.ArgumentParser(prog="python -m index_tts.train vocoder", description="Train a HiFi-GAN vocoder.")
    ap.add_argument("--config", required=True, help="training config JSON (e.g. configs/vocoder_hifigan_v2.json)")
    ap.add_argument("--resume", action="store_true", help="continue from the latest checkpoint of the run folder")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda[:N]")
    ap.add_argument("--max-steps", type=int, default=None, help="stop at this (absolute) step")
    ap.add_argument("--max-minutes", type=float, default=None, help="stop (checkpoint + export) after this much wall time")
    ap.add_argument("--out-dir", default=None, help="override the config's out_dir")
    ap.add_argument("--workers", type=int, default=None, help="override the config's num_workers")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = ap.parse_args(argv)
    cfg = VocoderTrainConfig.from_file(args.config)
    changes = {k: v for k, v in (("out_dir", args.out_dir), ("num_workers", args.workers)) if v is not None}
    cfg = cfg.replace(**changes) if changes else cfg
    if args.threads:
        torch.set_num_threads(args.threads)
    setup_train_logging(Path(cfg.out_dir) / "train.log")
    trainer = VocoderTrainer(cfg, device=pick_device(args.device), resume=args.resume)
    summary = trainer.train(args.max_steps, max_seconds=args.max_minutes * 60 if args.max_minutes else None)
    print(f"finished at step {summary.step}; checkpoint {summary.checkpoint}; export {summary.export_dir}")
    return 0
