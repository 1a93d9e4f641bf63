"""Context rules for polyphonic verbs of narrative text (novels, stories, dialogue).

Each rule takes a ``polyphone.Context`` and returns a toned reading, or None to keep
pypinyin's. They only see characters that no known phrase covers (他倒了, 背着书包, 转了一圈).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .polyphone import Context

_COUNT = "一两二三四五六七八九十几半整"
_PERSONS = frozenset("我 你 他 她 它 您 我们 你们 他们 她们 它们 大家".split())
_DEGREE = frozenset("很 太 真 挺 好 更 最 非常 特别 这么 那么 有点 有点儿".split())
_LIQUIDS = "水汤茶酒油奶粥药汁"


def _dao(c: Context) -> str | None:
    """倒 falling (他倒了下去, 树倒了, 倒在地上) is dǎo; pouring (把水倒了, 倒了一杯茶, 倒在碗里) and
    'on the contrary' (倒是) keep pypinyin's dào."""
    if len(c.word) == 2 and c.word[1] == "倒" and c.word[0] not in "反倒":
        return "dao3"  # a verb with its result, one jieba word: 吓倒, 推倒, 病倒, 晕倒 (反倒 is the adverb dào)
    if c.word != "倒" or c.prev2_word == "把" or c.prev_word[-1:] in _LIQUIDS:
        return None
    if c.next_word in ("下", "下去", "下来", "地"):
        return "dao3"
    if c.next_word == "在" and not c.next2_word.endswith(("里", "内")):
        return "dao3"  # 倒在地上, 倒在血泊中 (pouring goes into something: 倒在碗里)
    if c.next_word == "了" and (c.words_left == 1 or c.next2_word in ("下去", "下来", "在", "一片", "一大片")):
        return "dao3"  # 他倒了, 树倒了一片 (倒了一杯茶 has what was poured)
    return None


_CARRIED = "包袋篓筐囊李枪柴箱篮袱娃子"


def _bei(c: Context) -> str | None:
    """背 carrying on the back (背着书包, 背着一个大包, 背起行李, 背回家) is bēi; learning by heart
    (背课文), the back and 'behind someone's back' (背着妈妈) stay bèi."""
    obj = c.next_word if c.word == "背着" else c.next2_word if c.word == "背" and c.next_word == "着" else None
    if obj is not None:
        obj_pos = c.next_pos if c.word == "背着" else c.next2_pos
        return "bei1" if obj_pos.startswith("m") or obj[-1:] in _CARRIED else None
    if c.word == "背" and c.next_word[:1] in ("起", "回", "走"):
        return "bei1"
    return None


def _zhuan(c: Context) -> str | None:
    """转 spinning, going round (转了一圈, 转个不停, 转得飞快, 风车在转, 转了转) is zhuàn; turning
    (转过身, 转身, 向左转) stays zhuǎn."""
    if c.word != "转":
        return None
    if c.next_word in ("得", "着", "圈", "一圈") or (c.next_word == "个" and c.next2_word in ("不停", "圈", "没完")):
        return "zhuan4"
    if c.next_word == "了" and ("圈" in c.next2_word or c.next2_word == "转"):
        return "zhuan4"
    if c.prev_word in ("了", "一") and c.prev2_word == "转":
        return "zhuan4"
    if c.words_left == 0 and c.prev_word in ("在", "正在", "还在", "一直", "不停", "不停地", "乱"):
        return "zhuan4"
    return None


def _lu_lou(c: Context) -> str | None:
    """露 as a spoken verb (露了一手, 露着胳膊, 露出笑容) is lòu; 露水, 暴露, 不露声色 keep lù."""
    if (c.word == "露" and c.pos.startswith("v")) or c.word == "露出":
        return "lou4"
    return None


_SCATTERED = "盐种米沙土粉糖花籽"
_SCATTERED_TO = "在满落到向进上下遍"  # 撒在, 撒满, 撒上…: where it lands


def _sa(c: Context) -> str | None:
    """撒 scattering (撒了一地, 撒在汤里, 撒一把米, 撒盐) is sǎ; 撒谎, 撒娇, 撒腿, 撒网 keep sā.
    jieba glues some of these into one word: 撒上, 撒花, 撒点 (盐), 撒胡椒面."""
    if c.word != "撒":
        rest = c.word[1:] if c.word.startswith("撒") else ""
        scattered = (rest.lstrip("点些") + c.next_word)[:1] in _SCATTERED or rest.startswith("胡椒")
        return "sa3" if rest and (rest[0] in _SCATTERED_TO or scattered) else None
    thing = c.next2_word if c.next_word in ("点", "点儿", "些", "一点", "一些") else c.next_word  # 撒点盐
    if (c.next_char in _SCATTERED_TO or (thing and (thing[0] in _SCATTERED or thing[-1] in _SCATTERED))
            or c.next_word[:2] in ("一地", "一把")):
        return "sa3"
    if c.next_word == "了" and c.next2_word in ("一", "一地", "一把", "满", "满地", "一层", "一些", "一路"):
        return "sa3"
    return None


def _hua(c: Context) -> str | None:
    """划 scratching, striking, rowing (划火柴, 划破, 划得很快, 划了一道口子) is huá; dividing
    (划分, 划清界限, 划一条线) stays huà."""
    if c.word in ("划破", "划开", "划伤", "划过", "划着"):
        return "hua2"
    if c.word == "划" and (c.next_word in ("了", "着", "得", "过", "破", "开", "伤", "火柴", "船", "水", "桨")
                          and "线" not in c.next2_word and "界" not in c.next2_word):
        return "hua2"
    return None


def _ying(c: Context) -> str | None:
    """应 answering (他应了一声, 应着, 没人应) is yìng; 'should' (应去, 应该) stays yīng."""
    if c.word == "应" and (c.next_word in ("了", "着", "过", "声", "一声", "道") or c.words_left == 0):
        return "ying4"
    return None


def _tu(c: Context) -> str | None:
    """吐 vomiting (他吐了, 想吐, 吐了一地) is tù; spitting out (吐痰, 吐了口气) stays tǔ."""
    if c.word != "吐":
        return None
    if c.words_left == 0 or (c.next_word == "了" and (c.words_left == 1 or c.next2_word in ("一地", "一身", "满地"))):
        return "tu4"
    return None


def _measure(counted: str):
    """A character read ``counted`` as a measure word after a numeral (一宿 xiǔ, 一担水 dàn); else pypinyin's."""
    return lambda c: counted if c.prev_char and c.prev_char in _COUNT else None


def _chong(c: Context) -> str | None:
    """冲 'blunt, facing' (说话很冲, 冲我笑, 冲他喊) is chòng; rushing (冲进屋) stays chōng."""
    if c.word != "冲":
        return None
    if c.prev_word in _DEGREE or (c.next_word in _PERSONS and c.next2_pos[:1] in ("v", "l")):
        return "chong4"
    return None


def _pu(c: Context) -> str | None:
    """铺 spreading (铺了床, 铺在地上) is pū; the shop and the bunk (铺子, 一张铺) stay pù."""
    if c.word == "铺" and c.next_char and c.next_char in "了着在满开好床上" and c.prev_char not in _COUNT:
        return "pu1"
    if len(c.word) == 2 and c.word[0] == "铺" and c.word[1] in "满开好上平":
        return "pu1"  # one jieba word: 地上铺满了落叶, 铺开地图
    return None


def _he(c: Context) -> str | None:
    """喝 shouting (喝了一声, 喝道, 喝住) is hè; drinking stays hē."""
    if c.word in ("喝", "大喝") and (c.next_word in ("道", "一声", "住", "令") or (c.next_word == "了" and c.next2_word == "一声")):
        return "he4"
    return None


def _he_huo(c: Context) -> str | None:
    """和 kneading (和面, 和泥) is huó; the conjunction stays hé."""
    if c.word == "和" and c.next_word in ("面", "泥") and c.next2_word in ("", "了", "呢", "吧", "啊", "去"):
        return "huo2"
    return None


NARRATIVE_RULES = {
    "倒": _dao, "背": _bei, "转": _zhuan, "露": _lu_lou, "撒": _sa, "划": _hua, "应": _ying, "吐": _tu,
    "宿": _measure("xiu3"), "担": _measure("dan4"), "冲": _chong, "铺": _pu, "喝": _he, "和": _he_huo,
    "奔": lambda c: "ben4" if c.word == "奔" and c.next_word == "着" else None,  # 奔着那家店去 (heading for)
    "剥": lambda c: "bao1" if c.word == "剥" else None,  # alone (剥皮, 剥着花生) bāo; 剥削, 剥夺 bō
    "盛": lambda c: "cheng2" if c.word == "盛" and c.next_char and c.next_char in "了着满饭汤上在进一碗出入起到" else None,
    "抹": lambda c: "ma1" if c.word == "抹" and c.next_word.startswith(("桌", "干净")) else None,  # 抹桌子 mā
    # alone, spoken (吐了一口血) xiě; 血液, 流血 and 血 before a noun (血氧, 血糖 cut apart) xuè
    "血": lambda c: "xie3" if c.word == "血" and not c.next_pos.startswith("n") else "xue4",
}
