"""Polyphone rules for news, finance, law and medicine (see polyphone.py for the layer)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .polyphone import Context

_CN_NUMERALS = "零一二三四五六七八九十百千万两几"
# what a court or an agency imposes: 处三年以下有期徒刑, 处罚款, 处拘役
_PENALTIES = ("有期徒刑", "无期徒刑", "死刑", "拘役", "管制", "罚款", "罚金", "拘留", "警告")

# Heads after which 地方 means 'local' (地方政府 dìfāng) rather than 'place' (这个地方 dìfang).
LOCAL_HEADS = tuple(
    "政府 财政 债 债务 债券 专项债 官员 法规 性 保护主义 特色 经济 部门 领导 当局 戏 标准 病 立法 人大 党委 国企 "
    "银行 税 税收 收入 预算 主管部门 政策 干部 机构 国有企业 融资 平台".split())

# Title nouns X长 (秘书长, 董事长, 行长): the head of an office is zhǎng.
OFFICE_CHARS = frozenset("书市省县区局部厅处科校院社团组队班会事村乡镇州署司站馆园军师旅营连排行族舰艇")


def _chu(c: Context) -> str | None:
    """处 before a penalty or a term is chǔ (to sentence): 处三年以下有期徒刑, 处罚款."""
    if c.word != "处" or (c.prev_char and c.prev_char in _CN_NUMERALS + "这那哪每各某此该多到"):
        return None
    if c.next_word.startswith(_PENALTIES) or (c.next_char and c.next_char in _CN_NUMERALS):
        return "chu3"
    if c.at_clause_start and not c.next_word:  # 处3年以下 (a written number follows)
        return "chu3"
    return None


NEWS_RULES = {"处": _chu}
