from __future__ import annotations

import pytest

from prompts import render, templates

pytestmark = pytest.mark.unit


def _keys(node: dict, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in node.items():
        out |= _keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return out


def test_every_reply_exists_in_both_languages() -> None:
    assert _keys(templates("zh")) == _keys(templates("en"))


def test_render_fills_and_refuses_missing_parameters() -> None:
    assert "KF10000001" in render("order_not_found", "zh", order_id="KF10000001")
    with pytest.raises(KeyError):
        render("order_not_found", "en")
    with pytest.raises(KeyError):
        render("no.such.key", "en")
