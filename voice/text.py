"""Text on its way to and from speech: sentences to synthesise one by one, replies made speakable, transcripts
made writable (ids said character by character back into one token).

An order or tracking number is said the way call centres say it, one character at a time ("K F 1 0 0 …", in zh
"K F 幺零零…"); a recogniser writes it back in pieces ("KF 1000 0002", "K-F-1-0-0…"), which `written` joins so
the agent's NLU reads the id it would read in a chat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ZH_DIGITS = "零幺二三四五六七八九"
_ZH_TO_DIGIT = {**{c: str(i) for i, c in enumerate(_ZH_DIGITS)}, "一": "1", "〇": "0", "两": "2"}
_EN_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…])|(?<=[.])(?=\s)|\n+")
_ID = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,4})(\d{5,})(?![0-9])")
_PRICE = re.compile(r"[¥￥]\s?(\d+(?:\.\d+)?)")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
_MONTHS = dict(
    zip(
        ("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        (
            "January",
            "February",
            "March",
            "April",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        strict=True,
    )
)
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b\.?")
_CLOCK = re.compile(r"\b0(\d):(\d\d)\b")
_ZH_CLOCK = re.compile(r"(?<![\d:])(\d{1,2}):(\d\d)(?![\d:])")
_LONG_DIGITS = re.compile(r"(?<![A-Za-z0-9.])\d{7,}(?![0-9.])")  # a tracking or phone number without letters
_RANGE = re.compile(r"(?<=\d)\s*[–—~～]\s*(?=\d)|(?<=\d)-(?=\d+\s*(?:个|天|days?|business|working))")
# Written register said as spoken: "已发货" → "已经发货" (a lone 已 before a verb is written Chinese; said alone it
# is heard as 以 or 一, on the phone by people and recognisers alike).
_ZH_ALREADY = re.compile(r"已(?![经])(?=[\u4e00-\u9fff])")
_ZH_PAUSE = re.compile(r"[（）()【】「」“”\"《》]")


def sentences(text: str) -> list[str]:
    """Whole sentences of a reply, in order, stripped; nothing is lost between them."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


class SentenceBuffer:
    """Streamed reply deltas in, whole sentences out (the last, unfinished one waits for `flush`)."""

    def __init__(self) -> None:
        self._pending = ""

    def push(self, delta: str) -> list[str]:
        self._pending += delta
        parts = _SENTENCE_END.split(self._pending)
        done, self._pending = parts[:-1], parts[-1]
        return [s.strip() for s in done if s and s.strip()]

    def flush(self) -> list[str]:
        rest, self._pending = self._pending.strip(), ""
        return [rest] if rest else []


_CLAUSE_END = {"en": re.compile(r"(?<=[,;:])\s+"), "zh": re.compile(r"(?<=[，；：、,;:])\s*")}
LEAD_MIN = {"en": 2, "zh": 4}  # words (en) or characters (zh) on each side of a split: no one-word fragments


def lead_clause(spoken: str, language: str) -> list[str]:
    """A speakable sentence as [its first clause, the rest] to synthesise apart, so that the first audio of a reply
    waits for one clause's synthesis; the sentence whole when it has no clause break with `LEAD_MIN` words (en) or
    characters (zh) on both sides. The break is a comma the sentence is said with anyway (an id's digit groups,
    a bracket said as a pause), so the split adds no pause the caller would not hear."""
    pattern = _CLAUSE_END.get(language, _CLAUSE_END["en"])
    size = (lambda t: len(t.split())) if language != "zh" else (lambda t: len(re.sub(r"\W", "", t)))
    least = LEAD_MIN.get(language, 2)
    for m in pattern.finditer(spoken):
        head, rest = spoken[: m.start()].strip(), spoken[m.end() :].strip()
        if size(head) >= least:
            return [head, rest] if size(rest) >= least else [spoken]
    return [spoken]


def groups(digits: str) -> list[str]:
    """A long number in the groups a call centre reads it in: fours, the last ones threes rather than leave one or two
    digits alone ("1302792807304" → 1302 792 807 304), so each group is short enough to hear and write down."""
    n = len(digits)
    if n <= 5:
        return [digits]
    threes = (0, 3, 2, 1)[n % 4]  # n = 4·fours + 3·threes: 13 = 4+3+3+3, 14 = 4+4+3+3, 6 = 3+3
    sizes = [4] * ((n - 3 * threes) // 4) + [3] * threes
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    return [digits[at : at + size] for at, size in zip(starts, sizes, strict=True)]


def _say_digits(digits: str, language: str) -> str:
    """Digits one by one, in groups with a pause between (zh: 幺 for 1, as on the phone; en: spaced digits)."""
    if language == "zh":
        return "，".join("".join(_ZH_DIGITS[int(d)] for d in g) for g in groups(digits))
    return ", ".join(" ".join(g) for g in groups(digits))


def speakable(text: str, language: str) -> str:
    """A reply sentence as it is said on the phone, every fact of it kept (the log records the written reply, and
    this is that reply read aloud): ids and tracking numbers one character at a time in short groups with pauses,
    amounts as amounts ("¥2299.00" → "2299元" / "2299 yuan"), ranges and times as said ("3–5" → "3到5", "05:09"
    → "5点09分"), brackets and symbols as pauses or words, no emoji; zh's written "已" before a verb as spoken
    "已经"."""
    text = _EMOJI.sub("", text)

    def spell(m: re.Match[str]) -> str:
        letters = " ".join(m.group(1).upper())
        if language == "zh":  # (pauses around the id too made an order status 2 s longer, no better understood)
            return f" {letters} {_say_digits(m.group(2), language)} "
        return f" {letters}, {_say_digits(m.group(2), language)} "

    text = _ID.sub(spell, text)
    text = _LONG_DIGITS.sub(lambda m: f" {_say_digits(m.group(0), language)} ", text)
    text = _PRICE.sub(lambda m: f"{_amount(m.group(1))}元" if language == "zh" else f"{_amount(m.group(1))} yuan", text)
    text = _RANGE.sub("到" if language == "zh" else " to ", text)
    text = re.sub(r"(?<=[0-9A-Za-z])\s*\+\s*(?=[0-9])", "加" if language == "zh" else " plus ", text)
    if language == "zh":
        text = _ZH_CLOCK.sub(lambda m: f"{int(m.group(1))}点{m.group(2)}分", text)
        text = _ZH_ALREADY.sub("已经", text)
        text = _ZH_PAUSE.sub("，", text)
        text = re.sub(r"[，\s]*，[，\s]*", "，", text)
        text = re.sub(r"，(?=[。！？：；])|(?<=[：；。！？])，", "", text)
        return re.sub(r"\s+", " ", text).strip(" ，")
    # "Dec 6, 05:13 (…)" is said "December 6, 5:13, …"
    text = _MONTH.sub(lambda m: _MONTHS[m.group(1)], text)
    text = _CLOCK.sub(r"\1:\2", text)
    text = re.sub(r"\s*[()\u201c\u201d\"]\s*", ", ", text)
    text = re.sub(r"\s*,(\s*[,:.;])", r"\1", text)
    text = re.sub(r"^\s*,\s*|(?<=[:;])\s*,", " ", text)
    return re.sub(r"\s+([,.:;!?])", r"\1", re.sub(r"\s+", " ", text)).strip(" ,")


def _amount(value: str) -> str:
    """An amount as said: whole yuan without ".00" ("2299.00" → "2299"), else as written ("12.50")."""
    return value[:-3] if value.endswith(".00") else value


_DIGIT = "0-9零幺一二三四五六七八九〇两"
_SEP = r"\s.\-,，、"  # what a recogniser writes between the groups of an id said in groups
# Between the letters and the digits the recogniser may also write a question mark: a caller who pauses after "KF"
# sounds to it like one asking ("Hi, where's my order KF? 1,000,0002.").
_SPOKEN_ID = re.compile(rf"(?<![A-Za-z])([A-Za-z])[{_SEP}]*([A-Za-z])[{_SEP}:：?？]*((?:[{_DIGIT}][{_SEP}]*){{5,}})")


def run_on(parts: Iterable[str], language: str) -> str:
    """Pieces of what one person said, one after the other: zh run together, en with a space between."""
    return ("" if language == "zh" else " ").join(p.strip() for p in parts if p.strip())


def written(text: str) -> str:
    """A transcript with spoken ids joined ("K F 1 0 0 0 0 0 0 2" → "KF10000002", "KF幺零零…" → "KF100…") and
    English digit words inside them read as digits."""
    words = re.sub(
        r"\b(zero|oh|one|two|three|four|five|six|seven|eight|nine)\b",
        lambda m: _EN_WORDS[m.group(1).lower()],
        text,
        flags=re.IGNORECASE,
    )

    def join(m: re.Match[str]) -> str:
        digits = "".join(_ZH_TO_DIGIT.get(c, c) for c in m.group(3) if c.isdigit() or c in _ZH_TO_DIGIT)
        tail = m.group(3)[len(m.group(3).rstrip(" .-,，、")) :]
        return f"{m.group(1).upper()}{m.group(2).upper()}{digits}{tail}"

    joined = _SPOKEN_ID.sub(join, words)
    return joined if joined != words else text


_BARE_DIGITS = re.compile(r"(?<![A-Za-z0-9\-])\d(?:[\s\-]?\d){5,11}(?![0-9])")
_HEARD_ID = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})(\d{5,11})(?![0-9])")


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (ids are short)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def snap_ids(text: str, known: Iterable[str], *, max_distance: int = 2) -> str:
    """Ids the recogniser got nearly right, replaced by the one id of `known` they are nearest to.

    Whisper drops or doubles a digit in long runs ("KF10001190" heard as "KF1001190"). `known` is the caller's
    own ids (their orders), so snapping reveals nothing; an id nearest to two known ids is left as heard. A bare
    run of digits (the letters not said, or not heard) is the caller's order whose digits it is, within one."""
    ids = {k.upper() for k in known}
    if not ids:
        return text

    def snap(m: re.Match[str]) -> str:
        heard = (m.group(1) + m.group(2)).upper()
        if heard in ids:
            return heard
        scored = sorted((_distance(heard, k), k) for k in ids if k[:2] == heard[:2])
        if not scored or scored[0][0] > max_distance or (len(scored) > 1 and scored[1][0] == scored[0][0]):
            return m.group(0)
        return scored[0][1]

    text = _HEARD_ID.sub(snap, text)

    def letterless(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        scored = sorted((_distance(digits, re.sub(r"\D", "", k)), k) for k in ids)
        if len(digits) < 6 or scored[0][0] > 1 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
            return m.group(0)
        return scored[0][1]

    # the digits alone ("订单10001190", the letters unsaid or lost): the caller's one order with those digits
    return _BARE_DIGITS.sub(letterless, text)
