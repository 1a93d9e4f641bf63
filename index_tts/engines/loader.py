"""Load the default voice's networks for a backend: the bundle (or its spec) and its runner.

``backend="torch"``: ``bundle.load_bundle`` + ``TorchRunner`` (fp16 on CUDA when asked);
``backend="onnx"``: ``bundle_spec.read_bundle_spec`` + ``OnnxRunner``, without importing
PyTorch (the device comes from ONNX Runtime's providers).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..errors import InvalidParameterError
from ..limits import pick_device


@dataclass
class LoadedVoice:
    bundle: Any  # bundle.Bundle (torch) or bundle_spec.BundleSpec (onnx)
    runner: Any  # TorchRunner / OnnxRunner
    vocoder_name: str
    device: str
    fp16: bool
    threads: int  # CPU threads the networks use


def _vocoder_name(names: Any, default: str, wanted: Optional[str]) -> str:
    name = wanted or default
    if name not in names:
        raise InvalidParameterError(f"vocoder {name!r} not in bundle; have {sorted(names)}")
    return name


def _onnx_device(device: Optional[str], use_gpu: Optional[bool]) -> str:
    """The ONNX backend's device without asking PyTorch: ``cuda`` only where ONNX Runtime has its
    CUDA provider ("auto" falls back to the CPU; an explicit "cuda" without it is an error)."""
    def cuda_provider() -> bool:
        import onnxruntime as ort

        return "CUDAExecutionProvider" in ort.get_available_providers()

    return pick_device(device, use_gpu, cuda_provider, runtime="ONNX Runtime (no CUDA provider)")


def load_voice(bundle_dir: Path, backend: str, *, device: Optional[str] = "auto", use_gpu: Optional[bool] = None,
               fp16: bool = False, vocoder: Optional[str] = None, threads: Optional[int] = None) -> LoadedVoice:
    if backend == "onnx":
        from ..bundle_spec import read_bundle_spec
        from ..onnx.runtime import default_threads, load_onnx_runner

        dev = _onnx_device(device, use_gpu)
        threads = int(threads or default_threads())
        spec = read_bundle_spec(bundle_dir)
        name = _vocoder_name(spec.vocoders, spec.default_vocoder, vocoder)
        runner = load_onnx_runner(spec.path, spec.acoustic_config, spec.mel, name, threads=threads)
        return LoadedVoice(spec, runner, name, dev, False, threads)
    import torch

    from ..bundle import load_bundle
    from .torch_runner import TorchRunner

    dev = pick_device(device, use_gpu)
    half = bool(fp16) and dev.startswith("cuda")
    if threads:
        torch.set_num_threads(int(threads))
    bundle = load_bundle(bundle_dir, device=dev)
    name = _vocoder_name(bundle.vocoders, bundle.default_vocoder, vocoder)
    acoustic, voc = bundle.acoustic.eval(), bundle.vocoders[name].eval()
    if half:
        acoustic.half()
        voc.half()
    return LoadedVoice(bundle, TorchRunner(acoustic, voc, dev, half), name, dev, half, torch.get_num_threads())
