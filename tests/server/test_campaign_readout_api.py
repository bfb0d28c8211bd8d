"""A campaign's readout and the marketer's chat over HTTP, on the wired server (demo store): offers shown and
coupons claimed in real chats, and a redemption, come back as the readout's funnel, segments and days; requests
typed by a marketer get a draft, a readout or an honest "no experiments", and a pause only after confirmation,
recorded with who and why; tokens are bound to the marketer who asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from server.db.models import Coupon, Order
from tests.server.console_support import login, say, start_chat

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
BASE = "/api/operator/campaigns"
ASK = "/api/operator/marketing/ask"
CONFIRM = "/api/operator/marketing/confirm"


def coupon_campaign(campaign_id: str, **overrides: Any) -> dict[str, Any]:
    return {"id": campaign_id, "name_zh": "读数券", "name_en": "Readout coupon", "kind": "test",
            "starts_at": (NOW - timedelta(hours=2)).isoformat(), "ends_at": (NOW + timedelta(days=6)).isoformat(),
            "rules": {"type": "coupon", "discount": 15, "min_spend": 150, "keywords": ["读数券", "readout coupon"]},
            "budget": "300", "note": "test", **overrides}


@pytest.fixture
def staff(client: TestClient, accounts: dict[str, str]) -> dict[str, dict[str, str]]:
    return {role: login(client, username) for role, username in accounts.items()}


def test_readout_counts_offers_claims_and_redemptions_from_real_chats(client: TestClient, staff) -> None:
    assert client.post(BASE, json=coupon_campaign("readout_a"), headers=staff["marketer"]).status_code == 201
    empty = client.get(f"{BASE}/readout_a/readout", headers=staff["marketer"]).json()
    assert (empty["total"]["shown"], empty["total"]["claimed"], empty["total"]["claim_rate"]["value"]) == (0, 0, None)

    claimer, token = start_chat(client, "C00005", "zh")
    assert any(c["id"] == "readout_a" for c in say(client, claimer, token, "有什么优惠")["reply"]["cards"])
    got = say(client, claimer, token, "领取读数券")["reply"]
    code = got["cards"][0]["code"]
    looker, token2 = start_chat(client, "C00006", "en")
    assert any(c["id"] == "readout_a" for c in say(client, looker, token2, "Any deals right now?")["reply"]["cards"])
    visitor, token3 = start_chat(client, None, "zh")
    assert any(c["id"] == "readout_a" for c in say(client, visitor, token3, "有什么优惠")["reply"]["cards"])
    sessions = client.app.state.runtime.sessions
    with sessions.begin() as s:  # redeemed at checkout (the store's side; no chat tool does it)
        order_id, total = s.execute(select(Order.id, Order.total).where(Order.customer_id == "C00005")
                                    .order_by(Order.placed_at.desc())).first()
        s.execute(update(Coupon).where(Coupon.code == code).values(status="used", used_order_id=order_id))

    r = client.get(f"{BASE}/readout_a/readout", headers=staff["supervisor"])
    assert r.status_code == 200, r.text
    body = r.json()
    t = body["total"]
    assert (t["shown"], t["reached"], t["claimed_after_offer"], t["claimed"], t["redeemed"]) == (3, 3, 1, 1, 1)
    assert t["claim_rate"]["value"] == pytest.approx(1 / 3, abs=1e-4) and t["claim_rate"]["low"] < 1 / 3
    assert t["redemption_rate"]["value"] == 1.0
    assert (t["discount_claimed"], t["discount_redeemed"], t["redeemed_sales"]) == ("15.00", "15.00", f"{total:.2f}")
    assert body["budget"] == {"budget": "300.00", "spent": "15.00", "left": "285.00", "used": 0.05}
    assert (body["claimable"], body["type"], body["status"], body["running"]) == (True, "coupon", "active", True)
    by = {(s["dimension"], s["key"]): s for s in body["segments"]}
    assert by["customer", "returning"]["reached"] == 2 and by["customer", "returning"]["claimed_after_offer"] == 1
    assert by["customer", "anonymous"]["reached"] == 1 and by["customer", "anonymous"]["claimed"] == 0
    assert sum(s["reached"] for s in body["segments"] if s["dimension"] == "tier") == 3
    assert sum(d["shown"] for d in body["days"]) == 3 and sum(d["claimed"] for d in body["days"]) == 1
    assert body["experiments"] == []  # none defined on this campaign: said, not made up

    assert client.get(f"{BASE}/nope/readout", headers=staff["marketer"]).status_code == 404
    denied = client.get(f"{BASE}/readout_a/readout", headers=staff["operator"])
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden_role"


def test_demo_campaigns_have_history_to_read(client: TestClient, staff) -> None:
    """The demo store's past conversations: the new-customer coupon was shown, claimed and redeemed."""
    body = client.get(f"{BASE}/new_customer/readout", headers=staff["marketer"]).json()
    assert body["total"]["claimed"] > 0 and body["total"]["redeemed"] > 0
    shown = sum(client.get(f"{BASE}/{c}/readout", headers=staff["marketer"]).json()["total"]["shown"]
                for c in ("year_end", "winter_refresh", "double11"))
    assert shown > 0


def ask(client: TestClient, headers: dict[str, str], text: str, **extra: Any) -> dict[str, Any]:
    r = client.post(ASK, json={"text": text, **extra}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_marketer_requests_get_drafts_readouts_and_honest_answers(client: TestClient, staff) -> None:
    m = staff["marketer"]
    copy = ask(client, m, "给618写个活动文案")
    assert (copy["act"], copy["campaign_ids"], copy["language"], copy["parsed_by"]) == (
        "copy", ["mid618"], "zh", "rules")
    [card] = copy["cards"]
    assert card["type"] == "copy" and card["source"] == "template" and "满200元减20元" in card["copy"]["zh"]["text"]
    assert card["copy"]["en"]["text"] and "未配置大模型" in copy["answer"]

    readout = ask(client, m, "618活动效果怎么样")
    assert readout["act"] == "readout" and readout["cards"][0]["readout"]["campaign_id"] == "mid618"
    shown = readout["cards"][0]["readout"]["total"]["shown"]
    assert readout["answer"].startswith("「618年中大促」（已结束）：展示 " + str(shown) + " 次")

    ab = ask(client, m, "A/B 测试结果")
    # the demo store's trade-in floor experiment, with its readout (server/demo/tuning.py)
    assert ab["act"] == "experiments" and ab["answer"].startswith("共有 1 个 A/B 实验")
    [listed] = ab["cards"][0]["experiments"]
    assert listed["id"] == "trade_in_floor" and [a["name"] for a in listed["arms"]] == ["¥1500", "¥1200"]
    en = ask(client, m, "Show me the A/B test results")
    assert en["language"] == "en" and "has no A/B experiments yet" in en["answer"]

    which = ask(client, m, "How are the year-end campaigns doing?")
    assert which["act"] == "readout" and set(which["campaign_ids"]) == {"year_end", "year_end_coupon"}
    assert which["cards"][0]["type"] == "campaigns" and which["cards"][0]["choose"] == "readout"
    context = ask(client, m, "how is it doing?", campaign_id="year_end")
    assert context["campaign_ids"] == ["year_end"] and context["cards"][0]["type"] == "readout"
    listed = ask(client, m, "有哪些活动")
    assert listed["act"] == "list" and {c["id"] for c in listed["cards"][0]["campaigns"]} >= {"new_customer"}
    lost = ask(client, m, "今天天气不错")
    assert lost["act"] is None and "给618写个活动文案" in lost["answer"]
    assert client.post(ASK, json={"text": ""}, headers=m).status_code == 422
    assert client.post(ASK, json={"text": "x" * 501}, headers=m).status_code == 422


def test_pause_by_chat_runs_only_once_confirmed_and_is_audited(client: TestClient, staff, accounts) -> None:
    client.post(BASE, json=coupon_campaign("chat_pause", name_zh="新客周末券", name_en="Weekend welcome"),
                headers=staff["marketer"])
    asked = ask(client, staff["marketer"], "Pause the weekend welcome campaign")
    proposal = asked["proposal"]
    assert asked["act"] == "pause" and proposal["campaign_id"] == "chat_pause"
    assert (proposal["from_status"], proposal["to_status"]) == ("active", "paused")
    assert asked["answer"].startswith("Pause “Weekend welcome”?")
    assert client.get(f"{BASE}/chat_pause", headers=staff["marketer"]).json()["status"] == "active"  # not yet

    for who in ("supervisor",):  # another account cannot confirm it
        r = client.post(CONFIRM, json={"token": proposal["token"]}, headers=staff[who])
        assert r.status_code == 409 and r.json()["error"]["code"] == "confirmation_invalid"
    forged = proposal["token"][:-4] + ("AAAA" if not proposal["token"].endswith("AAAA") else "BBBB")
    assert client.post(CONFIRM, json={"token": forged}, headers=staff["marketer"]).status_code == 409

    r = client.post(CONFIRM, json={"token": proposal["token"], "note": "budget review"}, headers=staff["marketer"])
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["action"]) == ("paused", "pause")
    assert "budget review" in r.json()["answer"]
    again = client.post(CONFIRM, json={"token": proposal["token"]}, headers=staff["marketer"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "campaign_changed"  # runs once
    trail = client.get(f"{BASE}/chat_pause", headers=staff["marketer"]).json()["changes"]
    assert (trail[0]["action"], trail[0]["actor"], trail[0]["note"]) == ("pause", accounts["marketer"],
                                                                        "budget review")

    cannot = ask(client, staff["supervisor"], "暂停新客周末券")
    assert cannot["proposal"] is None and "已暂停，不能暂停" in cannot["answer"]
    stale = ask(client, staff["supervisor"], "恢复新客周末券")["proposal"]
    client.patch(f"{BASE}/chat_pause", json={"budget": "400", "note": "more"}, headers=staff["marketer"])
    late = client.post(CONFIRM, json={"token": stale["token"]}, headers=staff["supervisor"])
    assert late.status_code == 409 and late.json()["error"]["code"] == "campaign_changed"  # changed under it
    resume = ask(client, staff["supervisor"], "恢复新客周末券")["proposal"]
    assert resume["note"] == "（聊天指令）恢复新客周末券"
    done = client.post(CONFIRM, json={"token": resume["token"]}, headers=staff["supervisor"]).json()
    assert done["status"] == "active"
    trail = client.get(f"{BASE}/chat_pause", headers=staff["marketer"]).json()["changes"]
    assert (trail[0]["action"], trail[0]["actor"], trail[0]["note"]) == ("resume", accounts["supervisor"],
                                                                        "（聊天指令）恢复新客周末券")
    assert client.post(CONFIRM, json={"token": "not-a-token-at-all"}, headers=staff["marketer"]).status_code == 409
    assert client.post(CONFIRM, json={"token": resume["token"]}, headers=staff["operator"]).status_code == 403
