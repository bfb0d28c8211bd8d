"""BM25 tokenisation for zh (jieba search mode + character bigrams) and en (words, light stemming).

jieba segments the same phrase differently in a short question and in a long sentence ("寄修" vs
"寄修前" / "修面"), so zh text also yields overlapping CJK bigrams, which match regardless of where
jieba cut. On the eval set this took BM25-only zh top-3 from 0.92 to 0.98 (knowledge/eval/RESULTS.md).

Queries and passages must go through the same function; `TOKENIZER_VERSION` is stored in the index
manifest so an index tokenised by an older version is rebuilt instead of silently mis-scored.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING

from agent.language import CJK_RUN, has_cjk

if TYPE_CHECKING:
    import jieba

TOKENIZER_VERSION = "kefu-bm25-2"

_EN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_HAS_WORD_CHAR = re.compile(r"\w")

_EN_STOPWORDS_TEXT = """
    a about after again all am an and any are as at be been before being but by can could did do
    does doing don't for from had has have having he her here hers him his how i i'm if in into is
    it it's its just me my myself no nor not of off on once only or other our ours out over own
    same she should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why will
    with would you your yours yourself i've i'd i'll you're can't won't didn't doesn't isn't hasn't
    haven't wasn't aren't still get got also please hi hello thanks thank
"""
EN_STOPWORDS = frozenset(_EN_STOPWORDS_TEXT.split())

_ZH_STOPWORDS_TEXT = """
    的 了 吗 呢 啊 吧 呀 哦 嘛 么 我 我们 你 你们 您 他 她 它 是 在 和 与
    及 或 就 也 都 还 要 会 能 可以 可 请 请问 这 那 这个 那个 这样 那样
    一下 一个 怎么 怎么样 怎样 什么 如何 是否 有没有 呗 哈 嗯 把 被 给 让 对
    从 到 为 以 之 等 着 过 得 地 所 而 又 但 如果 因为 所以 然后 已经 就是
    不是 还是
"""
ZH_STOPWORDS = frozenset(_ZH_STOPWORDS_TEXT.split())
#: Bigrams touching one of these function characters are noise ("的资", "我想"), so none are made.
_ZH_STOP_CHARS = frozenset(w for w in ZH_STOPWORDS if len(w) == 1)
BIGRAM_PREFIX = "@"  # keeps bigram terms apart from jieba words in the BM25 vocabulary

#: Store vocabulary jieba's default dictionary splits badly; added to a private tokenizer only.
_ZH_USER_WORDS = (
    "无理由",
    "无理由退货",
    "价保",
    "价格保护",
    "满减",
    "电子发票",
    "专票",
    "增值税专用发票",
    "纳税人识别号",
    "商城余额",
    "顺丰速运",
    "京东物流",
    "中通快递",
    "金卡会员",
    "银卡会员",
    "白金会员",
    "普通会员",
    "新人券",
    "优惠券",
    "拼团价",
    "退货单号",
    "我的订单",
)

_jieba_lock = threading.Lock()
_jieba_tokenizer: jieba.Tokenizer | None = None


def _zh_tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer, initialised once on first use (loading its dictionary takes ~1 s)."""
    global _jieba_tokenizer
    if _jieba_tokenizer is None:
        with _jieba_lock:
            if _jieba_tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)  # silence "Building prefix dict..." on stderr
                tok = jieba.Tokenizer()
                tok.initialize()
                for word in _ZH_USER_WORDS:
                    tok.add_word(word)
                _jieba_tokenizer = tok
    return _jieba_tokenizer


def warm_up() -> None:
    """Load jieba now (e.g. at server start) so the first Chinese query is not slow."""
    _zh_tokenizer()


def _undouble(word: str) -> str:
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouslz":
        return word[:-1]
    return word


def stem(word: str) -> str:
    """A deliberately light suffix stripper: plural, -ing, -ed, final -e ("shipped" -> "ship").

    Full Porter stemming over-merges short policy words; this only needs queries and passages to meet.
    """
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) > 4:
        word = _undouble(word[:-2])
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _en_tokens(text: str) -> list[str]:
    return [stem(w) for w in _EN_WORD.findall(text.lower()) if w not in EN_STOPWORDS]


def _zh_bigrams(text: str) -> list[str]:
    return [
        BIGRAM_PREFIX + run[i : i + 2]
        for run in CJK_RUN.findall(text)
        for i in range(len(run) - 1)
        if run[i] not in _ZH_STOP_CHARS and run[i + 1] not in _ZH_STOP_CHARS
    ]


def tokenize(text: str) -> list[str]:
    """BM25 tokens for zh, en or mixed text. jieba is only loaded when the text contains CJK."""
    if not has_cjk(text):
        return _en_tokens(text)
    out: list[str] = []
    for raw in _zh_tokenizer().lcut_for_search(text):
        token = raw.strip().lower()
        if not token or not _HAS_WORD_CHAR.search(token):
            continue
        if token.isascii():
            out.extend(_en_tokens(token))
        elif token not in ZH_STOPWORDS:
            out.append(token)
    out.extend(_zh_bigrams(text))
    return out
