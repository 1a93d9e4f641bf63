"""One small dynamic programme shared by phrase-break placement and segment cutting: split a row
of items into consecutive pieces at the lowest total cost."""
from __future__ import annotations

from typing import Callable, Sequence


def best_partition(sizes: Sequence[int], max_size: int, piece_cost: Callable[[int], float],
                   cut_cost: Callable[[int], float], oversize_single: bool = False) -> list[int]:
    """Gap indices k (a cut after item k) minimising sum(piece_cost(size)) + sum(cut_cost(k)).

    Pieces hold at most ``max_size`` (sum of ``sizes``); with ``oversize_single`` a single item
    larger than that may form a piece of its own (otherwise no partition exists and this raises).
    Ties keep the longest last piece (candidates are tried from the shortest last piece up).
    """
    n = len(sizes)
    inf = float("inf")
    best = [inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    for end in range(1, n + 1):
        total = 0
        for start in range(end - 1, -1, -1):
            total += sizes[start]
            if total > max_size and not (oversize_single and start == end - 1):
                break
            cost = best[start] + piece_cost(total) + (cut_cost(start - 1) if start > 0 else 0.0)
            if cost < best[end]:
                best[end], back[end] = cost, start
    if best[n] == inf:
        raise ValueError("no partition fits max_size")
    cuts = []
    end = n
    while end > 0:
        start = back[end]
        if start > 0:
            cuts.append(start - 1)
        end = start
    return sorted(cuts)
