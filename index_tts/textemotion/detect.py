"""Pick an emotion and an intensity from the text itself (offline, rule based).

    from index_tts.textemotion import detect_emotion
    g = detect_emotion("我们赢了！我真的太高兴了！")
    g.emotion, g.intensity, g.evidence   # 'happy', 0.95, [('高兴', 'happy', 1.6), ...]

How: the text is scanned left to right for the longest known word (interjections, our hand
lexicon, then the DUTIR ontology as a back-off with a lower weight). Each hit is weighed by
the degree words next to it (很 ×1.3, 非常 ×1.6, 有点 ×0.6, …极了 ×1.8) and turned around by
a negator in the same clause (不开心 -> sad, 别怕 -> gentle, 不害怕 -> calm). Punctuation
adds evidence: ？！ is surprise, ！ raises the intensity, a trailing …… hints at fear or
melancholy. Below a threshold the text is neutral. Intensity grows with degree words and
exclamation marks, never above 1.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from . import lexicon

NEUTRAL = "neutral"
THRESHOLD = 0.45
DUTIR_WEIGHT = 0.5
BASE_INTENSITY = 0.55
CLAUSE_BREAK = re.compile(r"[，,。.！!？?；;：:…、\s“”\"]")
# Fixed order for ties (earlier wins): the more marked emotions first.
ORDER = ("angry", "afraid", "surprised", "disgusted", "sad", "happy", "melancholic", "gentle", "calm")
# What a negated emotion word turns into: (emotion, share of the weight).
NEGATED = {
    "happy": ("sad", 0.6), "sad": ("calm", 0.4), "angry": ("calm", 0.4), "afraid": ("calm", 0.5),
    "calm": ("afraid", 0.4), "gentle": (NEUTRAL, 0.0), "surprised": (NEUTRAL, 0.0),
    "melancholic": ("calm", 0.3), "disgusted": (NEUTRAL, 0.0),
}
COMFORTED = {"sad", "afraid", "angry", "melancholic"}  # 别怕 / 别难过 / 不要生气 -> gentle


@dataclass
class EmotionGuess:
    emotion: str
    intensity: float
    scores: dict[str, float] = field(default_factory=dict)
    evidence: list[tuple[str, str, float]] = field(default_factory=list)  # (word, emotion, weight)

    def explain(self) -> str:
        words = ", ".join(f"{w}→{e}" for w, e, _ in self.evidence[:6]) or "no emotion words"
        return f"{self.emotion} {self.intensity:.2f} ({words})"


class Detector:
    """Rule-based detector; ``use_hand`` / ``use_dutir`` switch the lexicons (for eval.py)."""

    def __init__(self, use_hand: bool = True, use_dutir: bool = True, use_rules: bool = True) -> None:
        self.words: dict[str, tuple[dict[str, float], str]] = {}
        if use_dutir:
            for w, emos in lexicon.dutir().items():
                self.words[w] = ({e: s * DUTIR_WEIGHT for e, s in emos.items()}, "dutir")
        if use_hand:
            for w, emos in lexicon.hand().items():
                self.words[w] = (dict(emos), "hand")
        if use_rules:
            for w, (e, s) in lexicon.INTERJECTIONS.items():
                self.words[w] = ({e: s}, "interjection")
        self.use_rules = use_rules
        self.outputs = {NEUTRAL} | {e for emos, _ in self.words.values() for e in emos}
        if use_rules:  # negation, comforting and punctuation can also produce these
            self.outputs |= {t for t, share in NEGATED.values() if share} | {"gentle", "surprised"}
        self.max_len = max((len(w) for w in self.words), default=1)

    def _scan(self, text: str):
        i = 0
        while i < len(text):
            for n in range(min(self.max_len, len(text) - i), 0, -1):
                hit = self.words.get(text[i:i + n])
                if hit is not None:
                    yield i, text[i:i + n], hit[0]
                    i += n
                    break
            else:
                i += 1

    def _modifiers(self, text: str, start: int, end: int) -> tuple[float, Optional[str]]:
        """Degree multiplier and negator ("neg", "comfort" or None) around text[start:end]."""
        clause_start = start
        while clause_start > 0 and not CLAUSE_BREAK.match(text[clause_start - 1]):
            clause_start -= 1
        before = text[max(clause_start, start - 5):start]
        degree, neg = 1.0, None
        for word, mult in sorted(lexicon.DEGREE_BEFORE.items(), key=lambda kv: -len(kv[0])):
            if before.endswith(word) or before[:-1].endswith(word):
                degree = mult
                before = before[: before.rfind(word)]
                break
        for word in lexicon.COMFORT_NEGATORS:
            if word in before[-3:]:
                neg = "comfort"
        if neg is None:
            for word in lexicon.NEGATORS:
                if word in before[-4:]:
                    neg = "neg"
                    break
        after = text[end:end + 4]
        for word, mult in sorted(lexicon.DEGREE_AFTER.items(), key=lambda kv: -len(kv[0])):
            if after.startswith(word):
                degree = max(degree, mult)
                break
        if text[max(0, start - 1):start] == "太" or (before.endswith("太") and after.startswith("了")):
            degree = max(degree, 1.6)
        return degree, neg

    def __call__(self, text: str) -> EmotionGuess:
        scores: dict[str, float] = {}
        evidence: list[tuple[str, str, float]] = []
        top_hit: dict[str, tuple[float, float]] = {}  # emotion -> (weight, degree) of its strongest word
        for start, word, emos in self._scan(text):
            degree, neg = self._modifiers(text, start, start + len(word)) if self.use_rules else (1.0, None)
            for emo, weight in emos.items():
                target, share = emo, 1.0
                if neg == "comfort" and emo in COMFORTED:
                    target, share = "gentle", 0.9
                elif neg is not None:
                    target, share = NEGATED.get(emo, (NEUTRAL, 0.0))
                w = weight * share * (degree if share else 1.0)
                if target == NEUTRAL or w <= 0:
                    continue
                scores[target] = scores.get(target, 0.0) + w
                evidence.append((word, target, round(w, 3)))
                if w > top_hit.get(target, (0.0, 1.0))[0]:
                    top_hit[target] = (w, degree)
        bangs = text.count("！") + text.count("!")
        if self.use_rules:
            self._punctuation(text, scores, evidence, bangs)
        if not scores or max(scores.values()) < THRESHOLD:
            return EmotionGuess(NEUTRAL, 0.0, scores, evidence)
        best = max(scores, key=lambda e: (scores[e], -ORDER.index(e)))
        degree = top_hit.get(best, (0.0, 1.0))[1]
        extra = min(max(scores[best] - top_hit.get(best, (scores[best], 1.0))[0], 0.0), 1.0)
        intensity = BASE_INTENSITY * degree + 0.08 * min(bangs, 3) + 0.1 * extra
        return EmotionGuess(best, round(min(1.0, max(0.2, intensity)), 3), scores, evidence)

    @staticmethod
    def _punctuation(text: str, scores: dict[str, float], evidence: list, bangs: int) -> None:
        t = text.strip()
        if re.search(r"[？?][！!]|[！!][？?]", t):
            scores["surprised"] = scores.get("surprised", 0.0) + 0.6
            evidence.append(("？！", "surprised", 0.6))
        if t.endswith(("……", "...")):
            for emo, w in (("afraid", 0.25), ("melancholic", 0.25)):
                scores[emo] = scores.get(emo, 0.0) + w
            evidence.append(("……", "afraid/melancholic", 0.25))
        if bangs:  # an exclamation strengthens whatever is already there
            for emo in list(scores):
                if emo not in ("calm", "melancholic", "gentle"):
                    scores[emo] *= 1.0 + 0.15 * min(bangs, 3)


_DEFAULT: Optional[Detector] = None


def detect_emotion(text: str) -> EmotionGuess:
    """The emotion (one of the engine's names) and intensity (0-1) the text suggests."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Detector()
    return _DEFAULT(text)
