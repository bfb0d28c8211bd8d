"""Training-time noise for the intent classifier: the ways real customers write that a small set misses.

zh: 错别字 (定单, 优惠卷), pinyin abbreviations (tk, dd, kd), English words mixed in (refund, order),
polite or impatient fillers and emojis. en: dropped or swapped letters. Only the train split is
augmented; validation and test stay as written. Seeded, so training stays reproducible.
"""

from __future__ import annotations

import numpy as np

from agent.intents import NO_TASK_INTENTS

# Each: (written form, replacements a customer might type instead).
ZH_SWAPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("订单", ("定单", "dd", "order", "单子")),
    ("退款", ("tk", "refund", "退钱")),
    ("退货", ("th", "推货", "退回")),
    ("快递", ("kd", "块递", "包裹")),
    ("物流", ("wl", "物留")),
    ("优惠券", ("优惠卷", "yhq", "coupon", "券")),
    ("发票", ("fp", "发漂", "invoice")),
    ("客服", ("kf", "客fu")),
    ("转人工", ("zrg", "转rg", "转真人")),
    ("人工", ("rg", "人功", "真人")),
    ("地址", ("dz", "地止", "address")),
    ("账号", ("帐号", "账户", "account", "号")),
    ("密码", ("mm", "密马", "password")),
    ("取消", ("qx", "cancel", "撤销")),
    ("注册", ("zc", "注侧", "登记")),
    ("登录", ("登陆", "login")),
    ("收货", ("收获",)),
    ("付款", ("支付", "付钱", "pay")),
    ("什么", ("啥", "神马", "sm")),
    ("怎么", ("咋", "怎样", "zm")),
    ("多久", ("多长时间", "几天")),
    ("谢谢", ("xx", "3q", "蟹蟹", "thx")),
    ("可以", ("能", "ok")),
    ("吗", ("嘛", "么", "不")),
    ("我", ("俺", "偶")),
)
ZH_PREFIXES = ("亲，", "你好，", "请问", "麻烦问下", "您好 ", "客服，", "那个", "急！", "hi ")
ZH_SUFFIXES = ("？", "呢", "啊", "呀", " 谢谢", "！！", "😭", "🙏", "😡", "。", "~", "??", "哈")
SOCIAL = NO_TASK_INTENTS


def augment_zh(text: str, label: str, rng: np.random.Generator) -> str:
    out = text
    for word, subs in ZH_SWAPS:
        if word in out and rng.random() < 0.35:
            out = out.replace(word, subs[int(rng.integers(len(subs)))], 1)
    if label not in SOCIAL:
        if rng.random() < 0.3:
            out = ZH_PREFIXES[int(rng.integers(len(ZH_PREFIXES)))] + out
        if rng.random() < 0.4:
            out = out.rstrip("？?。！!") + ZH_SUFFIXES[int(rng.integers(len(ZH_SUFFIXES)))]
    return out


def augment_en(text: str, rng: np.random.Generator) -> str:
    words = text.split()
    for i, w in enumerate(words):
        if len(w) > 4 and rng.random() < 0.12:
            j = int(rng.integers(1, len(w) - 1))
            words[i] = w[:j] + w[j + 1:] if rng.random() < 0.5 else w[:j - 1] + w[j] + w[j - 1] + w[j + 1:]
    out = " ".join(words)
    return out.lower() if rng.random() < 0.3 else out


def gibberish(rng: np.random.Generator, n: int) -> list[str]:
    """Keyboard mashing and random strings: examples of `other` that share nothing with real requests."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    hanzi = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产"
    out = []
    for i in range(n):
        k = int(rng.integers(3, 12))
        if i % 3 == 2:
            out.append("".join(hanzi[int(rng.integers(len(hanzi)))] for _ in range(k // 2 + 2)))
        else:
            s = "".join(letters[int(rng.integers(26))] for _ in range(k))
            out.append(s if i % 2 else s[: k // 2] + " " + s[k // 2:])
    return out
