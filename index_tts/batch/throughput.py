"""Wall time of a long batch with one worker and with ``--workers N``, as a user runs it.

    python -m index_tts.batch.throughput --lines 200                 # 1 worker vs 2 workers
    python -m index_tts.batch.throughput --lines 200 --configs 1x1,2x1,1x2 --repeat 2

Each configuration ``WxT`` (W worker processes, T torch threads each) runs the real command
``python -m index_tts batch story.txt --out DIR --workers W --threads T`` from scratch (fresh
folder, new process: start-up, model loading, every line, joining, subtitles) on the same
generated script (``longscript.long_script``, default voice), and its wall time is taken
around the whole command, with the CPU seconds it used (all its processes: ``cpu_per_wall``
near the worker count means the workers really ran side by side). Prints a JSON report with each run's wall time, the speed-up of
every configuration over the first, whether outputs with the same thread count are
byte-identical, and the machine's load average before and after (other processes on the
machine compete for the same cores; note them when reading the figures).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from .killtest import _env, batch_command, tree
from .longscript import long_script


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _busiest(n: int = 4) -> list[str]:
    """The processes using the most CPU right now (they compete with the measurement)."""
    try:
        rows = subprocess.run(["ps", "-eo", "pcpu,args", "--sort=-pcpu"], capture_output=True, text=True).stdout
    except OSError:
        return []
    return [r.strip()[:100] for r in rows.splitlines()[1:n + 1]]


def run_config(script: Path, out: Path, workers: int, threads: int, seed: int) -> dict:
    if out.exists():
        shutil.rmtree(out)
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(batch_command(script, out, threads, workers, seed), env=_env(threads),
                          capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"batch failed ({done.returncode}):\n{done.stderr[-3000:]}")
    info = [row for row in done.stderr.splitlines() if "worker" in row and "ready" in row]
    summary = next((row for row in done.stdout.splitlines() if " lines (" in row), "")
    return {"workers": workers, "threads": threads, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "cpu_per_wall": round(cpu / wall, 2), "summary": summary,
            "workers_note": info}


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m index_tts.batch.throughput", description=__doc__.split("\n")[0])
    p.add_argument("--lines", type=int, default=200)
    p.add_argument("--configs", default="1x1,2x1", help="comma-separated WORKERSxTHREADS; the first is the baseline")
    p.add_argument("--repeat", type=int, default=1, help="run the whole list this many times (median reported)")
    p.add_argument("--out", default="outputs/throughput")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    configs = [tuple(int(x) for x in c.lower().split("x")) for c in args.configs.split(",")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    script = out / "story.txt"
    script.write_text(long_script(args.lines, seed=args.seed), encoding="utf-8")
    report: dict = {"lines": args.lines, "cpus": os.cpu_count(), "load_before": _load(), "busiest_other": _busiest(),
                    "runs": []}
    for r in range(args.repeat):
        for w, t in configs:
            run = run_config(script, out / f"w{w}t{t}", w, t, args.seed)
            run["round"] = r + 1
            print(f"{w} worker(s) x {t} thread(s): {run['wall_s']} s", file=sys.stderr, flush=True)
            report["runs"].append(run)
    report["load_after"] = _load()
    report["busiest_other_after"] = _busiest()
    medians = {f"{w}x{t}": statistics.median(x["wall_s"] for x in report["runs"]
                                             if (x["workers"], x["threads"]) == (w, t)) for w, t in configs}
    base = medians[f"{configs[0][0]}x{configs[0][1]}"]
    report["median_wall_s"] = medians
    report["speedup_vs_first"] = {k: round(base / v, 3) for k, v in medians.items()}
    same: dict[str, bool] = {}
    for w, t in configs[1:]:
        w0 = next((c for c in configs if c[1] == t and c != (w, t)), None)
        if w0 is not None:
            a, b = tree(out / f"w{w0[0]}t{t}"), tree(out / f"w{w}t{t}")
            same[f"{w0[0]}x{t} == {w}x{t}"] = a == b
    report["identical_outputs"] = same
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
