from __future__ import annotations

import pytest

from knowledge.tokens import BIGRAM_PREFIX, stem, tokenize

pytestmark = pytest.mark.unit


def test_english_is_lowercased_stemmed_and_stopword_free() -> None:
    assert tokenize("How long does Delivery take?") == ["long", "delivery", "take"]
    assert stem("shipping") == stem("shipped") == stem("ships") == "ship"
    assert stem("refunds") == stem("refunded") == stem("refund")
    assert stem("charges") == stem("charge") == stem("charging")
    assert "the" not in tokenize("the coupon is returned")


def test_chinese_uses_jieba_words_plus_bigrams_without_stopwords_or_punctuation() -> None:
    tokens = tokenize("7天无理由退货从哪天开始算？")
    assert {"退货", "无理由", "7"} <= set(tokens)
    assert f"{BIGRAM_PREFIX}退货" in tokens
    assert "？" not in tokens and "的" not in tokenize("我的订单")
    # Bigrams meet where jieba segments differently: "寄修" in a question vs "寄修面单" in a document.
    assert f"{BIGRAM_PREFIX}寄修" in set(tokenize("东西坏了怎么寄修")) & set(tokenize("预付运费的寄修面单"))


def test_mixed_text_keeps_latin_words() -> None:
    tokens = tokenize("Visa卡可以付款吗")
    assert "visa" in tokens and "付款" in tokens
