"""Kill a batch with SIGKILL at random points, resume it, and compare with an uninterrupted run.

    python -m index_tts.batch.killtest --lines 200 --kills 3             # the issue's bar
    python -m index_tts.batch.killtest --lines 20 --kills 2 --workers 2  # the process pool

1. Writes a ``--lines``-line script (``longscript.long_script``) to ``OUT/story.txt``.
2. Renders it once without interruption: ``python -m index_tts batch story.txt --out OUT/ref``.
3. Renders it again into ``OUT/killed`` and SIGKILLs the whole process group (the CLI and any
   ``--workers`` processes) ``--kills`` times at random points: each kill waits until a random
   number of lines is done (targets drawn uniformly, sorted, so every run makes progress), then
   a further random delay of up to about one line's rendering time, so the kill lands anywhere
   inside rendering a line or writing its files. After each kill it checks that every file
   under a final name is complete (each line's .wav decodes, each .json parses and names as
   many samples as its .wav holds) and that no joined output exists yet.
4. Restarts the same command until it finishes, then checks that both folders hold the same
   files with the same bytes and that no temporary file is left anywhere.

Prints one JSON report (per kill: when, lines done, temporary files caught mid-write) and
exits 1 when any check fails. Both runs use the same seed and ``--threads`` (audio depends on
the torch thread count, see README "What a batch writes").
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from .longscript import long_script

TMP_MARK = ".tmp-"


def batch_command(script: Path, out: Path, threads: int, workers: int, seed: int) -> list[str]:
    return [sys.executable, "-m", "index_tts", "batch", str(script), "--out", str(out), "--threads", str(threads),
            "--workers", str(workers), "--seed", str(seed)]


def _env(threads: int) -> dict[str, str]:
    return dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
                OPENBLAS_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1")


def lines_done(out: Path) -> int:
    folder = out / "lines"
    return sum(1 for p in folder.glob("*.json") if not p.name.startswith(".")) if folder.is_dir() else 0


def check_final_files(out: Path) -> list[str]:
    """Problems with files under final names in a (possibly killed) batch folder."""
    import soundfile as sf

    problems = []
    folder = out / "lines"
    if not folder.is_dir():
        return problems
    for wav in sorted(folder.glob("[0-9]*.wav")):
        try:
            frames = sf.info(str(wav)).frames
            data, _ = sf.read(str(wav), dtype="int16")
            if len(data) != frames:
                problems.append(f"{wav.name}: header says {frames} samples, holds {len(data)}")
        except Exception as exc:  # noqa: BLE001 - any failure to decode is the finding
            problems.append(f"{wav.name}: does not decode ({exc})")
            continue
        meta_path = wav.with_suffix(".json")
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                if meta["samples"] != frames:
                    problems.append(f"{meta_path.name}: {meta['samples']} samples, its .wav has {frames}")
            except (ValueError, KeyError) as exc:
                problems.append(f"{meta_path.name}: unreadable ({exc})")
    for meta_path in sorted(folder.glob("[0-9]*.json")):
        if not meta_path.with_suffix(".wav").exists():
            problems.append(f"{meta_path.name}: the done mark exists without its .wav")
    return problems


def temp_files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob(f"*{TMP_MARK}*"))


def tree(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _run(cmd: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - t, done


def _summary(stdout: str) -> str:
    return next((row for row in stdout.splitlines() if " lines (" in row), stdout.strip()[-200:])


def kill_once(cmd: list[str], env: dict, out: Path, target: int, jitter_s: float,
              timeout_s: float) -> dict:
    """Start ``cmd``, wait for ``target`` lines to be done plus ``jitter_s``, SIGKILL its group."""
    start_done = lines_done(out)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        while lines_done(out) < target:
            if proc.poll() is not None:
                raise RuntimeError(f"the batch ended before line {target} was done (rc {proc.returncode}): "
                                   f"{proc.stderr.read()[-2000:]}")
            if time.perf_counter() - t0 > timeout_s:
                raise RuntimeError(f"line {target} not done within {timeout_s:.0f} s")
            time.sleep(0.01)
        time.sleep(jitter_s)
        finished_first = proc.poll() is not None
        os.killpg(proc.pid, signal.SIGKILL)
        t_kill = time.perf_counter() - t0
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()
        proc.stderr.close()
    time.sleep(0.2)  # let the kernel reap the workers of the group
    return {"target_lines": target, "jitter_s": round(jitter_s, 3), "killed_after_s": round(t_kill, 2),
            "lines_done_before": start_done, "lines_done_at_kill": lines_done(out),
            "finished_before_kill": finished_first, "temp_files_at_kill": temp_files(out),
            "joined_outputs_at_kill": sorted(p.name for p in out.glob("story.*")),
            "final_file_problems": check_final_files(out)}


def run_killtest(n_lines: int, kills: int, out: Path, *, threads: int = 1, workers: int = 1, seed: int = 7,
                 rng_seed: Optional[int] = None, log=print) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    script = out / "story.txt"
    script.write_text(long_script(n_lines, seed=seed), encoding="utf-8")
    env = _env(threads)
    if rng_seed is None:
        rng_seed = random.SystemRandom().randrange(2**31)
    rng = random.Random(rng_seed)
    ref, killed = out / "ref", out / "killed"
    for folder in (ref, killed):
        if folder.exists():
            import shutil

            shutil.rmtree(folder)

    log(f"uninterrupted run of {n_lines} lines -> {ref}")
    ref_wall, done = _run(batch_command(script, ref, threads, workers, seed), env)
    ref_summary = _summary(done.stdout)
    per_line = ref_wall / n_lines
    if kills >= n_lines:
        raise ValueError("need more lines than kills")
    targets = sorted(rng.sample(range(1, n_lines), kills))
    report: dict = {"lines": n_lines, "kills_asked": kills, "threads": threads, "workers": workers, "seed": seed,
                    "rng_seed": rng_seed,
                    "reference": {"wall_s": round(ref_wall, 2), "summary": ref_summary}, "kills": []}
    cmd = batch_command(script, killed, threads, workers, seed)
    for k, target in enumerate(targets, start=1):
        jitter = rng.uniform(0.0, 1.5 * per_line)
        result = kill_once(cmd, env, killed, target, jitter, timeout_s=max(120.0, 20 * ref_wall))
        log(f"kill {k}: after {result['killed_after_s']} s with {result['lines_done_at_kill']}/{n_lines} lines done, "
            f"{len(result['temp_files_at_kill'])} temporary file(s) caught mid-write")
        report["kills"].append(result)
    resume_wall, done = _run(cmd, env)
    resumed = _summary(done.stdout)
    log(f"resumed: {resumed}")
    a, b = tree(ref), tree(killed)
    differing = sorted(name for name in a.keys() & b.keys() if a[name] != b[name])
    report["resume"] = {"wall_s": round(resume_wall, 2), "summary": resumed,
                        "said_resuming": "already done (resuming)" in done.stderr}
    report["compare"] = {"files_ref": len(a), "files_killed": len(b), "bytes_compared": sum(map(len, a.values())),
                         "only_in_ref": sorted(a.keys() - b.keys()), "only_in_killed": sorted(b.keys() - a.keys()),
                         "differing": differing, "temp_files_left": temp_files(killed)}
    c = report["compare"]
    kills_ok = all(not r["finished_before_kill"] and not r["final_file_problems"]
                   and not r["joined_outputs_at_kill"] for r in report["kills"])
    report["identical"] = not (c["only_in_ref"] or c["only_in_killed"] or differing)
    report["passed"] = bool(report["identical"] and kills_ok and not c["temp_files_left"]
                            and len(report["kills"]) == kills)
    return report


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m index_tts.batch.killtest", description=__doc__.split("\n")[0])
    p.add_argument("--lines", type=int, default=200)
    p.add_argument("--kills", type=int, default=3)
    p.add_argument("--out", default="outputs/killtest")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process (both runs)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=7, help="batch seed (both runs)")
    p.add_argument("--rng-seed", type=int, help="seed of the kill points (default: random, printed in the report)")
    args = p.parse_args(argv)
    report = run_killtest(args.lines, args.kills, Path(args.out), threads=args.threads, workers=args.workers,
                          seed=args.seed, rng_seed=args.rng_seed, log=lambda m: print(m, file=sys.stderr, flush=True))
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
