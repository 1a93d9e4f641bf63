"""Make a bundle small enough to travel to a GPU machine: float weights stored as fp16.

``python -m index_tts.train pack-bundle-fp16 --bundle cache_hub/baker-zh --out DIR`` halves every
``*.safetensors`` of a bundle (the loader casts back to the model's dtype), records
``"dtype": "float16"`` in config.json and writes a fresh manifest. The default voice shrinks from
about 70 MB to about 35 MB, which fits the 64 MiB a device session may carry.
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
from pathlib import Path
from typing import Optional

import torch

from ..hub import verify_manifest, write_manifest

log = logging.getLogger(__name__)


def pack_bundle_fp16(src: str | Path, dst: str | Path) -> Path:
    from safetensors.torch import load_file, save_file

    src, dst = Path(src), Path(dst)
    verify_manifest(src)
    if dst.resolve() == src.resolve():
        raise ValueError("pack-bundle-fp16 writes a copy; --out must differ from --bundle")
    dst.mkdir(parents=True, exist_ok=True)
    config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    for p in sorted(src.iterdir()):
        if not p.is_file() or p.name in ("manifest.json", "config.json"):
            continue
        if p.suffix == ".safetensors":
            tensors = {k: (v.to(torch.float16) if v.is_floating_point() else v).contiguous() for k, v in load_file(str(p)).items()}
            save_file(tensors, str(dst / p.name), metadata={"format": "pt", "dtype": "float16"})
        else:
            shutil.copyfile(p, dst / p.name)
    if "acoustic" in config:
        config["acoustic"]["dtype"] = "float16"
    for entry in config.get("vocoders", {}).values():
        entry["dtype"] = "float16"
    (dst / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_manifest(dst)
    return dst


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index_tts.train pack-bundle-fp16", description=__doc__.split("\n")[0])
    ap.add_argument("--bundle", required=True, help="bundle folder")
    ap.add_argument("--out", required=True, help="folder for the fp16 copy")
    args = ap.parse_args(argv)
    out = pack_bundle_fp16(args.bundle, args.out)
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"{out}: {size / 2**20:.1f} MiB")
    return 0
