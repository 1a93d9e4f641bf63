"""Model symbol inventory (the Baker set of the default voice) and symbol -> id lookup."""
from __future__ import annotations

from typing import Iterable, Sequence

from .errors import UnknownSymbolError

PAD = "pad"
SIL = "sil"
EOS = "eos"
BREAKS = ("#0", "#1", "#2", "#3")
ZERO_INITIAL = "^"
ERHUA = "er5"

INITIALS = (
    "^", "b", "c", "ch", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "q", "r",
    "s", "sh", "t", "x", "z", "zh",
)
FINALS = (
    "a", "ai", "an", "ang", "ao", "e", "ei", "en", "eng", "er", "i", "ia", "ian", "iang",
    "iao", "ie", "ii", "iii", "in", "ing", "iong", "iou", "o", "ong", "ou", "u", "ua",
    "uai", "uan", "uang", "uei", "uen", "ueng", "uo", "v", "van", "ve", "vn",
)
TONES = (1, 2, 3, 4, 5)

#: The 219-symbol inventory of the default (Baker) voice, in id order.
BAKER_SYMBOLS: tuple[str, ...] = (
    (PAD, SIL) + BREAKS + INITIALS + tuple(f"{f}{t}" for f in FINALS for t in TONES) + (EOS,)
)


def is_final_symbol(symbol: str) -> bool:
    """True for a toned final such as ``ang4`` (the symbols that carry a tone)."""
    return len(symbol) > 1 and symbol[-1] in "12345" and symbol[:-1] in _FINAL_SET


_FINAL_SET = frozenset(FINALS)


class SymbolTable:
    """Maps model symbols to ids; unknown symbols raise :class:`UnknownSymbolError`."""

    def __init__(self, symbols: Sequence[str] | None = None) -> None:
        syms = list(BAKER_SYMBOLS if symbols is None else symbols)
        if not syms:
            raise ValueError("symbol table is empty")
        if not all(isinstance(s, str) for s in syms):
            raise ValueError("symbol table entries must be strings")
        if len(set(syms)) != len(syms):
            dup = sorted({s for s in syms if syms.count(s) > 1})
            raise ValueError(f"symbol table has duplicate entries: {dup[:10]}")
        self.symbols: tuple[str, ...] = tuple(syms)
        self._ids = {s: i for i, s in enumerate(syms)}

    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._ids

    def ids(self, phones: Iterable[str], context: str = "") -> list[int]:
        out = []
        for p in phones:
            idx = self._ids.get(p)
            if idx is None:
                where = f" (in {context!r})" if context else ""
                raise UnknownSymbolError(
                    f"phone {p!r}{where} is not in this voice's symbol table "
                    f"({len(self.symbols)} symbols)"
                )
            out.append(idx)
        return out
