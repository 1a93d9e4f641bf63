"""Word lists for automatic emotion: our own hand lexicon (mapped to the engine's emotion
names), interjections, negators and degree words, plus the DUTIR emotion ontology as a
back-off (data/dutir/, see data/PROVENANCE.md for its source and licence).

The hand lexicon is ours, written for spoken Mandarin in stories and dialogue; its words
carry a weight (1.0 = clearly that emotion, 0.5 = a hint). DUTIR's 7 categories map onto
our names: 乐 happy, 哀 sad, 怒 angry, 惧 afraid, 恶 disgusted, 惊 surprised; 好 (praise)
is not used (it is evaluation, not an emotion in the voice: see eval.py for the numbers).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("data")

# emotion -> {word: weight}; several emotions may list a word (the weights add up).
_HAND_TEXT: dict[str, str] = {
    "happy": """
        开心 高兴 快乐 幸福 喜悦 愉快 欢快 欢喜 欢乐 兴奋:0.7 乐坏 乐开花 太好了 好极了 真棒 太棒了
        恭喜 祝贺 庆祝 哈哈 嘻嘻 嘿嘿:0.6 笑:0.5 欢笑 欢呼 赢了 成功了 胜利 中奖 美滋滋 喜欢:0.7
        爱死 好玩 有趣:0.6 开怀 满意:0.6 得意:0.6 欣喜 喜出望外 心花怒放 眉开眼笑 兴高采烈 乐呵呵
        笑嘻嘻 美好:0.7 耶 万岁 快乐 好消息 放假 乐 高高兴兴 漂亮:0.5 棒:0.6 """,
    "sad": """
        伤心 难过 悲伤 悲痛 痛哭 哭:0.8 哭泣 流泪 眼泪 泪水 泪:0.7 心碎 心都碎 心痛 心好痛 去世 死了:0.7
        离世 噩耗 分手 失去 再也不会 再也见不到 永别 遗憾:0.6 绝望 可怜:0.6 委屈 哽咽 抽泣 呜呜
        痛苦 悲哀 凄凉 哀伤 崩溃 丢下 抛弃 悲痛万分 """,
    "angry": """
        生气 愤怒 气死 气坏 气得 恼火 火大 发火 怒 怒吼 大吼 吼 滚 闭嘴 混蛋 混账 王八蛋 该死 可恶
        岂有此理 欺人太甚 受够了 凭什么 住手 站住 放肆 胡说 骗子 饶不了 找死 竟敢 不许 砸 摔门
        拍着桌子 拍桌子 怒气冲冲 瞪 骂 疯了 给我:0.6 少在这里 放开 谁让你""",
    "calm": """
        平静 安静 宁静 冷静 静静 淡淡 慢慢:0.6 缓缓 放松 深呼吸 不着急 别着急 不急 不慌不忙 不紧不慢
        从容 悠闲 悠然 微风 月光 湖面 溪水 清香 夜色 淡定 沉默:0.6 一步一步 过去了:0.6 没事了:0.7
        平淡 安详 静:0.5 轻轻吹 清晨 星星:0.5 太极 小雨:0.4""",
    "gentle": """
        乖 宝贝 亲爱的 别怕 别哭 没关系 没事的 辛苦了 辛苦你 路上小心 慢点 温柔 轻轻地:0.6
        陪着 陪你 照顾 晚安 好梦 暖和 热水 热汤 休息吧 早点休息 记得 听话 别担心 有我在
        有我陪 我在呢 爱你 心疼 体贴 呵护 抱抱 我等你 睡吧 快睡""",
    "surprised": """
        惊讶 吃惊 惊奇 震惊 意外 竟然 居然 没想到 想不到 不敢相信 不可思议 难以置信 天哪 天啊 我的天
        咦 真的假的 怎么可能 不会吧 原来是 原来你 愣住 目瞪口呆 大吃一惊 没料到 出乎意料 怎么会
        真的吗:0.6 """,
    "afraid": """
        害怕 好怕 怕:0.7 恐惧 恐怖 可怕 吓 吓得 惊恐 发抖 颤抖 哆嗦 寒颤 救命 救救 快跑 逃 躲起来
        别过来 紧张 慌 心慌 担心:0.7 万一 不敢 黑暗 阴森 尖叫 鬼 冷汗 毛骨悚然
        提心吊胆 什么声音 敲门:0.5 他们来了 """,
    "melancholic": """
        孤独 寂寞 惆怅 忧伤 忧郁 落寞 思念 想念 怀念 回忆:0.7 记忆:0.5 往事 从前:0.7 当年:0.5 曾经:0.7
        回不去 物是人非 岁月 时光:0.6 青春:0.5 流逝 逝去 离别 故乡:0.6 远方:0.4 黄昏 夕阳 秋风
        落叶 飘零 萧瑟 空荡荡 空荡 无奈 叹息 唉 独自 一个人:0.6 默默:0.4 望着:0.5
        不堪回首 湿了 如烟 匆匆""",
    "disgusted": """
        恶心 讨厌 厌恶 反感 反胃 想吐 呸 脏 臭 馊 怪味 鄙视 看不起 卑鄙 无耻 下流
        虚伪 嫌弃 垃圾:0.7 令人作呕 哼 恶劣 撒谎
        自以为是""",
}


# Interjections carry an emotion on their own (checked before the lexicon at the same place).
INTERJECTIONS: dict[str, tuple[str, float]] = {
    "哈哈": ("happy", 1.0), "嘻嘻": ("happy", 0.8), "耶": ("happy", 0.6),
    "呜呜": ("sad", 1.0), "唉": ("melancholic", 0.8), "哎": ("melancholic", 0.4),
    "哼": ("disgusted", 0.8), "呸": ("disgusted", 1.0), "切": ("disgusted", 0.4),
    "咦": ("surprised", 0.9), "哇": ("surprised", 0.7), "天哪": ("surprised", 1.0), "天啊": ("surprised", 1.0),
    "啊？": ("surprised", 1.0), "什么？": ("surprised", 1.0), "嗯？": ("surprised", 0.6),
}

NEGATORS: tuple[str, ...] = ("一点也不", "一点都不", "毫不", "并不", "从不", "不再", "没有", "不要", "不", "没", "未", "无")
COMFORT_NEGATORS: tuple[str, ...] = ("别", "不要", "不用")  # 别怕, 不要难过: comforting -> gentle

# degree word -> multiplier (before the emotion word); and after it (开心极了, 气死了)
DEGREE_BEFORE: dict[str, float] = {
    "极其": 1.8, "极度": 1.8, "万分": 1.8, "非常": 1.6, "特别": 1.6, "十分": 1.6, "格外": 1.5,
    "超级": 1.6, "实在": 1.4, "真是": 1.4, "太": 1.6, "超": 1.5, "最": 1.6, "多么": 1.5, "好": 1.4,
    "很": 1.3, "挺": 1.2, "真": 1.3, "蛮": 1.2, "那么": 1.2, "这么": 1.2, "更": 1.3, "越来越": 1.3,
    "有点": 0.6, "有些": 0.6, "有一点": 0.6, "稍微": 0.5, "略": 0.6, "一点": 0.6,
}
DEGREE_AFTER: dict[str, float] = {
    "极了": 1.8, "死了": 1.6, "坏了": 1.5, "透了": 1.6, "得不得了": 1.8, "至极": 1.8, "万分": 1.6,
    "得要命": 1.7,
}


def _parse_hand() -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for emotion, text in _HAND_TEXT.items():
        for token in text.split():
            word, _, weight = token.partition(":")
            value = float(weight) if weight else 1.0
            out.setdefault(word, {})[emotion] = max(out.get(word, {}).get(emotion, 0.0), value)
    return out


DUTIR_MAP: dict[str, str] = {"happy": "happy", "sad": "sad", "angry": "angry", "afraid": "afraid",
                             "disgusted": "disgusted", "surprised": "surprised"}


@lru_cache(maxsize=4)
def dutir(categories: tuple[str, ...] = tuple(DUTIR_MAP)) -> dict[str, dict[str, float]]:
    """DUTIR words (data/dutir/<category>.txt) -> {emotion: 1.0}, split evenly when a word
    is listed under several categories."""
    out: dict[str, dict[str, float]] = {}
    for cat in categories:
        path = DATA / "dutir" / f"{cat}.txt"
        for word in path.read_text(encoding="utf-8").split():
            out.setdefault(word, {})[DUTIR_MAP.get(cat, cat)] = 1.0
    for word, emos in out.items():
        share = 1.0 / len(emos)
        out[word] = {e: share for e in emos}
    return out


@lru_cache(maxsize=1)
def hand() -> dict[str, dict[str, float]]:
    return _parse_hand()
