"""Our polyphone layer on top of pypinyin.

pypinyin is right for most words found in its phrase dictionary; it is weak for characters
that jieba leaves as single-character words (很长, 还钱, 两行) and for a few phrases. Here:

* ``WORD_FIXES`` – phrase readings that replace pypinyin's (also inside longer words);
* ``NEUTRAL_WORDS`` – common words whose last syllable is in the neutral tone;
* ``char_reading`` – context rules for polyphonic characters not covered by a phrase.
"""
from __future__ import annotations

from dataclasses import dataclass

from .numbers import NUMERALS
from .polyphone_names import NAME_FIXES, SURNAME_READINGS, TITLES, surname_rules  # noqa: F401 (re-exported)
from .polyphone_news import NEWS_RULES, OFFICE_CHARS
from .polyphone_words import AUDIT_WORD_FIXES, RARE_FIRST_READINGS, WORD_RULES
from .polyphone_verbs import NARRATIVE_RULES

WORD_FIXES: dict[str, str] = {
    "还款": "huan2 kuan3", "还贷": "huan2 dai4", "还账": "huan2 zhang4", "还帐": "huan2 zhang4",
    "大夫": "dai4 fu5", "这儿": "zhe4 er5", "那儿": "na4 er5", "哪儿": "na3 er5",
    "长得": "zhang3 de5", "觉得": "jue2 de5", "记得": "ji4 de5",
    "重新": "chong2 xin1", "看不起": "kan4 bu5 qi3", "对不起": "dui4 bu5 qi3",
    "来不及": "lai2 bu5 ji2", "差不多": "cha4 bu5 duo1", "了不起": "liao3 bu5 qi3",
    "一会儿": "yi2 hui4 er5", "好好儿": "hao3 hao1 er5", "什么": "shen2 me5",
    "冲着": "chong4 zhe5", "量体温": "liang2 ti3 wen1", "量身高": "liang2 shen1 gao1",
    "量血压": "liang2 xue4 ya1", "系鞋带": "ji4 xie2 dai4", "系安全带": "ji4 an1 quan2 dai4",
    "晃来晃去": "huang4 lai2 huang4 qu4", "为人": "wei2 ren2", "为人处世": "wei2 ren2 chu3 shi4",
    "时差": "shi2 cha1", "出处": "chu1 chu4", "上行": "shang4 xing2", "献血": "xian4 xue4",
    # bank branches and shops: 行 háng (pypinyin: xíng)
    "支行": "zhi1 hang2", "总行": "zong3 hang2", "琴行": "qin2 hang2",
    "为准": "wei2 zhun3",  # 以…为准 (take as the standard)
    "教教": "jiao1 jiao5",  # the verb reduplicated (teach me): not 教 jiào, the noun
    # erhua inside a word (今儿个 jīnr ge) and full readings pypinyin gets wrong
    "今儿个": "jin1 er5 ge5", "明儿个": "ming2 er5 ge5", "昨儿个": "zuo2 er5 ge5", "老头儿": "lao3 tou2 er5",
    "应声": "ying4 sheng1", "应声而倒": "ying4 sheng1 er2 dao3",
    # V着手 (holding hands, hands behind the back) is not the phrase 着手 zhuóshǒu (to set about)
    **{v + "着手": f"{r} zhe5 shou3" for v, r in (("牵", "qian1"), ("拉", "la1"), ("握", "wo4"), ("挽", "wan3"),
                                                  ("空", "kong1"), ("搓", "cuo1"), ("背", "bei4"), ("拍", "pai1"),
                                                  ("甩", "shuai3"), ("摆", "bai3"), ("插", "cha1"))},
    **AUDIT_WORD_FIXES,
    **NAME_FIXES,
}

NEUTRAL_WORDS = frozenset(
    """朋友 明白 事情 知道 告诉 喜欢 漂亮 时候 先生 窗户 打扮 琵琶 玻璃 亲戚 笑话 衣服 耳朵
    豆腐 东西 地方 意思 清楚 舒服 暖和 热闹 麻烦 客气 便宜 聪明 糊涂 马虎 商量 打听 收拾 认识
    学生 姑娘 丫头 石头 木头 舌头 骨头 月亮 眼睛 眉毛 头发 脑袋 嘴巴 尾巴 结巴 哑巴 下巴 萝卜
    葡萄 蘑菇 核桃 芝麻 云彩 消息 生意 买卖 关系 规矩 名字 本事 能耐 厉害 利索 干净 晚上 早上
    上头 外头 里头 后头 前头 里边 外边 上边 下边 点心 对付 吩咐 嘱咐 招呼 打算 算计 折腾 琢磨
    合同 钥匙 扫帚 棉花 庄稼 衣裳 动静 队伍 风筝 功夫 故事 官司 含糊 葫芦 护士 活泼 火候 家伙
    嫁妆 见识 将就 交情 叫唤 街坊 结实 戒指 口袋 快活 阔气 喇叭 老实 篱笆 力气 利落 连累 凉快
    粮食 溜达 啰嗦 骆驼 码头 忙活 冒失 玫瑰 门道 迷糊 苗条 名堂 模糊 磨蹭 牡丹 念叨 娘家 奴才
    盘算 脾气 屁股 婆家 欺负 亲家 勤快 人家 日子 上司 烧饼 少爷 师父 石榴 拾掇 使唤 世故 似的
    收成 首饰 舒坦 疏忽 爽快 思量 岁数 踏实 抬举 特务 挑剔 跳蚤 铁匠 妥当 唾沫 挖苦 委屈 稳当
    窝囊 稀罕 媳妇 吓唬 相声 小气 心思 行李 休息 秀才 秀气 学问 衙门 胭脂 秧歌 养活 吆喝 妖精
    应酬 冤枉 月饼 运气 在乎 咱们 怎么 扎实 眨巴 张罗 丈夫 帐篷 招牌 芝麻 知识 指甲 主意 转悠
    壮实 状元 自在 祖宗 作坊 多少 认得 晓得 舍得 值得 懂得 记得 觉得 怪不得 我们 你们 他们
    她们 它们 人们 孩子们 这么 那么 多么 怎么样 为什么 什么 狐狸 苍蝇 蛤蟆 耗子 蚂蚱 刺猬 黄瓜
    喇嘛 妯娌 伙计 机灵 谢谢 爸爸 妈妈 和尚 尚书 福气 客人 亮堂 打发 打量 提防 答应 胳膊 道理 外甥 女婿 数落""".split()
)

# Reduplications that keep both full tones even when jieba tags them as verbs (处处 'v').
FULL_TONE_REDUP = frozenset("处处 常常 刚刚 渐渐 往往 偏偏 恰恰 仅仅 天天 人人 家家 年年 时时 步步 个个 事事 样样 "
                            "久久 默默 悄悄 紧紧 深深 静静 轻轻 慢慢 早早 好好 大大 多多 "
                            "整整 足足 活活 通通 统统 白白 死死 略略 生生".split())

# Monosyllabic reduplications whose second syllable is neutral (kinship terms and the like).
NEUTRAL_REDUP_NOUNS = frozenset("妈爸哥姐弟妹爷奶姥舅叔婶伯姑娃宝星猩蝈太公婆嬷")

_DEMONSTRATIVES = "这那哪每各某此该多"
_MODAL_ADVERBS = ("就", "还", "也", "都", "总", "又", "可", "必须", "非", "总是")
_DEGREE = ("很", "太", "真", "好", "更", "最", "非常", "比较", "特别", "挺", "多", "这么", "那么", "越", "够")


@dataclass
class Context:
    """Where a character sits: its neighbours (across word boundaries) and POS tags."""

    prev_char: str = ""
    next_char: str = ""
    prev_word: str = ""
    next_word: str = ""
    word: str = ""
    pos: str = ""
    prev_pos: str = ""
    next_pos: str = ""
    at_clause_start: bool = False
    next2_word: str = ""  # the word after next_word (same hanzi run), and its POS
    next2_pos: str = ""
    prev2_pos: str = ""  # the POS of the word before prev_word, and the word
    prev2_word: str = ""
    words_left: int = -1  # words after this one when its Hanzi run ends the clause (else -1)


_PRONOUNS = frozenset("我 你 他 她 它 您 我们 你们 他们 她们 它们 人家 大家".split())
_RETURN_RESULTS = frozenset("清 回 完 回来 回去 掉".split())
_PREDICATE_END = frozenset("呢 啊 吧 嘛 呀 似的 一样 气".split())


def _hai_huan(c: Context) -> str:
    """还 as the verb huán (give back) or the adverb hái (still, also)."""
    if c.next_char and c.next_char in "给钱债款账贷书":
        return "huan2"  # 还给, 还钱, 还书
    if c.word != "还":
        return "huan2" if c.words_left == 0 and c.word.endswith("还") else "hai2"  # 有借有还
    if c.words_left == 0 or (c.words_left == 1 and c.next_word == "了"):
        return "huan2"  # the adverb never ends a clause: 借了不还, 什么时候还, 用完再还, 我已经还了
    if c.next_word == "了" and (c.next2_pos[:1] in ("m", "n") or c.next2_word in _PRONOUNS):
        return "huan2"  # 还了三次房贷, 还了他 (not 还了得)
    if c.next_word in _RETURN_RESULTS:
        return "huan2"  # 还清了, 还回去
    if c.next_word in _PRONOUNS and (not c.next2_word or c.next2_pos.startswith(("n", "m", "q"))):
        return "huan2"  # 还你钱, 还我河山, 把书还我。 (the adverb is followed by a verb: 还你去)
    if c.next_word == "了" and c.prev_word[-1:] in "钱债款账书":
        return "huan2"  # 钱还了
    if (c.next_pos.startswith(("n", "j")) and not c.next_pos.startswith("nr")
            and not (len(c.next_word) == 1 and c.next_pos == "ns")  # one character tagged a place: 比家里的还香
            and c.next2_word not in _PREDICATE_END and not c.next_word.endswith(("气", "样"))):
        # 还两本书, 按时还房贷: a noun object (the adverb precedes verbs and adjectives; a noun
        # right after it is a nominal predicate only in speech: 他还学生呢, 还孩子气)
        return "huan2"
    return "hai2"


# Phrases of pypinyin whose reading depends on what follows; their characters still get our rules.
RULES_OVER_PHRASE = frozenset({"一行", "落下", "服药"})


def _xing_hang(c: Context) -> str:
    if c.word == "一行":  # 一行字, 一行白鹭 (a line: háng); 一行人, 我们一行 (a party: xíng)
        return "hang2" if c.next_pos[:1] == "n" and not c.next_word.startswith("人") else "xing2"
    if c.prev_char and c.prev_char in NUMERALS + _DEMONSTRATIVES:
        return "hang2"
    return "xing2"


# Before a word-final 长 in a word of 3+ characters, these make it a title too (委员长, 检察长, 列车长);
# alone before 长 they are lengths or ambiguous (车长 is a vehicle's length or a conductor).
_TITLE_HEADS = frozenset("员察车舰机厂监务")


def _chang_zhang(c: Context) -> str:
    if c.next_char and c.next_char in "大高出成满胖得了着起壮":
        return "zhang3"
    if c.prev_word in ("生", "成", "增", "助", "疯", "滋"):
        return "zhang3"
    if c.word.endswith("长") and len(c.word) >= 2 and (c.prev_char in OFFICE_CHARS
                                                        or (c.prev_char in _TITLE_HEADS and len(c.word) >= 3)):
        return "zhang3"  # a title: 秘书长, 委员长, 检察长, 列车长; two characters: 区长, 厅长, 营长
    return "chang2"


def _zhong_chong(c: Context) -> str:
    if c.next_char and c.next_char in "新复来做写建播申装修启返温演组说讲唱选考拍画填算排录发试置振回整拾塑游归聚现提印审估" \
            and c.prev_word not in _DEGREE:
        return "chong2"
    return "zhong4"


# Adverbs that follow the modal 得 děi (我得赶紧走, 你们得好好学习); jieba may glue them to the verb.
_DEI_ADVERBS = ("赶紧", "赶快", "先", "马上", "快", "早点", "好好", "再", "多", "尽快", "立刻", "抓紧", "自己")


_COMPLEMENT_DEGREE = ("很", "非常", "特别", "十分", "太", "真", "挺", "更", "比较", "相当", "越来越", "极")


def _de(c: Context) -> str:
    if len(c.word) > 1:  # inside a word: 得到, 获得 (dé); 说得对, 看得见 (the complement's de)
        return "de2" if c.word.startswith("得") or c.word.endswith("得") else "de5"
    # a verb, or a set phrase (jieba's l / i: 想个办法, 一心一意), after a subject: the modal děi
    verb_follows = (c.next_pos.startswith("v") and c.next_word not in ("到", "了", "过")) or c.next_pos in ("l", "i")
    subject_before = c.prev_pos.startswith("r") or c.prev_word in _MODAL_ADVERBS
    if subject_before and (verb_follows or c.next_word.startswith(_DEI_ADVERBS)):
        return "dei3"
    if c.next_word == "了" and (c.prev_pos[:1] in ("r", "n") or c.next2_word[:1] == "第"):
        return "de2"  # 小明得了一百分, 考试得了第一 (吃得了三碗: the complement, de liǎo)
    if c.prev_word and not c.prev_pos.startswith("r") and c.next_word.startswith(_COMPLEMENT_DEGREE):
        return "de5"  # a degree complement: 打扮得很漂亮, 说得非常好 (jieba may tag 很漂亮 a noun)
    if c.at_clause_start or (c.next_pos.startswith("n") and c.prev_pos[:1] not in ("v", "a")):
        return "de2"  # (after a verb or an adjective a noun starts the complement: 吹得窗户哐哐响, 累得满头大汗)
    return "de5"


def _di_de(c: Context) -> str:
    if c.word == "地" and c.prev_word == "一":
        return "di4"  # 落了一地, 一地鸡毛: a floorful
    if c.word == "地" and (c.next_word.startswith("的") or (c.prev_char and c.prev_char in "块片亩")
                           or (not c.next_word and c.prev_pos.startswith("v"))):
        return "di4"  # the noun: 这块地的面积, 去扫地。 (the particle comes before a verb: 认真地，一笔一画地写)
    if c.word == "地" and c.prev_word == "把":
        return "di4"  # 把地扫了: the object
    if c.pos == "uv" or c.prev_char == "似":
        return "de5"  # also 飞也似地 (one jieba word), 像疯了似地
    if c.word == "地" and c.next_pos.startswith("v") and c.prev_pos[:1] in ("a", "d", "z", "v", "i", "l"):
        return "de5"  # also after a verb phrase or an idiom: 头也不回地走了, 不知不觉地睡着了
    if len(c.word) > 1 and c.word.startswith("地") and c.prev_pos[:1] in ("v", "i", "l"):
        return "de5"  # jieba glued 地 to what follows: 头也不回/地走了 (地方, 地上 are phrases, never here)
    if c.word.startswith("地") and len(c.prev_word) >= 2 and c.prev_word[-1] == c.prev_word[-2]:
        return "de5"  # after a reduplicated adverb, even when jieba glues 地 to the verb: 慢慢/地走了
    if len(c.word) >= 3 and c.word.endswith("地") and c.word[-2] == c.word[-3]:
        return "de5"  # one jieba word: 静静地, 轻轻地, 偷偷地
    return "di4"


def _dou_du(c: Context) -> str:
    """都 is dōu (all) except where jieba split the noun 都市 / 都城 (都/市里)."""
    if c.word == "都" and c.next_word[:1] in ("市", "城") and c.next_word != "市场":
        return "du1"
    return "dou1"


def _xi_ji(c: Context) -> str:
    """系 alone as a verb before its result or object (系好, 系上, 系紧) is jì (tie)."""
    if c.word == "系" and c.pos.startswith("v") and c.next_char and c.next_char in "好上紧住鞋带扣领围在":
        return "ji4"
    return "xi4"


def _liang(c: Context) -> str:
    """量 alone, as a verb (请量一下, 先量体温) is liáng (measure); else liàng (amount)."""
    if c.word == "量" and (c.next_word in ("一下", "一量", "了", "过")
                          or (c.prev_word and c.prev_word in ("请", "先", "再", "给", "帮", "去", "来", "要", "得"))):
        return "liang2"
    return "liang4"


def _zhe_zhao(c: Context) -> str:
    if c.next_word == "了" and c.prev_word[-1:] in ("睡", "找", "猜", "点", "用", "烧", "打", "摸", "够", "急"):
        return "zhao2"
    if c.word == "着" and c.next_word == "了" and c.next2_word[:1] in ("火", "凉", "迷", "魔", "慌"):
        return "zhao2"  # 都着了火, 着了凉, 着了迷: the verb with its object
    if c.word == "着" and c.next_word == "了" and c.prev_pos[:1] in ("n", "r"):
        return "zhao2"  # 着了 right after its subject is the verb: 火着了, 他着了凉 (等着了 keeps the aspect)
    return "zhe5"


def _zhong(c: Context) -> str:
    if c.prev_char and c.prev_char in NUMERALS + _DEMONSTRATIVES:
        return "zhong3"
    if c.pos.startswith("v") or (c.next_char and c.next_char in "树花菜地田瓜草豆麦稻粮了着过满"):
        return "zhong4"
    return "zhong3"


_ZHONG_HIT = frozenset("选考猜相射击投踢砸刺抽押说瞄蒙")
_ZHONG_STRUCK = frozenset("一毒计奖彩埋圈邪暑枪弹头")


def _zhong_hit(c: Context) -> str:
    """中 as a result, 'hit / be picked' — after a one-character verb of aiming or choosing (选中,
    考中, 猜中, 相中, as one word or split), or standing alone before 了 and what struck (中了一枪,
    中了奖; 他中了) — is zhòng; everywhere else (其中, 心中, 射击中) zhōng."""
    head = c.word[0] if len(c.word) == 2 and c.word[1] == "中" else c.prev_word if c.word == "中" else ""
    if len(head) == 1 and head in _ZHONG_HIT:
        return "zhong4"
    if c.word == "中" and c.next_word == "了" and (c.next2_word[:1] in _ZHONG_STRUCK or c.prev_word in _PRONOUNS):
        return "zhong4"
    return "zhong1"


def _huang(c: Context) -> str:
    """晃 shaking (晃了晃, 晃着, 晃动, 有点晃, 晃得厉害) is huàng; a flash, dazzling (一晃, 晃眼) huǎng."""
    if c.word == "晃" and c.prev_word != "一" and "眼" not in c.next_word + c.next2_word:
        return "huang4"
    return "huang3"


def _shan(c: Context) -> str:
    """扇 as a verb (扇了他一巴掌, 扇着扇子, 扇他) is shān; the fan and the measure word (一扇门) shàn."""
    if c.word == "扇" and (c.pos.startswith("v") or c.next_word in ("了", "着", "过", "风") or c.next_word in _PRONOUNS):
        return "shan1"
    return "shan4"


def _shu(c: Context) -> str:
    if c.pos.startswith("v") or c.next_char in ("一", "不", "着", "了", "到", "清"):
        return "shu3"
    return "shu4"


def _jin(c: Context) -> str:
    """尽 alone: jǐn before 管/量/早/快 (尽管, 尽早 split by jieba); after a verb, 'use up', jìn (看尽, 更尽)."""
    return "jin3" if c.word.startswith("尽") and c.next_char and c.next_char in "管量早快先着" else "jin4"


def _zhi(c: Context) -> str:
    return "zhi1" if c.prev_char and c.prev_char in NUMERALS + _DEMONSTRATIVES else "zhi3"


# Characters after which 子 keeps its full tone (男子, 原子, 瓜子, 孔子, 电子书); elsewhere a 子 that
# does not start its word is the noun suffix, neutral (包子, 样子, 小伙子, 嗓子疼) where no phrase covers it.
_FULL_TONE_ZI = frozenset("原粒核质中电离光因量分卵精孢男女父母亲长次独生养义嫡庶孝浪游赤逆君臣天太王公世仙才弟学士"
                          "夫诸犬孔孟庄墨荀韩瓜莲棋松鱼")


def _zi(c: Context) -> str:
    if c.word.count("子") == 1 and not c.word.startswith("子") and c.prev_char not in _FULL_TONE_ZI:
        return "zi5"
    return "zi3"


def _jue_jiao(c: Context) -> str:
    return "jiao4" if c.prev_char and c.prev_char in "睡午一个懒觉好" else "jue2"


# 以为/成为/改为… and a measured quantity stated as a value: 失业率为5.2%, 净利润为3亿元, 结果为阴性
_WEI_COPULA = "以成作认视称改分选变化评转结沦率额值润绩果积码温压糖龄诊列命速价格约频寸号标数存储"
_NOT_QUANTITY = ("尽量", "大量", "少量", "再度", "首度", "一度", "年度")
# Nouns whose 为 states their value (有效期为两年, 电阻为10欧姆); colours after 为 (指示灯为红色).
_WEI_VALUE_NOUNS = tuple("有效期 保质期 保修期 质保期 周期 工期 期限 刑期 学制 电阻 电压 电流 功率 面积 体积 "
                         "颜色 尺寸 规格 型号 材质 年龄 人口 时长 总价 单价 售价 定价 周长 半径 直径 边长 "
                         "时间 日期 地点 票价 费用 期间 截止日期".split())  # 营业时间为早上八点
_COLOURS = frozenset("红色 绿色 蓝色 黄色 白色 黑色 橙色 紫色 灰色 粉色 银色 金色 棕色 青色 红 绿 蓝 黄 白 黑".split())


def _wei(c: Context) -> str:
    if len(c.word) >= 2 and c.word.endswith("为"):
        return "wei2"  # jieba words outside pypinyin's phrases: 列为, 最为, 尤为, 称之为, 身为, 题为, 华为
    if len(c.word) == 4 and c.word[2] == "为" and c.pos[:1] in ("i", "l"):
        return "wei2"  # an idiom X Y 为 Z outside pypinyin's phrases: 变废为宝, 化敌为友
    if c.word in ("为人", "为人处世") or (c.word == "为" and c.next_word == "人" and c.prev_word == "的"):
        return "wei2"  # the noun 为人 (one's conduct): 喜欢他的为人
    if c.next_word in _PRONOUNS:
        return "wei4"  # 为 + a person is 'for' (这个速度为我们赢得了时间), whatever stands before it
    if c.next_word == "人" and (c.next2_word in _DEGREE or c.next2_pos[:1] in ("a", "d")):
        return "wei2"  # 他为人很好, 为人正直: one's conduct
    if c.prev_word[-1:] in ("量", "度") and len(c.prev_word) >= 2 and c.prev_word not in _NOT_QUANTITY:
        return "wei2"  # 产量为6.95亿吨, 密度为每平方公里300人 (尽量为, 再度为 stay wèi)
    if c.prev2_word == "以":
        return "wei2"  # 以人民为中心, 以他为首
    if c.prev_word.endswith(_WEI_VALUE_NOUNS) or c.next_word in _COLOURS:
        return "wei2"  # 保质期为12个月, 电阻为10欧姆, 指示灯为红色: a value or a colour
    return "wei2" if c.prev_char and c.prev_char in _WEI_COPULA else "wei4"


def _diao_tiao(c: Context) -> str:
    return "tiao2" if c.next_char and c.next_char in "一小大高低好整节皮" else "diao4"


def _tan_dan(c: Context) -> str:
    return "tan2" if c.pos.startswith("v") or c.next_char in ("琴", "钢", "吉", "奏", "唱", "压", "拨") else "dan4"


def _jiao(c: Context) -> str:
    return "jiao1" if c.word == "教" else "jiao4"  # 教我 (teach) vs 教室, 宗教


def _le_liao(c: Context) -> str:
    if len(c.word) == 3 and c.word.endswith("得了"):
        return "liao3"  # one jieba word V得了: the potential complement (吃得了吗, 受得了)
    if c.prev_word == "得" and (c.prev2_pos[:1] in ("r", "n") or c.next_word[:1] == "第"):
        return "le5"  # 她得了第一名: 得 is the verb dé, 了 its aspect (做得了: the complement liǎo)
    if c.prev_word in ("不", "得") and len(c.word) == 1 and (c.next_word not in ("", "吧", "吗", "呢", "啊")
                                                          or c.prev2_pos[:1] in ("v", "a")):
        return "liao3"  # V不了 / V得了 also before 吗 and at the end: 你走得了吗, 我还做得了, 受不了
    return "le5"


def _interjection(reading: str, particle: str):
    """啊/哇/呀 open a clause as interjections (full tone) and end one as particles."""
    return lambda c: reading if c.at_clause_start else particle


_RULES = {
    "啊": _interjection("a1", "a5"), "哇": _interjection("wa1", "wa5"), "呀": _interjection("ya1", "ya5"),
    "哦": _interjection("o4", "o5"),  # 哦，原来是这样 (ò: now I see); 好的哦 (particle)
    "还": _hai_huan, "行": _xing_hang, "长": _chang_zhang, "重": _zhong_chong, "得": _de,
    "地": _di_de, "着": _zhe_zhao, "种": _zhong, "数": _shu, "只": _zhi, "觉": _jue_jiao,
    "为": _wei, "调": _diao_tiao, "弹": _tan_dan, "了": _le_liao, "教": _jiao, "都": _dou_du,
    "系": _xi_ji, "量": _liang, "子": _zi, "中": _zhong_hit, "晃": _huang,
    "扇": _shan, **NARRATIVE_RULES, **NEWS_RULES,
    "尽": _jin, **WORD_RULES, **surname_rules(),
}

# Readings for characters outside any phrase when no rule applies (pypinyin's first
# reading is a poor default for these).
CHAR_DEFAULTS: dict[str, str] = {
    "少": "shao3", "削": "xiao1", "好": "hao3", "便": "bian4", "没": "mei2",
    "看": "kan4", "差": "cha4", "处": "chu4", "应": "ying1", "当": "dang1",
    "血": "xue4", "薄": "bao2", "给": "gei3", "吗": "ma5", "呢": "ne5", "吧": "ba5",
    "的": "de5", "们": "men5", "么": "me5", "喽": "lou5", "嘛": "ma5", "啦": "la5", "哪": "na3", "那": "na4", "这": "zhe4",
    # 谁: shéi is the everyday reading (现代汉语词典 lists shéi first, shuí as the variant);
    # pypinyin gives shuí, which listeners (and Whisper) hear as 水.
    "谁": "shei2",
    **RARE_FIRST_READINGS,
}


def char_reading(ch: str, ctx: Context) -> str | None:
    """Our reading for a polyphonic character outside a known phrase, or None."""
    rule = _RULES.get(ch)
    reading = rule(ctx) if rule is not None else None
    return reading if reading is not None else CHAR_DEFAULTS.get(ch)


def has_rule(ch: str) -> bool:
    return ch in _RULES or ch in CHAR_DEFAULTS
