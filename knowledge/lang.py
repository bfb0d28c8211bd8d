"""Language detection by script: the store only serves zh-CN and English, so a CJK ratio is enough."""

from __future__ import annotations

import re

from agent.protocols import Language

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")

#: Share of CJK characters among letters above which a text counts as Chinese. Low on purpose: Chinese
#: text routinely embeds Latin brand names ("Visa / Mastercard"), English text almost never embeds Hanzi.
ZH_THRESHOLD = 0.2


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def cjk_ratio(text: str) -> float:
    """CJK characters / (CJK characters + Latin letters); 0.0 when the text has neither."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return cjk / (cjk + latin) if cjk + latin else 0.0


def detect_language(text: str, default: Language = "en") -> Language:
    """'zh' or 'en' from the script mix; `default` when the text has no letters (ids, numbers)."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk + latin == 0:
        return default
    return "zh" if cjk / (cjk + latin) >= ZH_THRESHOLD else "en"
