"""Our frontend's segments in Kokoro-82M v1.0's Mandarin phoneme notation (no torch, no misaki).

Kokoro v1.0 was trained on Mandarin written the way misaki's first Mandarin G2P writes it
(``misaki.zh.ZHG2P()`` without a version): every syllable in IPA-like letters, the tone as an
arrow right after the syllable's vowel (before a nasal coda), words separated by a space,
Chinese punctuation turned into ASCII punctuation plus a space::

    你好，世界。  ->  ni↓xau↓, ʂɨ↘ʨje↘.

Tones: 1 ``→``, 2 ``↗``, 3 ``↓``, 4 ``↘``, neutral (5) no mark. Our frontend has already
resolved numbers, letters, polyphones, tone sandhi and erhua, so this module only rewrites
the Baker symbols of a :class:`~index_tts.frontend.types.Segment` (initial, toned final,
``er5`` after a final for erhua, ``#0..#3`` breaks) in that notation:

- words are separated by a space (misaki puts one between jieba words): with the segment's
  ``word_index`` a space goes wherever the word changes, else at ``#1``/``#2`` breaks; ``#3``
  (clause break inside a segment) becomes ``", "``.
- the segment ends with ``.``, ``?`` or ``!`` after its sentence type.
- erhua (``wanr2`` = ``w an2 er5``) becomes the syllable followed by ``ɚ↗``: misaki writes a
  suffix 儿 as its own syllable, and pypinyin mostly gives it tone 2 (玩儿 ``wa↗nɚ↗``).
"""
from __future__ import annotations

from typing import Mapping, Sequence

from .symbols import BREAKS, EOS, ERHUA, PAD, SIL, ZERO_INITIAL

TONE_ARROWS = {1: "→", 2: "↗", 3: "↓", 4: "↘", 5: ""}

INITIAL_IPA = {
    ZERO_INITIAL: "", "b": "p", "p": "pʰ", "m": "m", "f": "f", "d": "t", "t": "tʰ",
    "n": "n", "l": "l", "g": "k", "k": "kʰ", "h": "x", "j": "ʨ", "q": "ʨʰ", "x": "ɕ",
    "zh": "ꭧ", "ch": "ꭧʰ", "sh": "ʂ", "r": "ɻ", "z": "ʦ", "c": "ʦʰ", "s": "s",
}

# final -> (onset glide + vowel, coda): the tone arrow goes between the two.
FINAL_IPA: dict[str, tuple[str, str]] = {
    "a": ("a", ""), "ai": ("ai", ""), "an": ("a", "n"), "ang": ("a", "ŋ"), "ao": ("au", ""),
    "e": ("ɤ", ""), "ei": ("ei", ""), "en": ("ə", "n"), "eng": ("ə", "ŋ"), "er": ("ɚ", ""),
    "i": ("i", ""), "ia": ("ja", ""), "ian": ("jɛ", "n"), "iang": ("ja", "ŋ"),
    "iao": ("jau", ""), "ie": ("je", ""), "ii": ("ɨ", ""), "iii": ("ɨ", ""), "in": ("i", "n"),
    "ing": ("i", "ŋ"), "iong": ("jʊ", "ŋ"), "iou": ("jou", ""), "o": ("wo", ""),
    "ong": ("ʊ", "ŋ"), "ou": ("ou", ""), "u": ("u", ""), "ua": ("wa", ""), "uai": ("wai", ""),
    "uan": ("wa", "n"), "uang": ("wa", "ŋ"), "uei": ("wei", ""), "uen": ("wə", "n"),
    "ueng": ("wə", "ŋ"), "uo": ("wo", ""), "v": ("y", ""), "van": ("ɥɛ", "n"),
    "ve": ("ɥe", ""), "vn": ("y", "n"),
}
# A bare "o" (哦 o4) is the interjection [ɔ], not the [wo] of bo/po/mo/fo.
_ZERO_INITIAL_FINALS = {"o": ("ɔ", "")}

ERHUA_IPA = "ɚ↗"
WORD_GAP = " "
CLAUSE_BREAK = ", "
END_MARK = {"declarative": ".", "question": "?", "exclamation": "!"}

#: Every character this module can emit (the builder checks them against the model's vocab).
PHONEME_CHARS: frozenset[str] = frozenset(
    "".join(INITIAL_IPA.values())
    + "".join(a + b for a, b in FINAL_IPA.values())
    + "".join(a + b for a, b in _ZERO_INITIAL_FINALS.values())
    + "".join(TONE_ARROWS.values()) + ERHUA_IPA + WORD_GAP + CLAUSE_BREAK + "".join(END_MARK.values())
)


class KokoroPhonemeError(ValueError):
    """A symbol sequence that cannot be written in Kokoro's notation."""


def syllable(initial: str, final: str, tone: int) -> str:
    """One syllable, e.g. ``("zh", "iii", 4) -> "ꭧɨ↘"``, ``("^", "van", 2) -> "ɥɛ↗n"``."""
    if initial not in INITIAL_IPA:
        raise KokoroPhonemeError(f"unknown initial {initial!r}")
    if tone not in TONE_ARROWS:
        raise KokoroPhonemeError(f"tone must be 1-5, got {tone!r}")
    table = _ZERO_INITIAL_FINALS if initial == ZERO_INITIAL and final in _ZERO_INITIAL_FINALS else FINAL_IPA
    if final not in table:
        raise KokoroPhonemeError(f"unknown final {final!r}")
    vowel, coda = table[final]
    return f"{INITIAL_IPA[initial]}{vowel}{TONE_ARROWS[tone]}{coda}"


def _split_final(symbol: str) -> tuple[str, int] | None:
    if len(symbol) > 1 and symbol[-1] in "12345" and symbol[:-1] in FINAL_IPA:
        return symbol[:-1], int(symbol[-1])
    return None


def phones_to_phonemes(
    phones: Sequence[str],
    sentence_type: str = "declarative",
    word_index: Sequence[int] | None = None,
) -> str:
    """Baker symbols of one segment (``sil`` ... ``sil eos``) -> Kokoro phoneme string.

    ``word_index`` (per phone, as in ``Segment``) puts word gaps at word changes; without it
    the ``#1``/``#2`` breaks do.
    """
    return "".join(text for text, _ in _pieces(phones, sentence_type, word_index))


def aligned_phonemes(
    phones: Sequence[str],
    sentence_type: str = "declarative",
    word_index: Sequence[int] | None = None,
) -> tuple[str, list[int]]:
    """Like :func:`phones_to_phonemes`, plus the owner of every character.

    ``owners[i]`` is the index in ``phones`` of the symbol that character ``i`` writes:
    an initial's letters belong to the initial, vowel + tone arrow + coda to the final, a word
    gap to the break symbol before the next syllable (or that syllable's first symbol when no
    break precedes it), ``", "`` to its ``#3`` and the end mark to the last ``sil``. This is
    how durations the teacher gives its characters become durations of our symbols.
    """
    text, owners = [], []
    for piece, owner in _pieces(phones, sentence_type, word_index):
        text.append(piece)
        owners.extend([owner] * len(piece))
    return "".join(text), owners


def _pieces(
    phones: Sequence[str],
    sentence_type: str,
    word_index: Sequence[int] | None,
) -> list[tuple[str, int]]:
    if sentence_type not in END_MARK:
        raise KokoroPhonemeError(f"bad sentence_type {sentence_type!r}")
    if word_index is not None and len(word_index) != len(phones):
        raise KokoroPhonemeError(f"word_index has {len(word_index)} entries, phones has {len(phones)}")
    out: list[tuple[str, int]] = []
    initial: str | None = None
    initial_at = -1
    prev_final = False
    gap = ""  # separator owed before the next syllable
    gap_owner = -1
    last_word = None
    last_sil = -1
    for k, p in enumerate(phones):
        if p in (SIL, EOS, PAD):
            if p == SIL:
                last_sil = k
            prev_final = False
            continue
        if p in BREAKS:
            if p == "#3":
                gap, gap_owner = CLAUSE_BREAK, k
            elif p != "#0" and word_index is None and gap != CLAUSE_BREAK:
                gap, gap_owner = WORD_GAP, k
            elif gap != CLAUSE_BREAK:
                gap_owner = k  # a word gap decided by word_index is written by this break
            prev_final = False
            continue
        if p == ERHUA and prev_final and initial is None:
            out.append((ERHUA_IPA, k))  # erhua suffix of the syllable just written
            prev_final = False
            continue
        if initial is None:  # first symbol of a syllable: settle the separator before it
            word = word_index[k] if word_index is not None else None
            if word is not None and last_word is not None and word != last_word and gap != CLAUSE_BREAK:
                gap = WORD_GAP
            if out and gap:
                out.append((gap, gap_owner if gap_owner >= 0 else k))
            gap, gap_owner = "", -1
            if word is not None:
                last_word = word
        fin = _split_final(p)
        if fin is not None:
            if initial is None:
                raise KokoroPhonemeError(f"final {p!r} without an initial before it in {list(phones)!r}")
            ini = INITIAL_IPA[initial] if initial in INITIAL_IPA else ""
            whole = syllable(initial, *fin)
            if ini:
                out.append((ini, initial_at))
            out.append((whole[len(ini):], k))
            initial = None
            prev_final = True
            continue
        if p in INITIAL_IPA:
            if initial is not None:
                raise KokoroPhonemeError(f"two initials in a row ({initial!r}, {p!r})")
            initial, initial_at = p, k
            prev_final = False
            continue
        raise KokoroPhonemeError(f"symbol {p!r} has no Kokoro phonemes")
    if initial is not None:
        raise KokoroPhonemeError(f"initial {initial!r} without a final at the end of {list(phones)!r}")
    # strip() of the joined text: pieces never start/end with spaces except separators, which
    # are only written between syllables, so only the end mark remains to add.
    if not out:
        return []
    end_owner = last_sil if last_sil >= 0 else out[-1][1]
    return out + [(END_MARK[sentence_type], end_owner)]


def segment_phonemes(segment) -> str:
    """A frontend ``Segment`` -> Kokoro phoneme string (``"ni↗xau↓, ʂɨ↘ʨje↘."``).

    A piece cut out of a longer sentence (``ends_sentence`` false) ends with ``,`` so it keeps
    a continuing tune; its look-ahead context (``phones[context_start:]``, which the default
    voice reads and then drops) is left out: Kokoro's audio is not cut with its durations.
    """
    return segment_aligned_phonemes(segment)[0]


def segment_aligned_phonemes(segment) -> tuple[str, list[int]]:
    """:func:`segment_phonemes` plus the owner of every character (see :func:`aligned_phonemes`;
    owners index ``segment.phones``)."""
    phones, words = list(segment.phones), list(segment.word_index)
    start = getattr(segment, "context_start", None)
    if start is not None:
        phones, words = phones[:start], words[:start]
    text, owners = aligned_phonemes(phones, segment.sentence_type, words)
    if text and not getattr(segment, "ends_sentence", True):
        text = text[:-1] + ","
    return text, owners


def clause_phonemes(segment) -> list[str]:
    """The segment's clauses (split at ``#3``), each ending in ``,`` except the last."""
    text = segment_phonemes(segment)
    parts = text.split(CLAUSE_BREAK)
    return [p + "," for p in parts[:-1]] + parts[-1:] if text else []


def tokenize(phonemes: str, vocab: Mapping[str, int]) -> list[int]:
    """Phoneme string -> token ids; a character missing from ``vocab`` raises (never dropped)."""
    missing = sorted({c for c in phonemes if c not in vocab})
    if missing:
        raise KokoroPhonemeError(f"characters not in the Kokoro vocabulary: {missing}")
    return [vocab[c] for c in phonemes]


def split_long(phonemes: str, max_len: int) -> list[str]:
    """Split a phoneme string into pieces of at most ``max_len`` characters.

    Cuts after a clause break (``", "``) where possible, else at a word gap, else hard.
    """
    if max_len < 8:
        raise ValueError("max_len must be at least 8")
    pieces: list[str] = []
    rest = phonemes
    while len(rest) > max_len:
        window = rest[:max_len]
        cut = window.rfind(CLAUSE_BREAK)
        cut = cut + len(CLAUSE_BREAK) if cut > 0 else window.rfind(WORD_GAP) + 1
        if cut <= 0:
            cut = max_len
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].lstrip()
    if rest.strip():
        pieces.append(rest.strip())
    return pieces
