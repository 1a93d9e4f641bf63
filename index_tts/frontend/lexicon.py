"""Compact lexicon: jieba's dictionary and pypinyin's readings in marisa tries (~4 MB).

jieba and pypinyin keep their dictionaries as Python dicts (~165 MB resident once jieba,
jieba.posseg and pypinyin are loaded). The frontend needs only lookups, so the data is
converted once, by ``lexicon_build.py`` in a child process, into marisa-trie files plus
flat arrays, and loaded from there (no jieba / pypinyin import; ~0.05 s).

Cache folder: ``$INDEX_TTS_LEXICON_DIR`` (default ``$XDG_CACHE_HOME/index_tts`` or
``~/.cache/index_tts``) / ``lexicon-<key>``, where the key hashes the format and the
jieba / pypinyin / marisa-trie versions and dictionary file sizes; ``meta.json`` inside
records the key, so a stale or half-written folder is rebuilt. A read-only cache root
falls back to the temp folder. :func:`load` returns ``None`` (and logs a warning) when
the files cannot be built or read; the caller then uses the libraries themselves.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

from .lexicon_build import FORMAT

log = logging.getLogger(__name__)

_BUILD_SCRIPT = Path(__file__).with_name("lexicon_build.py")
_FILES = ("words.marisa", "words.freq", "words.tag", "phrases.marisa", "phrases.off",
          "phrases.syl", "chars.marisa", "chars.syl")
BUILD_TIMEOUT_S = 600


def _dist_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


def _data_stamp(package: str, files: tuple[str, ...]) -> str:
    """Sizes of a package's data files, found without importing the package."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return "missing"
    if spec is None or not spec.submodule_search_locations:
        return "missing"
    root = Path(list(spec.submodule_search_locations)[0])
    return ",".join(str((root / f).stat().st_size) if (root / f).is_file() else "-" for f in files)


def cache_key() -> str:
    parts = [
        f"format={FORMAT}",
        f"jieba={_dist_version('jieba')}:{_data_stamp('jieba', ('dict.txt',))}",
        f"pypinyin={_dist_version('pypinyin')}:"
        f"{_data_stamp('pypinyin', ('phrases_dict.py', 'pinyin_dict.py', 'phrases_dict.json'))}",
        f"marisa={_dist_version('marisa-trie')}",
        f"no_phrases={bool(os.environ.get('PYPINYIN_NO_PHRASES'))}",
        f"byteorder={sys.byteorder}",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def cache_root() -> Path:
    env = os.environ.get("INDEX_TTS_LEXICON_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "index_tts"


def _valid(folder: Path, key: str) -> dict | None:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("key") != key or meta.get("format") != FORMAT or meta.get("byteorder") != sys.byteorder:
        return None
    if not all((folder / f).is_file() for f in _FILES):
        return None
    return meta


def _build_into(root: Path, key: str) -> Path:
    """Build ``root/lexicon-<key>`` in a child process; returns the finished folder."""
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"lexicon-{key}"
    tmp = Path(tempfile.mkdtemp(prefix=f".lexicon-{key}-", dir=root))
    try:
        t0 = time.perf_counter()
        env = dict(os.environ)
        env.pop("PYTHONSTARTUP", None)
        proc = subprocess.run(
            [sys.executable, "-P", str(_BUILD_SCRIPT), str(tmp), key],
            capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, env=env,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"lexicon build failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
        if _valid(tmp, key) is None:
            raise RuntimeError("lexicon build wrote no valid files")
        if final.exists() and _valid(final, key) is None:
            shutil.rmtree(final, ignore_errors=True)  # stale or half-written
        try:
            os.rename(tmp, final)
        except OSError:
            if _valid(final, key) is None:  # not a concurrent build that finished first
                raise
        log.info("built the frontend lexicon in %s (%.1f s)", final, time.perf_counter() - t0)
        return final
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def ensure_built() -> Path:
    """Folder of valid lexicon files for the installed jieba / pypinyin; builds when needed."""
    key = cache_key()
    roots = [cache_root()]
    fallback = Path(tempfile.gettempdir()) / "index_tts"
    if fallback not in roots:
        roots.append(fallback)
    for root in roots:
        if _valid(root / f"lexicon-{key}", key) is not None:
            return root / f"lexicon-{key}"
    errors = []
    for root in roots:
        try:
            return _build_into(root, key)
        except OSError as e:  # read-only or full: try the next root
            errors.append(f"{root}: {e}")
    raise RuntimeError("; ".join(errors))


class Lexicon:
    """Read-only lookups over the built files (see ``lexicon_build``)."""

    def __init__(self, folder: Path):
        import marisa_trie

        meta = _valid(folder, cache_key())
        if meta is None:
            raise ValueError(f"{folder} holds no valid lexicon")
        self.folder = folder
        self.meta = meta
        self.words = marisa_trie.Trie()
        self.words.load(str(folder / "words.marisa"))
        self.word_freq = self._array(folder / "words.freq", "I", len(self.words))
        self.word_tag = self._array(folder / "words.tag", "B", len(self.words))
        self.tags: list[str] = meta["tags"]
        self.total: int = meta["total"]
        self.max_word_len: int = meta["max_word_len"]
        self.phrases = marisa_trie.Trie()
        self.phrases.load(str(folder / "phrases.marisa"))
        self.max_phrase_len: int = meta["max_phrase_len"]
        self.phrase_off = self._array(folder / "phrases.off", "I", len(self.phrases) + 1)
        self.phrase_syl = self._array(folder / "phrases.syl", "H", self.phrase_off[-1])
        self.chars = marisa_trie.Trie()
        self.chars.load(str(folder / "chars.marisa"))
        self.char_syl = self._array(folder / "chars.syl", "H", len(self.chars))
        self.syllables: list[str] = meta["syllables"]

    @staticmethod
    def _array(path: Path, typecode: str, n: int) -> array:
        arr = array(typecode)
        arr.frombytes(path.read_bytes())
        if len(arr) != n:
            raise ValueError(f"{path} holds {len(arr)} items, expected {n}")
        return arr

    def freq(self, word: str) -> int:
        """jieba's ``FREQ.get(word) or 0`` for a dictionary word (prefix-only entries give 0)."""
        i = self.words.get(word)
        return 0 if i is None else self.word_freq[i]

    def tag(self, word: str) -> str:
        """posseg's ``word_tag_tab.get(word, 'x')``."""
        i = self.words.get(word)
        return "x" if i is None else self.tags[self.word_tag[i]]

    def is_phrase(self, text: str) -> bool:
        return text in self.phrases

    def phrase_readings(self, text: str) -> list[str] | None:
        i = self.phrases.get(text)
        if i is None:
            return None
        syl = self.syllables
        return [syl[j] for j in self.phrase_syl[self.phrase_off[i]:self.phrase_off[i + 1]]]

    def char_reading(self, ch: str) -> str | None:
        i = self.chars.get(ch)
        return None if i is None else self.syllables[self.char_syl[i]]

    def is_dict_word(self, text: str) -> bool:
        return bool(self.freq(text)) or text in self.phrases


@functools.lru_cache(maxsize=1)
def load() -> Lexicon | None:
    """The lexicon (built on first use), or ``None`` with a warning when it cannot be had."""
    t0 = time.perf_counter()
    try:
        lex = Lexicon(ensure_built())
    except Exception as e:  # noqa: BLE001 - documented fallback to the libraries
        log.warning("compact lexicon unavailable (%s); the frontend falls back to jieba/pypinyin "
                    "(~165 MB more memory)", e)
        return None
    log.debug("lexicon loaded from %s in %.3f s", lex.folder, time.perf_counter() - t0)
    return lex
