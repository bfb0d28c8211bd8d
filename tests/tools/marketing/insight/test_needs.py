"""Need tags as a marketer reads them: the tag, and the words that triggered it; look-alikes that are not cues
("贵店" is "your shop", "benefit" holds no "fit"); a broken lexicon is a clear error, not a silent empty result."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.marketing.insight import NeedLexiconError, NeedTagger, shared_tagger

pytestmark = pytest.mark.unit


def tags(text: str, language: str) -> dict[str, tuple[str, ...]]:
    return {t.tag: t.words for t in shared_tagger().tag(text, language)}


def test_the_brief_s_examples_with_their_trigger_words() -> None:
    assert tags("价格贵，物流慢", "zh") == {"price": ("价格", "贵"), "delivery": ("物流慢",)}
    assert tags("Way too expensive.", "en") == {"price": ("expensive",)}
    got = tags("The shirt runs small and the delivery was late.", "en")
    assert got == {"size_fit": ("runs small",), "delivery": ("delivery", "late")}


def test_praise_and_complaint_both_show_the_need() -> None:
    assert set(tags("性价比很高，送货也快", "zh")) == {"price", "delivery"}
    assert set(tags("Great value for money, well made.", "en")) == {"price", "quality"}


@pytest.mark.parametrize(("text", "language"), [
    ("贵店的东西我很喜欢", "zh"), ("宝贵的意见", "zh"), ("The chocolate was a real benefit.", "en"),
    ("We stayed late at night.", "en"), ("Hello, are you there?", "en"), ("你好，在吗", "zh"),
])
def test_look_alikes_are_not_cues(text: str, language: str) -> None:
    assert tags(text, language) == {}


def test_a_chinese_message_with_english_cue_words() -> None:
    assert set(tags("这个 size 偏小", "zh")) == {"size_fit"}


def test_empty_text_has_no_needs() -> None:
    assert tags("   ", "zh") == {}


def test_a_broken_lexicon_names_its_entry(tmp_path: Path) -> None:
    bad = tmp_path / "needs.yaml"
    bad.write_text("price:\n  name: {zh: 价格敏感, en: price-sensitive}\n  zh: ['贵(']\n", encoding="utf-8")
    with pytest.raises(NeedLexiconError, match="price"):
        NeedTagger(bad).tag("太贵了", "zh")
    with pytest.raises(NeedLexiconError, match="unreadable"):
        NeedTagger(tmp_path / "missing.yaml").tag("太贵了", "zh")
