"""Readings from session 16's audit of jieba's dictionary and probes 6-8 (narration, web fiction,
dialogue): word fixes, character defaults and rules for the polyphone layer (polyphone.py).

The audit took jieba's words of frequency >= 60 that pypinyin's phrase dictionary does not hold and
that contain a polyphonic character, read each through the Frontend and through g2pM (a small
neural polyphone model, PyPI g2pM 0.1.2.5, used only for this check, not a dependency), and looked
by hand at every word where the two disagreed beyond tone sandhi. docs/LONG_TEXT.md has the figures.
Rules take a ``polyphone.Context`` and return a toned reading, or None to keep pypinyin's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .numbers import NUMERALS

if TYPE_CHECKING:
    from .polyphone import Context


AUDIT_WORD_FIXES: dict[str, str] = {
    # jieba words pypinyin reads with a character's default (一卷: a roll, 一卷纸; pypinyin: the volume)
    "朝鲜": "chao2 xian3", "应力": "ying4 li4", "冠以": "guan4 yi3", "直奔": "zhi2 ben4",
    "隐没": "yin3 mo4", "湮没": "yan1 mo4", "一卷": "yi1 juan3", "第一卷": "di4 yi1 juan4", "重重地": "zhong4 zhong4 de5",
    # probe 6 (narration): 落下 falling (纷纷落下; pypinyin: là, 'leave behind'), 引得 as V得 (not 'index'),
    "落下": "luo4 xia4", "引得": "yin3 de5", "结满": "jie1 man3", "大喝一声": "da4 he4 yi1 sheng1",
    "运转": "yun4 zhuan3", "流血": "liu2 xue4",  # 现代汉语词典 (pypinyin: yùnzhuàn, liúxiě)
    # session 16 audit, jieba words of frequency 60-300
    "此行": "ci3 xing2", "多重": "duo1 chong2", "不为过": "bu4 wei2 guo4", "问卷": "wen4 juan4", "干湿": "gan1 shi1",
    "燕国": "yan1 guo2", "燕赵": "yan1 zhao4", "弹指": "tan2 zhi3", "连冠": "lian2 guan4",
    "悄无声息": "qiao3 wu2 sheng1 xi1", "怔忡": "zheng1 chong1", "干布": "gan1 bu4",
    # pypinyin phrases that lose to an overlapping phrase inside longer words (本行|政区域, 器乐|曲, 自称|为,
    # 新乐|府, 生意|兴隆 as 意兴|隆); re-stated so they win (see polyphone_audit.py, overlaps)
    "行政": "xing2 zheng4", "称为": "cheng1 wei2", "乐曲": "yue4 qu3", "乐府": "yue4 fu3", "兴隆": "xing1 long2",
    "处方": "chu3 fang1", "不了": "bu4 liao3", "十一卷": "shi2 yi1 juan4", "出血量": "chu1 xue4 liang4",
    "出血性": "chu1 xue4 xing4",
    # the audit's rows of frequency 60-104
    "无处": "wu2 chu4", "用处": "yong4 chu4", "咽部": "yan1 bu4", "气藏": "qi4 zang4", "伺服": "si4 fu2",
    "为伴": "wei2 ban4", "尊长": "zun1 zhang3", "应激": "ying4 ji1", "志在必得": "zhi4 zai4 bi4 de2",
    # frequency 30-60
    "室内乐": "shi4 nei4 yue4", "煞有其事": "sha4 you3 qi2 shi4", "煞有介事": "sha4 you3 jie4 shi4",
    "果脯": "guo3 fu3", "玻色子": "bo1 se4 zi3", "薄礼": "bo2 li3", "海蜇": "hai3 zhe2",
    "不为所动": "bu4 wei2 suo3 dong4", "仔仔细细": "zi3 zi3 xi4 xi4",
    # probe 11 (recipes, school, daily life): 扎马尾 / 马尾辫 as everyone says it, 冰溜(子) icicle
    "马尾": "ma3 wei3", "冰溜": "bing1 liu4",
    "摇摇晃晃": "yao2 yao2 huang4 huang4",  # probe 12: pypinyin's 摇晃 covered only the middle pair
    "解法": "jie3 fa3",  # probe 13 (lessons): the way to solve; pypinyin's phrase has the old xiè
    # pypinyin phrases with a wrong syllable (polyphone_audit rare-phrase-readings, session 17): 朴 is
    # pǔ in these (piáo is the surname), 何曾 céng ('ever'), 查查 chá (look it up), 暴晒 bào, 垫圈 quān,
    # 大黄鱼 dà, 大堡礁 bǎo, 落子 (a go move) luò zǐ, 薄膜 bó (also from that list, cross-checked with g2pM)
    **{w: f"{r} pu3" for w, r in (("质朴", "zhi4"), ("古朴", "gu3"), ("简朴", "jian3"), ("纯朴", "chun2"),
                                   ("素朴", "su4"), ("诚朴", "cheng2"), ("浑朴", "hun2"), ("拙朴", "zhuo1"),
                                   ("敦朴", "dun1"), ("醇朴", "chun2"), ("勤朴", "qin2"))},
    "何曾": "he2 ceng2", "查查": "cha2 cha5", "暴晒": "bao4 shai4", "垫圈": "dian4 quan1",
    "大黄鱼": "da4 huang2 yu2", "大堡礁": "da4 bao3 jiao1", "落子": "luo4 zi3", "薄膜": "bo2 mo2",
    # 以…为Y words, and adverb + 为 (also inside longer words: 大为光火, 广为流传)
    **{w: "wei2 " + r for w, r in (("为官", "guan1"), ("为辅", "fu3"), ("为先", "xian1"), ("为题", "ti2"),
                                   ("为名", "ming2"), ("为重", "zhong4"))},
    **{w: r + " wei2" for w, r in (("广为", "guang3"), ("大为", "da4"), ("颇为", "po1"), ("极为", "ji2"),
                                   ("更为", "geng4"), ("较为", "jiao4"), ("尤为", "you2"), ("最为", "zui4"),
                                   ("认为", "ren4"), ("行为", "xing2"))},  # 误认为, 性行为: pypinyin cut 误认/为
}

# pypinyin lists the rare reading first for these; the common one is what its own phrase dictionary
# uses in 90-100 % of the entries (weighted by jieba's word frequency): 萎缩, 哮喘, 缅甸, 屋脊, 停泊,
# 希特勒, 仆人, 佛像, 雕琢, 颈椎, 杠杆, 耶稣, 瑜伽, 辗转, 宫阙, 番茄, 肋骨, 瞭望, 鹿茸, 潦草, 澎湃,
# 怔住, 柞蚕, 铤而走险, 谩骂, 牙龈, 囤积, 踉跄, 慰藉; from the audit's words: 颇具, 一幢楼, 摒弃,
# 乙炔, 嬷嬷, 门框, 掺杂, 聒噪.
RARE_FIRST_READINGS: dict[str, str] = {
    "萎": "wei3", "哮": "xiao4", "甸": "dian4", "脊": "ji3", "泊": "bo2", "勒": "le4", "仆": "pu2",
    "佛": "fo2", "琢": "zhuo2", "椎": "zhui1", "杠": "gang4", "傀": "kui3", "耶": "ye1", "伽": "jia1",
    "辗": "zhan3", "阙": "que4", "茄": "qie2", "肋": "lei4", "瞭": "liao4", "茸": "rong2", "潦": "liao2",
    "澎": "peng2", "怔": "zheng4", "柞": "zuo4", "铤": "ting3", "谩": "man4", "龈": "yin2", "囤": "tun2",
    "踉": "liang4", "跄": "qiang4", "藉": "jie4",
    "颇": "po1", "幢": "zhuang4", "摒": "bing4", "炔": "que1", "嬷": "mo2", "框": "kuang4", "掺": "chan1",
    "聒": "guo1",
}


_DRY_THINGS = frozenset("布 毛巾 抹布 纸巾 衣服 袜子 面包 馒头 树枝 柴".split())


def _she(c: Context) -> str | None:
    """舍 closing a noun is a house, shè (馆舍, 校舍); the verb 'give up' keeps shě (割舍, 施舍)."""
    return "she4" if len(c.word) >= 2 and c.word.endswith("舍") and c.pos == "n" else None  # jieba tags 割舍 nrt


def _qie(c: Context) -> str | None:
    """切 the verb, alone or opening a word outside pypinyin's phrases (切菜, 切块, 切开) is qiē;
    elsewhere pypinyin's qiè (密切, 撒切尔)."""
    return "qie1" if c.word == "切" or (len(c.word) == 2 and c.word[0] == "切") else None


def _shen_shi(c: Context) -> str:
    return "shen2" if c.next_char in ("么", "麽") else "shi2"  # 什么; elsewhere shí (什锦, 布什, 纳什)


def _shi_si(c: Context) -> str:
    return "shi4" if c.next_char in ("的", "地") else "si4"  # 似的 / 似地; 看似, 好似, 似水 sì


def _zhan_nian(c: Context) -> str:
    return "zhan1" if len(c.word) == 1 else "nian2"  # the verb (粘在墙上); compounds: 粘膜, 粘液, 粘稠


_AI_SUFFERED = frozenset("打骂饿冻揍批训宰罚整刀枪")


def _ai(c: Context) -> str:
    """挨 suffering something (挨打, 挨了一顿骂, 挨饿) is ái; next to, one by one (挨着, 挨家挨户) āi."""
    return "ai2" if c.next_char in _AI_SUFFERED or c.next_word == "了" else "ai1"


def _juan(c: Context) -> str:
    """卷 numbered (第三卷, 第二十卷) is the volume, juàn; the verb and a roll (卷起, 一卷纸) juǎn."""
    before = (c.prev_word + c.word[:-1]) if c.word.endswith("卷") else c.prev_word
    return "juan4" if before.startswith("第") and before[1:] and all(ch in NUMERALS for ch in before[1:]) else "juan3"


def _qu(c: Context) -> str:
    """曲 closing a longer word is a piece of music (进行曲, 交响曲, 小夜曲): qǔ; else qū (弯曲, 九曲)."""
    if c.word.endswith("曲") and (len(c.word) >= 3 or c.word[0] in "唱编谱"):
        return "qu3"  # also 唱曲, 编曲
    return "qu1"


_FALLS_ON = frozenset("目光 视线 眼光 希望 注意力 重心 重点 责任 重担 担子 心思 心".split())


def _la(c: Context) -> str | None:
    """落 after 把 + a thing is là, left behind (把作业落在学校了, 把书落下了); 把目光落在… stays luò."""
    if c.word in ("落", "落下") and ((c.prev2_word == "把" and c.prev_word not in _FALLS_ON) or c.prev_word == "把"):
        return "la4"
    return None


def _shuai(c: Context) -> str | None:
    """率 leading (率众, 亲率, 率军出征) is shuài; a rate closing a word (合格率) lǜ, pypinyin's default."""
    if c.prev_char in ("亲", "统", "督"):
        return "shuai4"
    if c.word.endswith("率"):
        return None
    if c.word[:1] == "率" or c.next_word[:1] in ("军", "兵", "队", "部", "众", "师"):
        return "shuai4"
    return None


def _zang(c: Context) -> str | None:
    """藏 for Tibet (藏语, 藏文, 青藏, 汉藏) is zàng; hiding and storing keep cáng."""
    if (c.next_char and c.next_char in "语文族传医药历獒羚区戏袍北南学民") or (c.prev_char and c.prev_char in "青汉入援进川滇"):
        return "zang4"
    return None


def _fu(c: Context) -> str | None:
    """服 counting doses of herbal medicine after a numeral or demonstrative (这服中药, 三服药) is fù;
    elsewhere fú (服药, 服从, 衣服)."""
    if c.prev_char and c.prev_char in NUMERALS + "这那几每" and (c.word == "服药" or c.next_word[:1] in ("药", "中", "汤", "草")):
        return "fu4"
    return None


def _sai(c: Context) -> str | None:
    """塞 in a place or person name (塞尔维亚, 巴塞罗那) is sài; jieba also tags the verb glued to
    its complement as a name (塞进 nr, 塞满 nr), which keeps sāi."""
    if c.pos[:2] in ("ns", "nr") and not (c.word.startswith("塞") and c.word[1:2] in "进满到给住上入在下回了着过"):
        return "sai4"
    return None


WORD_RULES = {
    "服": _fu,
    "落": _la,
    "挣": lambda c: "zheng4",  # 挣钱, 挣得, 挣脱 (现代汉语词典 zhèngtuō); 挣扎 zhēngzhá is a phrase
    "称": lambda c: "chen4" if c.word == "称" and c.next_word == "身" else None,  # 很称身 (fits)
    "好": lambda c: "hao4" if c.word == "好" and c.next_word == "面子" else None,  # 他好面子 (is vain)
    "率": _shuai, "藏": _zang, "塞": _sai,
    "斗": lambda c: "dou3" if c.prev_char and c.prev_char in NUMERALS else None,  # 一斗米 (a measure)
    "载": lambda c: "zai3" if c.prev_char and c.prev_char in NUMERALS and c.word.endswith("载") else None,  # 十载 (years)
    "干": lambda c: "gan1" if c.word == "干" and c.next_word in _DRY_THINGS else None,  # 用干布擦 (dry)
    "切": _qie, "舍": _she, "什": _shen_shi, "似": _shi_si, "粘": _zhan_nian, "挨": _ai, "卷": _juan, "曲": _qu,
}
