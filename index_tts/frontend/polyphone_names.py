"""Surnames, place names and a few set phrases that pypinyin reads wrongly (see polyphone.py).

* ``NAME_FIXES`` – phrase readings of place names, ethnonyms and words whose reading pypinyin
  gets wrong (merged into ``polyphone.WORD_FIXES``; they also apply inside longer words);
* ``surname_rule`` – a surname character read as a surname: before a title (单老师 Shàn), after
  姓 (他姓曾 Zēng) or opening a three-character personal name (曾国藩, 单田芳, 解小东).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .lexicon_backend import backend

if TYPE_CHECKING:
    from .polyphone import Context

NAME_FIXES: dict[str, str] = {
    # place names with special readings (现代汉语词典 / the official gazetteer)
    "天台山": "tian1 tai1 shan1", "天台县": "tian1 tai1 xian4", "浚县": "xun4 xian4", "六合区": "lu4 he2 qu1",
    "单县": "shan4 xian4", "筠连": "jun1 lian2", "洪洞": "hong2 tong2", "郫都": "pi2 du1", "郫县": "pi2 xian4",
    "阆中": "lang4 zhong1", "会稽": "kuai4 ji1", "华阴": "hua4 yin1", "华县": "hua4 xian4", "漯河": "luo4 he2",
    "月氏": "yue4 zhi1", "乐亭": "lao4 ting2", "铅山": "yan2 shan1", "蚌埠": "beng4 bu4", "六安": "lu4 an1",
    "番禺": "pan1 yu2", "丽水": "li2 shui3", "蔚县": "yu4 xian4", "尉犁": "yu4 li2", "莘县": "shen1 xian4",
    "东阿": "dong1 e1", "歙县": "she4 xian4", "亳州": "bo2 zhou1", "盱眙": "xu1 yi2", "台州": "tai1 zhou1",
    # two-character names jieba cuts apart (probe 10)
    "曾子": "zeng1 zi3", "解缙": "xie4 jin4",
    # the audit's rows: places and foreign names
    "那曲": "na4 qu3", "九华山": "jiu3 hua2 shan1", "燕郊": "yan1 jiao1", "廊坊": "lang2 fang2",
    "朝阳门": "chao2 yang2 men2", "朝阳区": "chao2 yang2 qu1", "夫差": "fu1 chai1", "肖邦": "xiao1 bang1",
    "曲靖": "qu3 jing4", "司马相如": "si1 ma3 xiang4 ru2", "蔺相如": "lin4 xiang4 ru2", "肖恩": "xiao1 en1",
}
# Place names and names that jieba may cut apart (古称会/稽, 郫/都区, 曾/子): their pieces are joined back (g2p).
JOIN_WORDS = frozenset(NAME_FIXES)
NAME_FIXES.update({
    # words pypinyin reads wrongly
    "臭味": "chou4 wei4", "喔喔": "wo1 wo1", "糖色": "tang2 shai3", "掉色": "diao4 shai3", "落色": "lao4 shai3",
    "肚子": "du4 zi5", "盛出": "cheng2 chu1", "盛入": "cheng2 ru4",
    "盛起": "cheng2 qi3",
    # 分子: the numerator and the molecule are fēnzǐ; a member of a group (知识分子) fènzǐ
    "分子": "fen1 zi3",
    **{w + "分子": f"{r} fen4 zi3" for w, r in (
        ("知识", "zhi1 shi5"), ("积极", "ji1 ji2"), ("犯罪", "fan4 zui4"), ("恐怖", "kong3 bu4"),
        ("极端", "ji2 duan1"), ("不法", "bu4 fa3"), ("反动", "fan3 dong4"), ("骨干", "gu3 gan4"),
        ("激进", "ji1 jin4"), ("危险", "wei1 xian3"), ("分裂", "fen1 lie4"), ("投机", "tou2 ji1"),
        ("腐败", "fu3 bai4"), ("黑恶", "hei1 e4"), ("坏", "huai4"), ("异己", "yi4 ji3"))},
    # 公差: a common difference or a tolerance is gōngchā; an official errand (出公差) gōngchāi
    "公差": "gong1 cha1", "出公差": "chu1 gong1 chai1", "办公差": "ban4 gong1 chai1",
})

# Characters read differently as a surname, and the titles that mark them as one (单老师 Shàn,
# 曾先生 Zēng, 解经理 Xiè, 查教授 Zhā).
SURNAME_READINGS = {"单": "shan4", "曾": "zeng1", "解": "xie4", "查": "zha1", "区": "ou1", "仇": "qiu2",
                    "朴": "piao2", "盖": "ge3", "乐": "yue4", "翟": "zhai2", "任": "ren2", "缪": "miao4",
                    "覃": "qin2", "谌": "chen2"}
TITLES = frozenset("先生 老师 女士 小姐 太太 总 经理 医生 教授 同学 阿姨 师傅 主任 校长 局长 书记 大夫 老板 "
                   "律师 院长 部长 队长 董事长 科长 处长 警官 师父 总监".split())
# Opening a personal name (jieba 'nr'): only where the surname reading is the usual one
# (乐 Yuè / Lè and 盖 Gě / Gài are both surnames; 查理, 查尔斯 are transliterations).
_NAME_INITIAL = frozenset("单曾解查仇朴任缪覃谌")
_NOT_NAMES = ("查理", "查尔", "查克", "查德", "查普", "查韦", "任我")


def surname_rule(ch: str, otherwise: str | None = None):
    """``ch`` read as a surname where the context marks it as one; else ``otherwise`` (None:
    pypinyin's reading)."""
    def rule(c: Context) -> str | None:
        if c.word == ch and (c.next_word in TITLES or c.next_word[:2] in TITLES or c.prev_word == "姓"):
            return SURNAME_READINGS[ch]
        if (ch in _NAME_INITIAL and c.pos == "nr" and len(c.word) == 3 and c.word[0] == ch and ch not in c.word[1:]
                and not c.word.startswith(_NOT_NAMES) and c.word[1] not in "你我他她它您"
                and not backend().is_dict_word(c.word[1:])):  # 查字典, 解方程, 任你选: jieba's 'nr' is wrong
            return SURNAME_READINGS[ch]
        return otherwise
    return rule


def surname_rules() -> dict:
    rules = {ch: surname_rule(ch) for ch in SURNAME_READINGS}
    rules["乐"] = surname_rule("乐", "le4")
    return rules
