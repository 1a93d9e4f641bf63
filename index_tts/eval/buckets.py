"""CER by text-length bucket and by category, for several engines side by side."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from .sentences import EvalSentence, load_sentences

LONG_SET = Path(__file__).with_name("data") / "long_text_zh.tsv"
EVERYDAY_SET = Path(__file__).with_name("data") / "everyday_zh.tsv"  # prices, rates, times, polyphones, dialogue
# Length buckets in characters of the input text (issue 12): < 20, 20-60, 60-120, >= 120.
BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("<20", 0, 20), ("20-60", 20, 60), ("60-120", 60, 120), (">=120", 120, 10**9),
)


def bucket_of(text: str) -> str:
    n = len(text)
    for name, lo, hi in BUCKETS:
        if lo <= n < hi:
            return name
    raise AssertionError("unreachable")


def long_sentences() -> list[EvalSentence]:
    return load_sentences(LONG_SET)


def _cer(results: Sequence) -> tuple[float, int]:
    chars = sum(r.ref_len for r in results)
    edits = sum(r.edits for r in results)
    return (edits / chars if chars else float("nan")), len(results)


def grouped_cer(results: Sequence, key) -> dict[str, tuple[float, int]]:
    groups: dict[str, list] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    return {k: _cer(v) for k, v in groups.items()}


def format_tables(reports: Mapping[str, object]) -> str:
    """Markdown tables: CER by length bucket, then by category; one column per engine."""
    names = list(reports)
    lines = ["| length bucket | n | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    per = {name: grouped_cer(rep.sentences, lambda r: bucket_of(r.text)) for name, rep in reports.items()}
    for b, _, _ in BUCKETS:
        n = next((per[x][b][1] for x in names if b in per[x]), 0)
        if not n:
            continue
        cells = [f"{per[x][b][0] * 100:.1f}%" if b in per[x] else "-" for x in names]
        lines.append(f"| {b} | {n} | " + " | ".join(cells) + " |")
    short = {x: _cer([r for r in rep.sentences if len(r.text) < 60]) for x, rep in reports.items()}
    if any(n for _, n in short.values()):
        cells = [f"{short[x][0] * 100:.1f}%" for x in names]
        lines.append(f"| <60 (both) | {short[names[0]][1]} | " + " | ".join(cells) + " |")
    cells = [f"{rep.cer * 100:.1f}%" for rep in reports.values()]
    lines.append("| all | {} | ".format(len(next(iter(reports.values())).sentences)) + " | ".join(cells) + " |")
    lines += ["", "| category | n | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    cat = {name: grouped_cer(rep.sentences, lambda r: r.category or "-") for name, rep in reports.items()}
    for c in sorted(set().union(*[set(v) for v in cat.values()])):
        n = next((cat[x][c][1] for x in names if c in cat[x]), 0)
        cells = [f"{cat[x][c][0] * 100:.1f}%" if c in cat[x] else "-" for x in names]
        lines.append(f"| {c} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
