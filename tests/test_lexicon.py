"""The compact lexicon gives exactly what jieba.posseg / pypinyin gave the frontend.

(1) ``(word, tag)`` segmentation identical to ``jieba.posseg.lcut(..., HMM=False)`` on every
line of the project's sentence sets and on random strings; (2) ``lazy_pinyin`` identical for
dictionary words and phrase keys (a sample by default, all ~396k with RUN_SLOW=1);
(3) ``Frontend()`` output identical with ``INDEX_TTS_LEXICON=libs`` and ``compact``; plus
the cache (child-process build, stale key, read-only root, fallback) and import weight.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("jieba")
pytest.importorskip("pypinyin")
pytest.importorskip("marisa_trie")

from index_tts.frontend import g2p, lexicon  # noqa: E402
from index_tts.frontend.lexicon_backend import CompactBackend, LibraryBackend  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SENTENCE_FILES = [
    ROOT / "index_tts/train/data/teacher_sentences_zh.txt",
    *sorted((ROOT / "index_tts/eval/data").glob("*")),
    ROOT.parent / "shared/eval/dev_sentences_zh.tsv",
]
ERR = lambda s: ["?"] * len(s)  # noqa: E731 - the callback g2p passes


def _lines() -> list[str]:
    out: list[str] = []
    for path in SENTENCE_FILES:
        if path.is_file():
            out += [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return out


LINES = _lines()


@pytest.fixture(scope="module")
def lib():
    return LibraryBackend()


@pytest.fixture(scope="module")
def new():
    lex = lexicon.load()
    assert lex is not None, "the compact lexicon could not be built or loaded"
    return CompactBackend(lex)


def _random_strings(n: int, seed: int, words: list[str]) -> list[str]:
    rng = random.Random(seed)
    odd = list("〇\u9fd6\u9fa5\u9fff\u3400\u4db5\uf900\ufa18\U00020000\U0002a6e0\U0002a700\U00031350")
    odd += list("0123456789.abcXYZ+#&_ ，。！？、\t\n\r%-'·")
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 12)):
            r = rng.random()
            if r < 0.45:
                parts.append(rng.choice(words))
            elif r < 0.85:
                parts.append(chr(rng.randint(0x4E00, 0x9FA5)))
            else:
                parts.append(rng.choice(odd))
        out.append("".join(parts))
    return out


@pytest.fixture(scope="module")
def dict_words(lib):
    return sorted(lib._pseg.dt.word_tag_tab), sorted(lib._phrases)


def test_sentence_sets_present():
    assert len(LINES) >= 1682  # the teacher sentences at least


def test_segmentation_identical_on_sentence_sets(lib, new):
    bad = [(ln, lib.cut(ln), new.cut(ln)) for ln in LINES if lib.cut(ln) != new.cut(ln)]
    assert not bad, bad[:3]


def test_segmentation_and_pinyin_identical_on_random_strings(lib, new, dict_words):
    words = dict_words[0][::7] + dict_words[1][::7]
    for s in _random_strings(3000, seed=1234, words=words):
        assert new.cut(s) == lib.cut(s), s
        assert new.pinyin(s, ERR) == lib.pinyin(s, ERR), s
        assert new.pinyin(s) == lib.pinyin(s), s


def test_pinyin_identical_on_sentence_sets(lib, new):
    for ln in LINES:
        assert new.pinyin(ln, ERR) == lib.pinyin(ln, ERR), ln
        assert new.pinyin(ln) == lib.pinyin(ln), ln


def _check_words(lib, new, words):
    bad = []
    for w in words:
        if new.pinyin(w, ERR) != lib.pinyin(w, ERR) or new.is_dict_word(w) != lib.is_dict_word(w) \
                or new.is_phrase(w) != lib.is_phrase(w):
            bad.append((w, lib.pinyin(w, ERR), new.pinyin(w, ERR)))
    assert not bad, bad[:5]


def test_pinyin_identical_on_dictionary_sample(lib, new, dict_words):
    rng = random.Random(7)
    jieba_words, phrases = dict_words
    _check_words(lib, new, rng.sample(jieba_words, 12000) + rng.sample(phrases, 12000))


@pytest.mark.slow
def test_pinyin_identical_on_all_dictionary_words(lib, new, dict_words):
    _check_words(lib, new, dict_words[0] + dict_words[1])


def test_every_character_reading_identical(lib, new):
    """Each character of pypinyin's table alone, and the edges of its Hanzi pattern."""
    from pypinyin.constants import PINYIN_DICT

    chars = [chr(cp) for cp in PINYIN_DICT] + [chr(cp) for cp in range(0x9FD0, 0xA000)]
    joined = "".join(chars)
    assert new.pinyin(joined, ERR) == lib.pinyin(joined, ERR)
    for ch in chars[::13]:
        assert new.pinyin(ch, ERR) == lib.pinyin(ch, ERR), ch


def _frontend_outputs(frontend, texts):
    out = []
    for t in texts:
        utt = frontend(t)
        out.append((utt.warnings, [dataclasses.asdict(s) for s in utt.segments]))
    return out


def test_frontend_output_identical_old_vs_new(monkeypatch):
    from index_tts.frontend import Frontend

    fe = Frontend()
    results = {}
    for mode in ("libs", "compact"):
        monkeypatch.setenv("INDEX_TTS_LEXICON", mode)
        g2p.reset_caches()
        assert g2p._lookups().name == mode
        results[mode] = _frontend_outputs(fe, LINES)
    g2p.reset_caches()
    bad = [t for t, a, b in zip(LINES, results["libs"], results["compact"]) if a != b]
    assert not bad, bad[:5]


def test_load_does_not_import_the_libraries():
    code = (
        "import sys, time\n"
        "import index_tts.frontend\n"
        "light = [m for m in ('jieba', 'pypinyin', 'marisa_trie') if m in sys.modules]\n"
        "from index_tts.frontend import Frontend, lexicon\n"
        "lexicon.load()\n"  # warm: built already by the fixtures or an earlier run
        "t0 = time.perf_counter(); lexicon.load.cache_clear(); lexicon.load(); dt = time.perf_counter() - t0\n"
        "u = Frontend()('你好，世界。银行行长说了算。')\n"
        "heavy = [m for m in ('jieba', 'pypinyin') if m in sys.modules]\n"
        "print(light, heavy, dt, ' '.join(u.segments[0].pinyin))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), INDEX_TTS_LEXICON="compact")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    light, heavy, dt, pinyin = proc.stdout.strip().split(" ", 3)
    assert light == "[]" and heavy == "[]", proc.stdout
    assert float(dt) < 0.5
    assert pinyin.startswith("ni2 hao3 shi4 jie4")


def _fake_build(calls):
    def build(root: Path, key: str) -> Path:
        root.mkdir(parents=True, exist_ok=True)  # raises for an unusable root, like the real one
        calls.append(root)
        return root / f"lexicon-{key}"
    return build


def test_stale_or_broken_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("INDEX_TTS_LEXICON_DIR", str(tmp_path))
    key = lexicon.cache_key()
    folder = tmp_path / f"lexicon-{key}"
    folder.mkdir()
    for name in lexicon._FILES:
        (folder / name).write_bytes(b"")
    meta = {"format": lexicon.FORMAT, "key": key, "byteorder": sys.byteorder}
    (folder / "meta.json").write_text(json.dumps(meta))
    assert lexicon._valid(folder, key) == meta
    assert lexicon.ensure_built() == folder  # valid: no build
    calls: list[Path] = []
    monkeypatch.setattr(lexicon, "_build_into", _fake_build(calls))
    for broken in ({**meta, "key": "0" * 16}, {**meta, "format": -1}, None):
        if broken is None:  # a file missing (half-written folder)
            (folder / "meta.json").write_text(json.dumps(meta))
            (folder / "words.freq").unlink()
        else:
            (folder / "meta.json").write_text(json.dumps(broken))
        assert lexicon._valid(folder, key) is None
        calls.clear()
        lexicon.ensure_built()
        assert calls == [tmp_path]


def test_unwritable_root_falls_back_to_temp(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("INDEX_TTS_LEXICON_DIR", str(blocker / "cache"))
    monkeypatch.setattr(lexicon.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    monkeypatch.setattr(lexicon, "_valid", lambda f, k: None)
    calls = []
    monkeypatch.setattr(lexicon, "_build_into", _fake_build(calls))
    assert lexicon.ensure_built().parent == tmp_path / "tmp" / "index_tts"
    assert calls == [tmp_path / "tmp" / "index_tts"]


def test_failed_build_falls_back_to_libraries(monkeypatch, caplog):
    from index_tts.frontend import lexicon_backend

    def broken():
        raise RuntimeError("no build here")

    monkeypatch.setattr(lexicon, "ensure_built", broken)
    lexicon.load.cache_clear()
    lexicon_backend._backend_for.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            assert lexicon.load() is None
            assert isinstance(lexicon_backend._backend_for("compact"), LibraryBackend)
        assert "falls back to jieba/pypinyin" in caplog.text
    finally:
        lexicon.load.cache_clear()
        lexicon_backend._backend_for.cache_clear()
        g2p.reset_caches()


@pytest.mark.slow
def test_fresh_build_in_child_process(tmp_path, monkeypatch):
    """A real first build into an empty cache root: child process, valid meta, fast reload."""
    monkeypatch.setenv("INDEX_TTS_LEXICON_DIR", str(tmp_path))
    folder = lexicon.ensure_built()
    assert folder == tmp_path / f"lexicon-{lexicon.cache_key()}"
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["key"] == lexicon.cache_key() and meta["words"] > 300000 and meta["phrases"] > 40000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".lexicon-")]  # no temp left
    lex = lexicon.Lexicon(folder)
    assert lex.freq("北京大学") > 0 and lex.tag("北京大学") == "nt"
    assert lex.phrase_readings("银行") == ["yin2", "hang2"]
    assert sum(f.stat().st_size for f in folder.iterdir()) < 8_000_000
