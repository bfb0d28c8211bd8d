"""Script and language, in one place: which characters are Chinese, which language a message is in (zh-CN /
en, tolerant of mixed input such as "KF10000001到哪了" or "退货 refund"), whether a reply is written in the
language it should be, and the zh or en half of a bilingual name.

Counting, not a model: the two languages share no script, so the question is only which script carries
the message. Tokens that are not language (order ids, product codes, URLs, emails, amounts, pinyin
abbreviations customers type in Chinese chats such as "tk", "dd") are ignored before counting.
"""

from __future__ import annotations

import re

CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han: extension A, unified, compatibility
# what is written one character per token (Han, kana, CJK and full-width punctuation)
WIDE_CHARS = "\u3000-\u303f\u3040-\u30ff" + CJK_CHARS + "\uff00-\uffef"
_CJK = re.compile(f"[{CJK_CHARS}]")
CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
_WIDE = re.compile(f"[{WIDE_CHARS}]")
_LATIN_RUN = re.compile(r"[A-Za-z]+")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}(?:'[A-Za-z]+)?")
_ID_LIKE = re.compile(r"\b[A-Za-z]{1,3}[\s\-]?\d{4,}\b|\b\d+[A-Za-z]{1,3}\b")
_NOT_LANGUAGE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\S+|[¥￥$€£]\s?\d[\d,.]*", re.IGNORECASE)
# Latin tokens common in Chinese chats that say nothing about the language of the conversation.
_ZH_CHAT_LATIN = frozenset({"tk", "th", "dd", "kd", "wl", "yhq", "fp", "kf", "rg", "zrg", "dz", "mm", "qx", "zc",
                            "xd", "hb", "ok", "okk", "vip", "app", "id", "qq", "wx", "sku", "ems", "sf", "jd",
                            "nihao", "xx", "tks", "thx", "gg", "hh", "hhh", "hhhh", "emm", "emmm", "tmd"})


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def wide_count(text: str) -> int:
    """Characters that take a token each (Han, kana, full-width punctuation)."""
    return len(_WIDE.findall(text))


def written_in(text: str, language: str) -> bool:
    """Is `text` (a reply) written in `language`? zh: mostly Chinese characters; en: none at all."""
    cjk = cjk_count(text)
    if language == "zh":
        return cjk >= max(2, len(_LATIN_RUN.findall(text)))
    return cjk == 0


def language_evidence(text: str) -> tuple[int, int]:
    """(Chinese characters, English words) that count for the language decision."""
    cleaned = _ID_LIKE.sub(" ", _NOT_LANGUAGE.sub(" ", text))
    cjk = len(_CJK.findall(cleaned))
    words = [w.lower() for w in _LATIN_WORD.findall(cleaned)]
    if cjk:  # inside a Chinese message chat abbreviations are part of the Chinese
        words = [w for w in words if w not in _ZH_CHAT_LATIN]
    return cjk, len(words)


def detect_language(text: str, default: str = "zh", previous: str | None = None) -> str:
    """`zh` when Chinese characters carry the message, `en` when Latin words do.

    Order ids and product codes do not count as English. Mixed messages with a few Chinese
    characters among several English words go to whichever side has more weight, counting one
    Chinese character as about half an English word. A one-word reply, or a bare name, keeps `previous`.
    """
    cjk, words = language_evidence(text)
    if cjk == 0 and previous and (words <= 1 or _names_only(text)):
        return previous  # "ok", "yes", an emoji, a product name ("MacBook Air"): keep the conversation's language
    if cjk == 0 and words == 0:
        return default
    if cjk and words <= 1:
        return "zh"  # one English word among Chinese is code-mixing ("我要refund", "thanks 亲")
    return "zh" if cjk * 0.5 >= words * 0.6 or (cjk >= 4 and words <= 2) else "en"


def _names_only(text: str) -> bool:
    """Two or three capitalised words and nothing else: a name, not a sentence."""
    words = _LATIN_WORD.findall(_ID_LIKE.sub(" ", text))
    return 2 <= len(words) <= 3 and all(w[0].isupper() for w in words) and not re.search(r"[a-z]{2,}\s+[a-z]", text)


def localized_name(name: str, language: str) -> str:
    """The zh or en half of a bilingual label such as "顺丰速运 SF Express" or "HUAWEI 华为"."""
    words = name.split()
    zh = [w for w in words if _CJK.search(w)]
    en = [w for w in words if not _CJK.search(w)]
    if not zh or not en:
        return name
    return "".join(zh) if language == "zh" else " ".join(en)
