from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.language import detect_language
from knowledge.chunking import (
    MAX_EN_WORDS,
    MAX_ZH_CHARS,
    chunk_document,
    iter_source_files,
    language_from_path,
    parse_document,
    read_document,
)
from knowledge.ingest import load_documents

pytestmark = pytest.mark.unit

DOC_IDS = {
    "returns",
    "shipping",
    "warranty",
    "price_protection",
    "coupons",
    "membership",
    "payment",
    "privacy",
    "order_changes",
}


def _zh_size(text: str) -> int:
    return len("".join(text.split()))


def test_en_document_is_split_by_section_within_the_word_limit(docs_dir: Path) -> None:
    doc = read_document(docs_dir / "en" / "shipping.md")
    assert (doc.doc, doc.language, doc.title) == ("shipping", "en", "Shipping and Delivery")
    chunks = chunk_document(doc)
    assert {c.section for c in chunks} >= {"Dispatch times", "Delivery times", "Shipping fees", "Carriers"}
    assert all(len(c.text.split()) <= MAX_EN_WORDS for c in chunks)
    fees = next(c for c in chunks if c.section == "Shipping fees")
    assert "¥99" in fees.text
    assert not fees.text.startswith("Shipping and Delivery")  # the body only, no title prefix
    assert fees.embed_text.startswith("Shipping and Delivery - Shipping fees\n")


def test_zh_document_is_split_by_section_within_the_char_limit(docs_dir: Path) -> None:
    doc = read_document(docs_dir / "zh" / "returns.md")
    assert (doc.doc, doc.language, doc.title) == ("returns", "zh", "退货与退款")
    chunks = chunk_document(doc)
    assert all(_zh_size(c.text) <= MAX_ZH_CHARS for c in chunks)
    first = next(c for c in chunks if c.section == "7天无理由退货")
    assert "签收当天" in first.text
    assert first.embed_text.startswith("退货与退款 - 7天无理由退货\n")


def test_long_paragraphs_split_on_sentence_boundaries() -> None:
    en_sentence = "Refunds are sent back to the original payment method after inspection. "
    zh_sentence = "仓库收到退货后，退款会在3到5个工作日内原路退回到您付款时使用的账户。"
    en = parse_document(f"# T\n\n## S\n\n{en_sentence * 30}\n", doc="t", language="en")
    zh = parse_document(f"# 标题\n\n## 小节\n\n{zh_sentence * 30}\n", doc="t", language="zh")
    en_chunks, zh_chunks = chunk_document(en), chunk_document(zh)
    assert len(en_chunks) > 1 and len(zh_chunks) > 1
    assert all(c.text.endswith(".") and len(c.text.split()) <= MAX_EN_WORDS for c in en_chunks)
    assert all(c.text.endswith("。") and _zh_size(c.text) <= MAX_ZH_CHARS for c in zh_chunks)
    assert " ".join(c.text for c in en_chunks).split() == (en_sentence * 30).split()


def test_language_from_folder_else_detected(tmp_path: Path) -> None:
    assert language_from_path(Path("docs/zh/returns.md")) == "zh"
    assert language_from_path(Path("docs/en-US/returns.md")) == "en"
    assert language_from_path(Path("docs/returns.md")) is None
    (tmp_path / "misc").mkdir()
    (tmp_path / "misc" / "faq.txt").write_text(
        "发票在签收后24小时内开具。\n\n可以在我的订单里下载。", "utf-8"
    )
    doc = read_document(tmp_path / "misc" / "faq.txt")
    assert (doc.doc, doc.language, doc.title) == ("faq", "zh", "faq")
    assert [s.heading for s in doc.sections] == [""]


def test_detect_language() -> None:
    assert detect_language("7天无理由退货从哪天开始算？") == "zh"
    assert detect_language("Visa卡可以付款吗") == "zh"
    assert detect_language("How long does delivery take?") == "en"
    assert detect_language("R00000123", default="en") == "en"  # an id says nothing: the default
    assert detect_language("13800138000 ¥99", default="zh") == "zh"


def test_directories_are_walked_for_md_and_txt(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "a.md").write_text("# A\n\n## S\n\nText.", "utf-8")
    (tmp_path / "en" / "b.txt").write_text("Plain text.", "utf-8")
    (tmp_path / "en" / "c.json").write_text("{}", "utf-8")
    assert [p.name for p in iter_source_files([tmp_path])] == ["a.md", "b.txt"]
    with pytest.raises(FileNotFoundError):
        iter_source_files([tmp_path / "missing"])


def test_duplicate_doc_in_one_language_is_rejected(tmp_path: Path) -> None:
    for folder in ("a/en", "b/en"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "returns.md").write_text("# Returns\n\nText.", "utf-8")
    with pytest.raises(ValueError, match="duplicate document en/returns"):
        load_documents([tmp_path])


def test_shipped_docs_have_the_same_ids_in_both_languages_and_sane_length(docs_dir: Path) -> None:
    for lang in ("en", "zh"):
        files = sorted((docs_dir / lang).glob("*.md"))
        assert {f.stem for f in files} >= DOC_IDS
        for path in files:
            text = path.read_text("utf-8")
            assert text.startswith("# "), path
            assert text.count("\n## ") >= 3, path
            words = len(text.split()) if lang == "en" else len(re.findall(r"[\u4e00-\u9fff]", text)) / 1.7
            assert 300 <= words <= 900, (path, words)
    assert {f.stem for f in (docs_dir / "en").glob("*.md")} == {
        f.stem for f in (docs_dir / "zh").glob("*.md")
    }


@pytest.mark.parametrize(
    ("path", "facts"),
    [
        (
            "zh/returns.md",
            ["7天无理由退货", "签收当天", "15天内", "30天内", "3–5个工作日", "R00000123", "剃须刀"],
        ),
        (
            "en/returns.md",
            ["7-day no-reason", "day of delivery", "R00000123", "Gold and Platinum", "shavers"],
        ),
        ("en/shipping.md", ["before 16:00", "1–3 days", "¥99", "¥10", "SF Express", "JD Logistics", "ZTO"]),
        ("en/warranty.md", ["1-year manufacturer warranty", "6-month", "15 days", "Water damage"]),
        ("en/price_protection.md", ["Within 7 days after payment", "Flash sales", "Group-buy"]),
        ("en/coupons.md", ["one store coupon per order", "满减", "¥20 welcome coupon", "over ¥199"]),
        ("en/membership.md", ["¥2,000", "¥5,000", "¥10,000", "100 points are worth ¥1"]),
        ("en/payment.md", ["after 30 minutes", "within 24 hours", "180 days", "tax id", "电子发票"]),
        (
            "en/privacy.md",
            ["never sold", "3 years", "15 working days", "privacy@kefu-store.example", "1 year"],
        ),
        ("zh/order_changes.md", ["修改收货地址", "拒收", "30分钟"]),
    ],
)
def test_policy_facts_the_tools_enforce_are_stated(docs_dir: Path, path: str, facts: list[str]) -> None:
    text = (docs_dir / path).read_text("utf-8")
    for fact in facts:
        assert fact in text, f"{path} lacks {fact!r}"
