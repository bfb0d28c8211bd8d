"""Per-turn language detection for zh-CN / en, tolerant of mixed input ("KF10000001到哪了", "退货 refund")."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_ID_LIKE = re.compile(r"\b[A-Za-z]{1,3}\d{4,}\b")


def detect_language(text: str, default: str = "zh", previous: str | None = None) -> str:
    """`zh` when Chinese characters carry the message, `en` when Latin words do.

    Order ids and product codes do not count as English. Mixed messages with a few Chinese
    characters among several English words go to whichever side has more weight, counting one
    Chinese character as about half an English word. A one-word reply keeps `previous`.
    """
    cleaned = _ID_LIKE.sub(" ", text)
    cjk = len(_CJK.findall(cleaned))
    words = len(_LATIN_WORD.findall(cleaned))
    if cjk == 0 and words <= 1 and previous:
        return previous  # "ok", "yes", an emoji: keep the conversation's language
    if cjk == 0 and words == 0:
        return default
    return "zh" if cjk * 0.5 >= words * 0.6 or (cjk >= 4 and words <= 2) else "en"


def localized_name(name: str, language: str) -> str:
    """The zh or en half of a bilingual label such as "顺丰速运 SF Express" or "HUAWEI 华为"."""
    words = name.split()
    zh = [w for w in words if _CJK.search(w)]
    en = [w for w in words if not _CJK.search(w)]
    if not zh or not en:
        return name
    return "".join(zh) if language == "zh" else " ".join(en)
