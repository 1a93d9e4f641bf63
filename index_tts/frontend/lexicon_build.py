"""Build the compact lexicon files from the installed jieba and pypinyin (run in a child process).

``python lexicon_build.py OUT_DIR`` imports jieba and pypinyin (their dictionaries cost
~150 MB of Python objects), writes the compact files into ``OUT_DIR`` and exits, so the
big dictionaries never sit in the server's memory. ``index_tts.frontend.lexicon`` starts
this script as a file (no package import) and loads the result.

Files written (``native`` byte order, recorded in meta.json):

* ``words.marisa``   - every jieba dictionary word (dict.txt, as ``jieba.dt`` loaded it);
* ``words.freq``     - uint32 frequency per word key id (0 for a dictionary word of freq 0);
* ``words.tag``      - uint8 index into ``meta["tags"]`` per word key id (posseg's
  ``word_tag_tab``; ``x`` where it has none);
* ``phrases.marisa`` - pypinyin's PHRASES_DICT keys;
* ``phrases.off``    - uint32 offsets (key id -> slice of ``phrases.syl``), n + 1 entries;
* ``phrases.syl``    - uint16 index into ``meta["syllables"]``: the phrase's lazy_pinyin
  output in TONE3 with neutral tone 5, already converted by pypinyin itself;
* ``chars.marisa``   - characters of pypinyin's PINYIN_DICT;
* ``chars.syl``      - uint16 syllable index per character key id (first reading, converted);
* ``meta.json``      - format, versions, key, counts, tags, syllables, jieba's ``total``,
  the longest word and phrase, pypinyin's RE_HANS pattern and the tone-mark table for TONE3.

The data is derived from jieba (MIT) and pypinyin (MIT) at install time; none is committed.
"""
from __future__ import annotations

import json
import os
import sys
import warnings
from array import array

FORMAT = 2


def _write_array(path: str, typecode: str, values) -> None:
    arr = array(typecode, values)
    with open(path, "wb") as f:
        arr.tofile(f)


def _jieba_part(out: str) -> dict:
    import logging

    import jieba
    import jieba.posseg as pseg
    import marisa_trie

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    freq = jieba.dt.FREQ
    tags_of = pseg.dt.word_tag_tab
    words = set(tags_of) | {w for w, f in freq.items() if f}
    trie = marisa_trie.Trie(words)
    trie.save(os.path.join(out, "words.marisa"))
    tag_names = sorted(set(tags_of.values()) | {"x"})
    if len(tag_names) > 255:
        raise ValueError(f"{len(tag_names)} POS tags do not fit a byte")
    tag_index = {t: i for i, t in enumerate(tag_names)}
    n = len(trie)
    freqs = [0] * n
    tags = [tag_index["x"]] * n
    for w in words:
        i = trie.key_id(w)
        f = freq.get(w) or 0
        if f >= 2**32:
            raise ValueError(f"frequency of {w!r} does not fit 32 bits")
        freqs[i] = f
        tags[i] = tag_index[tags_of.get(w, "x")]
    _write_array(os.path.join(out, "words.freq"), "I", freqs)
    _write_array(os.path.join(out, "words.tag"), "B", tags)
    return {"words": n, "total": jieba.dt.total, "tags": tag_names,
            "max_word_len": max(len(w) for w in words), "jieba": jieba.__version__}


def _pypinyin_part(out: str) -> dict:
    import marisa_trie
    import pypinyin
    from pypinyin import Style
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT, RE_HANS
    from pypinyin.converter import UltimateConverter
    from pypinyin.style._constants import PHONETIC_SYMBOL_DICT, RE_TONE3
    from pypinyin.utils import _remove_dup_and_empty

    conv = UltimateConverter(neutral_tone_with_five=True)
    syllables: dict[str, int] = {}

    def sid(s: str) -> int:
        if s not in syllables:
            syllables[s] = len(syllables)
        return syllables[s]

    phrases = marisa_trie.Trie(PHRASES_DICT.keys())
    phrases.save(os.path.join(out, "phrases.marisa"))
    per_id: list[list[int]] = [[] for _ in range(len(phrases))]
    for key in PHRASES_DICT:  # the Hanzi branch of DefaultConverter.convert, as mmseg tokens take it
        pys = conv._phrase_pinyin(key, Style.TONE3, False, "default", True)
        pys = conv.convert_styles(pys, key, Style.TONE3, False, "default", True)
        per_id[phrases.key_id(key)] = [sid(item[0]) for item in _remove_dup_and_empty(pys)]
    offsets, flat = [0], []
    for ids in per_id:
        flat.extend(ids)
        offsets.append(len(flat))
    _write_array(os.path.join(out, "phrases.off"), "I", offsets)

    chars = {chr(cp): readings for cp, readings in PINYIN_DICT.items()}
    char_trie = marisa_trie.Trie(chars)
    char_trie.save(os.path.join(out, "chars.marisa"))
    char_syl = [0] * len(char_trie)
    for ch, readings in chars.items():
        first = readings.split(",")[0]
        char_syl[char_trie.key_id(ch)] = sid(conv.convert_style(ch, first, Style.TONE3, True) or "")
    if len(syllables) >= 2**16:
        raise ValueError(f"{len(syllables)} distinct readings do not fit 16 bits")
    _write_array(os.path.join(out, "phrases.syl"), "H", flat)
    _write_array(os.path.join(out, "chars.syl"), "H", char_syl)
    return {"phrases": len(phrases), "max_phrase_len": max((len(k) for k in PHRASES_DICT), default=1),
            "chars": len(char_trie), "syllables": list(syllables),
            "re_hans": RE_HANS.pattern, "re_tone3": RE_TONE3.pattern,
            "tone_marks": list(PHONETIC_SYMBOL_DICT.items()), "pypinyin": pypinyin.__version__}


def build(out: str, key: str) -> dict:
    """Write all files into ``out`` (an existing, empty folder); meta.json last."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meta = {"format": FORMAT, "key": key, "byteorder": sys.byteorder}
        meta.update(_jieba_part(out))
        meta.update(_pypinyin_part(out))
    tmp = os.path.join(out, "meta.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False)
    os.replace(tmp, os.path.join(out, "meta.json"))
    return meta


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: lexicon_build.py OUT_DIR KEY")
    build(sys.argv[1], sys.argv[2])
