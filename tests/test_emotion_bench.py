"""Emotion benchmark helpers: transfer fractions, the half-way bar, CLI parsing (no synthesis)."""
import argparse
import math

import pytest

from index_tts.eval.emotion_bench import _voice_speed
from index_tts.eval.emotion_transfer import MIN_CONTRAST, _fraction, transfer_failures


def test_fraction_and_minimum_contrast():
    assert _fraction(6.0, 5.0, 7.0, 0.5) == pytest.approx(0.5)
    assert _fraction(4.0, 5.0, 7.0, 0.5) == pytest.approx(-0.5)   # moved away from the reference
    assert math.isnan(_fraction(5.2, 5.0, 5.3, 0.5))              # reference ~ neutral: undefined
    assert MIN_CONTRAST["range_st"] > 0 and MIN_CONTRAST["rate"] > 0


def test_transfer_bar_counts_only_rows_in_the_bar_and_defined_fractions():
    rows = [
        {"reference": "a", "in_bar": True, "rate_fraction": 0.9, "range_fraction": 0.4},
        {"reference": "b", "in_bar": True, "rate_fraction": float("nan"), "range_fraction": 0.6},
        {"reference": "c", "in_bar": False, "rate_fraction": -0.3, "range_fraction": 0.1},
    ]
    fails = transfer_failures(rows)
    assert fails == ["a: range_fraction 0.40"]
    assert transfer_failures(rows, bar=0.3) == []


def test_kokoro_cli_argument():
    assert _voice_speed("jm_kumo:0.8") == ("jm_kumo", 0.8)
    assert _voice_speed("jf_alpha") == ("jf_alpha", 1.0)
    with pytest.raises(argparse.ArgumentTypeError):
        _voice_speed("jf_alpha:fast")
