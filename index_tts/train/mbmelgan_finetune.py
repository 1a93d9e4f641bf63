"""Fine-tune the default voice's MB-MelGAN towards other speakers, on CPU, with spectral losses.

Why: the MB-MelGAN of ``baker-zh`` was trained on one female voice; it breaks low male voices
(docs/HIFIGAN.md: copy synthesis of zm_yunyang, CER 12.5 -> 37.5 %, similarity 0.74), and the
student speaks through it. The universal HiFi-GAN is transparent for every voice but ~8x
slower here. This tool measures whether a short fine-tune of the fast vocoder on teacher audio
(multi-resolution STFT + mel L1, no discriminator: cheap and stable on CPU) closes the gap.

    python -m index_tts.train.mbmelgan_finetune --wavs DIR [DIR ...] --out DIR --steps 400
    python -m index_tts.train.mbmelgan_finetune --measure --out DIR --heldout DIR

The output is a vocoder weights file (``mbmelgan_ft.safetensors``) plus ``finetune.json``; the
measurement copy-synthesises held-out clips with the original and the fine-tuned vocoder and
prints Whisper CER and resemblyzer similarity to the original clip.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

log = logging.getLogger(__name__)

SEGMENT_FRAMES = 32
STFT_SETS = ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240))


def _stft_mag(x: torch.Tensor, n_fft: int, hop: int, win: int) -> torch.Tensor:
    spec = torch.stft(x, n_fft, hop, win, torch.hann_window(win, device=x.device), return_complex=True)
    return spec.abs().clamp_min(1e-7)


def mr_stft_loss(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Spectral convergence + log-magnitude L1 over three resolutions (y: output, x: target)."""
    total = y.new_zeros(())
    for n_fft, hop, win in STFT_SETS:
        ym, xm = _stft_mag(y, n_fft, hop, win), _stft_mag(x, n_fft, hop, win)
        sc = torch.linalg.norm(xm - ym) / torch.linalg.norm(xm).clamp_min(1e-7)
        total = total + sc + F.l1_loss(ym.log(), xm.log())
    return total / len(STFT_SETS)


def _log_mel(wav: torch.Tensor, cfg) -> torch.Tensor:
    """log10 mel floored at 1e-5: silence does not dominate the loss as in normalised units."""
    from ..audio.mel import log_mel_raw

    return log_mel_raw(wav, cfg).clamp_min(-5.0)


def _sounding_start(clip: np.ndarray, n_frames: int, hop: int, rng: np.random.Generator, tries: int = 8) -> int:
    """A crop start whose segment is not mostly silence (up to ``tries`` draws)."""
    t = 0
    for _ in range(tries):
        t = int(rng.integers(0, n_frames - SEGMENT_FRAMES - 1))
        seg = clip[t * hop:(t + SEGMENT_FRAMES) * hop]
        if float(np.sqrt(np.mean(seg ** 2))) > 0.02:
            break
    return t


def load_clips(dirs: Sequence[str | Path], sample_rate: int, limit: int = 0) -> list[np.ndarray]:
    import soundfile as sf

    files = sorted(p for d in dirs for p in Path(d).rglob("*") if p.suffix.lower() in (".wav", ".flac"))
    if limit:
        files = files[:limit]
    clips = []
    for f in files:
        wav, sr = sf.read(str(f), dtype="float32", always_2d=True)
        wav = wav[:, 0]
        if sr != sample_rate:
            import librosa

            wav = librosa.resample(wav, orig_sr=sr, target_sr=sample_rate)
        clips.append(wav.astype(np.float32))
    return clips


def _base(bundle: str = "baker-zh"):
    from ..bundle import load_bundle

    b = load_bundle(bundle, device="cpu")
    return b, b.vocoders[b.default_vocoder]


def finetune(wav_dirs: Sequence[str], out: Path, steps: int, batch: int = 8, lr: float = 2e-5,
             w_mel: float = 1.0, seed: int = 0) -> dict:
    from safetensors.torch import save_file

    from ..audio.mel import mel_spectrogram

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    bundle, voc = _base()
    cfg, hop = bundle.mel, bundle.mel.hop_length
    clips = [c for c in load_clips(wav_dirs, cfg.sample_rate) if len(c) > (SEGMENT_FRAMES + 2) * hop]
    if not clips:
        raise ValueError(f"no clips longer than {SEGMENT_FRAMES * hop / cfg.sample_rate:.2f} s in {wav_dirs}")
    mels = [mel_spectrogram(torch.from_numpy(c), cfg) for c in clips]  # [n_mels, T], model space
    voc.train()
    opt = torch.optim.Adam(voc.parameters(), lr=lr, betas=(0.5, 0.9))
    t0, hist = time.time(), []
    for step in range(1, steps + 1):
        xs, ms = [], []
        for i in rng.integers(0, len(clips), batch):
            t = _sounding_start(clips[i], mels[i].shape[1], hop, rng)
            ms.append(mels[i][:, t:t + SEGMENT_FRAMES])
            xs.append(torch.from_numpy(clips[i][t * hop:(t + SEGMENT_FRAMES) * hop]))
        mel, x = torch.stack(ms), torch.stack(xs)
        y = voc(mel)[:, 0, : x.shape[1]]
        loss_stft = mr_stft_loss(y, x)
        loss_mel = F.l1_loss(_log_mel(y, cfg), _log_mel(x, cfg))
        loss = loss_stft + w_mel * loss_mel
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(voc.parameters(), 1.0)
        opt.step()
        hist.append((float(loss_stft), float(loss_mel)))
        if step % 20 == 0:
            a = np.mean(hist[-20:], axis=0)
            log.info("step %d stft %.4f mel %.4f  %.2f s/step", step, a[0], a[1], (time.time() - t0) / step)
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().contiguous() for k, v in voc.state_dict().items()}, str(out / "mbmelgan_ft.safetensors"))
    info = {"steps": steps, "batch": batch, "lr": lr, "clips": len(clips), "wav_dirs": [str(d) for d in wav_dirs],
            "seconds": round(time.time() - t0, 1), "last_losses": [round(v, 4) for v in np.mean(hist[-20:], axis=0)]}
    (out / "finetune.json").write_text(json.dumps(info, indent=1))
    return info


@torch.inference_mode()
def measure(out: Path, heldout: Sequence[str], limit: int = 8) -> list[dict]:
    """Copy synthesis of held-out clips: original vs fine-tuned vocoder (CER, similarity to the clip)."""
    from safetensors.torch import load_file

    from ..audio.mel import mel_spectrogram
    from ..encoders.speaker import SpeakerEncoder
    from ..eval.asr import WhisperASR

    import copy

    bundle, voc = _base()
    tuned = copy.deepcopy(voc)
    tuned.load_state_dict(load_file(str(out / "mbmelgan_ft.safetensors")))
    voc.eval(), tuned.eval()
    from ..eval.quality import dnsmos_ovrl
    from ..eval.textnorm import cer_counts

    asr, spk = WhisperASR(cpu_threads=1), SpeakerEncoder()
    rows = []
    for d in heldout:
        clips = load_clips([d], bundle.mel.sample_rate, limit)
        rows.append({"clips": str(d), "vocoder": "none (the clip)", "n": len(clips),
                     "dnsmos_ovrl": round(float(np.mean([dnsmos_ovrl(c, 24000) for c in clips])), 2)})
        for name, v in (("original", voc), ("finetuned", tuned)):
            sims, hyps, mos = [], [], []
            for c in clips:
                y = v.infer(mel_spectrogram(torch.from_numpy(c), bundle.mel).unsqueeze(0))[0].float().numpy()
                sims.append(spk.similarity(spk.embed(y, 24000, validate=False), spk.embed(c, 24000, validate=False)))
                hyps.append((asr.transcribe(c, 24000), asr.transcribe(y, 24000)))
                mos.append(dnsmos_ovrl(y, 24000))
            edits = sum(cer_counts(a, b).edits for a, b in hyps)
            chars = sum(cer_counts(a, b).ref_len for a, b in hyps)
            rows.append({"clips": str(d), "vocoder": name, "n": len(clips), "sim_to_clip": round(float(np.mean(sims)), 3),
                         "cer_vs_clip_transcript": round(edits / max(chars, 1), 4),
                         "dnsmos_ovrl": round(float(np.mean(mos)), 2)})
        for r in rows[-3:]:
            log.info("%s", r)
    return rows


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wavs", nargs="*", default=[])
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--measure", action="store_true")
    ap.add_argument("--heldout", nargs="*", default=[])
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    torch.set_num_threads(args.threads)
    if args.measure:
        for r in measure(Path(args.out), args.heldout):
            print(json.dumps(r))
    else:
        print(json.dumps(finetune(args.wavs, Path(args.out), args.steps, args.batch, args.lr)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
