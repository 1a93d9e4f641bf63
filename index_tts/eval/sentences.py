"""Evaluation sentence sets: a TSV file (``id<TAB>category<TAB>text``) or a built-in list."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..hub import PROJECT_ROOT

SHARED_DEV_SET = PROJECT_ROOT.parent / "shared" / "eval" / "dev_sentences_zh.tsv"


@dataclass(frozen=True)
class EvalSentence:
    id: str
    category: str
    text: str


# Varied on purpose: plain prose, numbers, dates, polyphones, tone sandhi, questions,
# exclamations, Latin letters, quotes, erhua, short and long sentences.
BUILTIN_SENTENCES: tuple[EvalSentence, ...] = (
    EvalSentence("b01", "plain", "春天来了，河边的柳树都发芽了。"),
    EvalSentence("b02", "plain", "图书馆每天早上八点开门，晚上十点关门。"),
    EvalSentence("b03", "numbers", "这本书一共有356页，定价是48.5元。"),
    EvalSentence("b04", "numbers", "会议定在2024年5月18日下午两点举行。"),
    EvalSentence("b05", "polyphone", "他长大以后当了一名银行职员。"),
    EvalSentence("b06", "sandhi", "你早点儿休息，我也很累了。"),
    EvalSentence("b07", "question", "请问去火车站应该坐哪路公交车？"),
    EvalSentence("b08", "exclaim", "太好了！我们终于赢得了比赛！"),
    EvalSentence("b09", "mixed", "请把文件用PDF格式发到我的邮箱。"),
    EvalSentence("b10", "punct", "老师说：“明天的考试大家一定要认真准备。”"),
    EvalSentence("b11", "short", "谢谢你。"),
    EvalSentence("b12", "long", "周末的时候，我喜欢和家人一起去郊外爬山，呼吸新鲜空气，看看美丽的风景，"
                 "这让我感到非常放松。"),
)


def load_sentences(path: str | Path) -> list[EvalSentence]:
    """Read a TSV of ``id, category, text`` (or ``id, text``); blank and ``#`` lines skipped."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"sentence file not found: {p}")
    out: list[EvalSentence] = []
    for lineno, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.rstrip("\n").split("\t")
        if len(cols) == 2:
            cols = [cols[0], "", cols[1]]
        if len(cols) != 3 or not cols[2].strip():
            raise ValueError(f"{p}:{lineno}: expected 'id<TAB>category<TAB>text', got {line!r}")
        out.append(EvalSentence(cols[0].strip(), cols[1].strip(), cols[2].strip()))
    if not out:
        raise ValueError(f"{p}: no sentences")
    ids = [s.id for s in out]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{p}: duplicate sentence ids")
    return out


def default_sentences(path: Optional[str | Path] = None) -> tuple[list[EvalSentence], str]:
    """The given TSV, else the shared dev set when present, else the built-in list."""
    if path is not None:
        return load_sentences(path), str(path)
    if SHARED_DEV_SET.is_file():
        return load_sentences(SHARED_DEV_SET), str(SHARED_DEV_SET)
    return list(BUILTIN_SENTENCES), "builtin"
