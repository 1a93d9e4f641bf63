"""Latin letters and acronyms as Mandarin syllables (the way a Chinese speaker says them)."""
from __future__ import annotations

import re

from .types import Syllable, Word

# Mandarin approximations of the English letter names (toneless base, tone).
LETTER_NAMES: dict[str, tuple[tuple[str, int], ...]] = {
    "A": (("ei", 1),),
    "B": (("bi", 4),),
    "C": (("xi", 1),),
    "D": (("di", 4),),
    "E": (("yi", 1),),
    "F": (("ai", 2), ("fu", 5)),
    "G": (("ji", 4),),
    "H": (("ei", 1), ("qi", 1)),
    "I": (("ai", 4),),
    "J": (("zhei", 4),),
    "K": (("kei", 4),),
    "L": (("ai", 2), ("lou", 5)),
    "M": (("ai", 2), ("mu", 5)),
    "N": (("en", 1),),
    "O": (("ou", 1),),
    "P": (("pi", 1),),
    "Q": (("qiu", 1),),
    "R": (("a", 4), ("er", 5)),
    "S": (("ai", 2), ("si", 1)),
    "T": (("ti", 4),),
    "U": (("you", 1),),
    "V": (("wei", 1),),
    "W": (("da", 2), ("bu", 5), ("liu", 5)),
    "X": (("ai", 2), ("ke", 4), ("si", 1)),
    "Y": (("wai", 4),),
    "Z": (("zei", 4),),
}

# Words a Chinese speaker says as words rather than letter by letter (lower-case keys).
WORD_READINGS: dict[str, str] = {
    "ok": "ou1 kei4",
    "okay": "ou1 kei4",
    "wifi": "wai4 fei1",
    "iphone": "ai4 feng1",
    "ipad": "ai4 pai4",
    "email": "yi1 mei4 er5",
    "hello": "ha1 lou2",
    "bye": "bai4",
    "wow": "wa1",
    # common loanwords and software names, as Mandarin speakers say them
    "byebye": "bai4 bai4",
    "bug": "ba1 ge5",
    "cool": "ku4",
    "yes": "ye1 si1",
    "sorry": "suo3 rui4",
    "logo": "lou1 gou1",
    "zoom": "zu1 mu5",
    "python": "pai4 sen1",
    "java": "jia1 wa3",
    "linux": "li2 nu4 ke4 si1",
    "windows": "wen1 dou1 si1",
    "office": "ao4 fei1 si1",
    "word": "wo4 de5",
    "mac": "mai4 ke4",
    "android": "an1 zhuo2",
    # product-name words said as words (iPhone 15 Pro Max, ChatGPT, iPad Air)
    "pro": "pu1 rou5",
    "max": "mai4 ke4 si1",
    "plus": "pu1 la1 si1",
    "mini": "mi2 ni3",
    "air": "ai1 er5",
    "ultra": "ao4 te4 la1",
    "chat": "qia4 te4",
    "google": "gu3 ge1",
}

# Pieces of a mixed-case token: ChatGPT -> Chat + GPT, MacBook -> Mac + Book, iOS -> i + OS.
_PIECE_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[A-Z]")


def _syllables_of(reading: str, text: str) -> list[Syllable]:
    out = []
    for tok in reading.split():
        out.append(Syllable(text=text, base=tok[:-1], tone=int(tok[-1]), letter=True))
    return out


def letter_word(token: str) -> Word:
    """One Word for a Latin token (``GPU``, ``Wi-Fi``, ``iPhone``); never empty for letters."""
    key = "".join(ch for ch in token.lower() if ch.isalpha())
    if key in WORD_READINGS:
        syls = _syllables_of(WORD_READINGS[key], token)
    else:  # a known word inside a mixed-case token is said as a word, the rest spelled
        syls = []
        for piece in _PIECE_RE.findall("".join(ch for ch in token if ch.isalpha())):
            if piece.lower() in WORD_READINGS:
                syls.extend(_syllables_of(WORD_READINGS[piece.lower()], piece))
                continue
            for ch in piece.upper():
                syls.extend(
                    Syllable(text=ch, base=b, tone=t, letter=True) for b, t in LETTER_NAMES[ch]
                )
    return Word(text=token, syllables=syls, pos="eng", kind="letters")
