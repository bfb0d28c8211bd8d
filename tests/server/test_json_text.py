"""The JSON text the server writes (socket frames, stored event payloads): the same values as `json.dumps` would
give, non-ASCII kept as is, and what orjson refuses still written (by `json.dumps`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from server.channels.frames import frame_text
from server.db.engine import json_dumps

pytestmark = pytest.mark.unit

REPLY = {"type": "bot_message", "seq": 7, "text": "您好！7天无理由退货。 Returns within 7 days.", "source": "template",
         "citations": [{"doc": "returns", "title": "退货政策", "snippet": "…"}], "cards": [{"type": "product",
         "id": "P1", "price": 29.9}], "quick_replies": ["查订单", "Track my order"], "state": {"slots": {"x": None}}}


@dataclass
class Line:
    sku: str
    qty: int


def test_a_frame_reads_back_as_sent_with_chinese_as_is() -> None:
    text = frame_text(REPLY)
    assert json.loads(text) == REPLY
    assert "退货政策" in text and "\\u" not in text


def test_what_orjson_refuses_is_still_written() -> None:
    big = {"type": "x", "n": 2**70, 3: "non-string key"}
    assert json.loads(frame_text(big)) == json.loads(json.dumps(big))
    assert json.loads(json_dumps(big)) == {"type": "x", "n": 2**70, "3": "non-string key"}


def test_stored_payloads_keep_their_values() -> None:
    at = datetime(2026, 12, 7, 13, 0, 1, 5, tzinfo=UTC)
    payload = {"text": "优惠券 coupon", "amount": Decimal("19.90"), "on": date(2026, 12, 7), "at": at,
               "line": Line("P1", 2), "ids": ("a", "b")}
    assert json.loads(json_dumps(payload)) == {"text": "优惠券 coupon", "amount": "19.90", "on": "2026-12-07",
                                               "at": at.isoformat(), "line": {"sku": "P1", "qty": 2},
                                               "ids": ["a", "b"]}
    assert "优惠券" in json_dumps(payload)
