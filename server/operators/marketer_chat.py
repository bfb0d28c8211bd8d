"""Marketer requests by chat in the console: "给618写个活动文案", "618活动效果怎么样", "A/B 测试结果", "Pause the
new-customer campaign" — answered by the same tools as the console's buttons (campaign copy, the readout, the
experiments hook, the campaign moves).

Reading the request: rules first (`agent.tasks.marketer_requests`), the LLM only for words the rules could not
read. Nothing that changes a campaign runs on a request: the answer carries a *proposal* with a confirmation
token, and only `confirm` with that token makes the move (with its audit entry: who, and why — the marketer's
note, or their own words). The token is the proposal signed with a key derived from the marketer's session
token (HMAC-SHA256): it works on any worker, cannot be confirmed by anyone else or after sign-out, and
expires after `CONFIRM_TTL`. It holds when it was proposed: once the campaign's history has an entry since
(the confirmed move itself, or anyone's change), the token is refused (409 `campaign_changed`), so a
confirmation runs at most once and never on a campaign that changed under it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.tasks.campaign_copy import COPY_BUDGET_S, CampaignFacts, draft_campaign_copy
from agent.tasks.marketer_requests import NEEDS_CAMPAIGN, CampaignName, MarketerRequest, parse_request, read_with_llm
from prompts.marketer import marketer_text
from server.db.campaigns import Actor, CampaignRepository
from server.db.operators import OperatorRow
from server.errors import ApiError
from server.operators.campaign_moves import MOVES, move_campaign, move_refusal
from server.operators.campaign_readout import CampaignReadout, campaign_readout
from server.operators.experiments_hook import experiments_summary

if TYPE_CHECKING:
    from server.runtime import Runtime

CONFIRM_TTL = timedelta(minutes=10)
Answer = Callable[..., "AskAnswer"]  # (text, cards=None, proposal=None) -> the answer to this request
MAX_CHOICES = 8
MAX_NOTE = 500


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=500)
    language: Literal["zh", "en"] | None = None  # the console's language: the answer's when the text has none
    campaign_id: str | None = Field(default=None, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")  # the one open


class ConfirmBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    token: str = Field(min_length=10, max_length=2000)
    note: str = Field(default="", max_length=MAX_NOTE)  # why; empty: the request's own words


class Proposal(BaseModel):
    action: Literal["pause", "resume", "end"]
    campaign_id: str
    name_zh: str
    name_en: str
    from_status: str
    to_status: str
    token: str
    expires_at: datetime
    note: str  # what the audit entry will say unless the marketer writes their own


class AskAnswer(BaseModel):
    language: Literal["zh", "en"]
    act: str | None
    campaign_ids: list[str]
    parsed_by: Literal["rules", "llm"]
    answer: str
    cards: list[dict[str, Any]]
    proposal: Proposal | None = None


class ConfirmAnswer(BaseModel):
    language: Literal["zh", "en"]
    answer: str
    campaign_id: str
    action: str
    status: str


# --- confirmation tokens ----------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(session_token: str) -> bytes:
    return hashlib.sha256(b"kefu-marketer-confirm:" + session_token.encode()).digest()


def sign_proposal(payload: dict[str, Any], session_token: str) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    mac = hmac.new(_key(session_token), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def open_proposal(token: str, session_token: str, username: str, now: datetime) -> dict[str, Any]:
    """The signed proposal, or 409 `confirmation_invalid` (forged, someone else's, expired)."""
    invalid = ApiError(409, "confirmation_invalid",
                       "This confirmation is not valid (expired, or not yours); send the request again.")
    body, _, mac = token.partition(".")
    try:
        expected = hmac.new(_key(session_token), body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise invalid
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid from exc
    if not isinstance(payload, dict) or payload.get("u") != username or payload.get("a") not in MOVES:
        raise invalid
    if not isinstance(payload.get("e"), int | float) or now.timestamp() > payload["e"]:
        raise invalid
    return payload


# --- answering -------------------------------------------------------------------------------------------


def _names(records: list[dict[str, Any]]) -> list[CampaignName]:
    return [CampaignName(r["id"], r["name_zh"], r["name_en"], r["kind"],
                         tuple(str(k) for k in (r["rules"] or {}).get("keywords") or ()), r["status"])
            for r in records]


def _name(record: dict[str, Any], lang: str) -> str:
    return str(record["name_zh"] if lang == "zh" else record["name_en"])


def _campaign_card(records: list[dict[str, Any]], now: datetime, *, choose: str | None = None) -> dict[str, Any]:
    return {"type": "campaigns", "choose": choose, "campaigns": [
        {"id": r["id"], "name_zh": r["name_zh"], "name_en": r["name_en"], "status": r["status"],
         "running": r["status"] == "active" and r["starts_at"] <= now <= r["ends_at"]} for r in records]}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def readout_text(r: CampaignReadout, lang: str) -> str:
    t = r.total
    name = r.name_zh if lang == "zh" else r.name_en
    claims = marketer_text(lang, "claims_coupon" if r.claimable else "claims_automatic", after=t.claimed_after_offer,
                           claim_rate=_pct(t.claim_rate.value), claimed=t.claimed, redeemed=t.redeemed,
                           redemption_rate=_pct(t.redemption_rate.value))
    b = r.budget
    budget = (marketer_text(lang, "budget_capped", spent=b.spent, budget=b.budget, used=_pct(b.used))
              if b.budget is not None else marketer_text(lang, "budget_open", spent=b.spent))
    return marketer_text(lang, "readout", name=name, status=marketer_text(lang, f"status.{r.status}"),
                         shown=t.shown, reached=t.reached, claims=claims, budget=budget)


def _copy_answer(name: str, drafts: dict[str, Any], lang: str) -> str:
    sources = {d.source for d in drafts.values()}
    if sources == {"llm"}:
        return marketer_text(lang, "copy_llm", name=name)
    if sources == {"template"}:
        reasons = {d.fallback for d in drafts.values()}
        reason = next(iter(reasons)) if len(reasons) == 1 else "other"
        key = reason if reason in ("disabled", "guard", "language", "too_long", "empty") else "other"
        return marketer_text(lang, "copy_template", name=name, why=marketer_text(lang, f"copy_why.{key}"))
    return marketer_text(lang, "copy_mixed", name=name)


class MarketerChat:
    """Answers a marketer's requests; `runtime` gives the store, the LLM and the clock."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def _now(self) -> datetime:
        return self._runtime.agent.clock()

    async def ask(self, body: AskBody, operator: OperatorRow, session_token: str) -> AskAnswer:
        runtime = self._runtime
        records = await asyncio.to_thread(CampaignRepository(runtime.sessions).list, limit=200)
        names = _names(records)
        request = parse_request(body.text, names, language=body.language, context=body.campaign_id)
        if request.act is None and runtime.llm is not None:
            request = await read_with_llm(runtime.llm, request, names)
        by_id = {r["id"]: r for r in records}
        lang, act, now = request.language, request.act, self._now()

        def answer(text: str, cards: list[dict[str, Any]] | None = None,
                   proposal: Proposal | None = None) -> AskAnswer:
            return AskAnswer(language=lang, act=act, campaign_ids=list(request.campaign_ids),
                             parsed_by=request.parsed_by, answer=text, cards=cards or [], proposal=proposal)

        gap = "" if lang == "zh" else " "
        if act is None:
            return answer(marketer_text(lang, "not_understood") + gap + marketer_text(lang, "examples"))
        if act == "help":
            return answer(marketer_text(lang, "help") + gap + marketer_text(lang, "examples"))
        if act == "create":
            return answer(marketer_text(lang, "create"))
        if act == "list":
            running = sum(1 for r in records if r["status"] == "active" and r["starts_at"] <= now <= r["ends_at"])
            return answer(marketer_text(lang, "list", count=len(records), running=running),
                          [_campaign_card(records, now)])
        if act == "experiments":
            return await self._experiments(request, by_id, answer)
        if act == "forecast":
            from server.operators.forecast_chat import forecast_answer

            return answer(*await forecast_answer(runtime, request.text, lang, now))
        assert act in NEEDS_CAMPAIGN
        if len(request.campaign_ids) > 1:
            chosen = [by_id[i] for i in request.campaign_ids]
            return answer(marketer_text(lang, "which"), [_campaign_card(chosen, now, choose=act)])
        if request.campaign_id is None:
            lead = marketer_text(lang, "name_campaign")
            return answer(lead, [_campaign_card(_choices(records, now), now, choose=act)])
        record = by_id[request.campaign_id]
        if act == "copy":
            return await self._copy(record, lang, answer)
        if act == "readout":
            found = await asyncio.to_thread(campaign_readout, runtime.sessions, record["id"], now=now,
                                            tz=runtime.settings.store.timezone)
            assert found is not None
            card = {"type": "readout", "campaign_id": record["id"], "readout": found.model_dump(mode="json")}
            return answer(readout_text(found, lang), [card])
        return answer(*self._propose(request, record, operator, session_token, now))

    async def _experiments(self, request: MarketerRequest, by_id: dict[str, dict[str, Any]],
                           answer: Answer) -> AskAnswer:
        lang = request.language
        campaign_id = request.campaign_id
        found = await asyncio.to_thread(experiments_summary, self._runtime.sessions, campaign_id=campaign_id)
        if found is None:
            return answer(marketer_text(lang, "experiments_unavailable"))
        if not found:
            text = (marketer_text(lang, "experiments_none_for", name=_name(by_id[campaign_id], lang))
                    if campaign_id else marketer_text(lang, "experiments_none"))
            return answer(text)
        return answer(marketer_text(lang, "experiments_list", count=len(found)),
                      [{"type": "experiments", "experiments": found}])

    async def _copy(self, record: dict[str, Any], lang: str, answer: Answer) -> AskAnswer:
        runtime = self._runtime
        facts_row = await asyncio.to_thread(CampaignRepository(runtime.sessions).get, record["id"])
        assert facts_row is not None
        drafts = await draft_campaign_copy(runtime.llm, CampaignFacts(**facts_row), tz=runtime.settings.store.timezone,
                                           budget_s=max(COPY_BUDGET_S, runtime.settings.llm.timeout_s))
        sources = {d.source for d in drafts.values()}
        card = {"type": "copy", "campaign_id": record["id"],
                "source": sources.pop() if len(sources) == 1 else "mixed",
                "copy": {k: {"text": d.text, "source": d.source, "fallback": d.fallback} for k, d in drafts.items()}}
        return answer(_copy_answer(_name(record, lang), drafts, lang), [card])

    def _propose(self, request: MarketerRequest, record: dict[str, Any], operator: OperatorRow, session_token: str,
                 now: datetime) -> tuple[str, list[dict[str, Any]], Proposal | None]:
        lang, action = request.language, str(request.act)
        name = _name(record, lang)
        if move_refusal(action, record["status"]) is not None:
            text = marketer_text(lang, "cannot", name=name, status=marketer_text(lang, f"status.{record['status']}"),
                                 act=marketer_text(lang, f"act.{action}"))
            return text, [], None
        note = marketer_text(lang, "note_from_chat", text=" ".join(request.text.split()))[:MAX_NOTE]
        expires = now + CONFIRM_TTL
        payload = {"a": action, "c": record["id"], "u": operator.username, "s": record["status"],
                   "t": now.timestamp(), "e": int(expires.timestamp()), "n": note, "l": lang, "r": secrets.token_hex(4)}
        proposal = Proposal(action=action, campaign_id=record["id"], name_zh=record["name_zh"],  # type: ignore[arg-type]
                            name_en=record["name_en"], from_status=record["status"], to_status=MOVES[action][1],
                            token=sign_proposal(payload, session_token), expires_at=expires, note=note)
        return marketer_text(lang, f"propose.{action}", name=name), [], proposal

    async def confirm(self, body: ConfirmBody, operator: OperatorRow, session_token: str) -> ConfirmAnswer:
        now = self._now()
        payload = open_proposal(body.token, session_token, operator.username, now)
        action, campaign_id, lang = payload["a"], str(payload["c"]), "en" if payload.get("l") == "en" else "zh"
        note = " ".join((body.note or str(payload.get("n") or "")).split())
        actor = Actor(operator.username, operator.role, note)

        def move() -> dict[str, Any]:
            changed = CampaignRepository(self._runtime.sessions).changes(campaign_id, limit=1)
            if changed and datetime.fromisoformat(changed[0]["at"]).timestamp() >= float(payload.get("t") or 0):
                raise ApiError(409, "campaign_changed",
                               "The campaign changed after this was proposed; send the request again.")
            return move_campaign(self._runtime.sessions, action, campaign_id, actor, now)

        record = await asyncio.to_thread(move)
        text = marketer_text(lang, f"done.{action}", name=_name(record, lang), actor=operator.username, note=note)
        return ConfirmAnswer(language=lang, answer=text, campaign_id=campaign_id, action=action,
                             status=record["status"])


def _choices(records: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The campaigns worth offering as choices: running ones first, then the latest started."""
    live = [r for r in records if r["status"] != "ended" and r["starts_at"] <= now]
    rest = [r for r in records if r not in live]
    return (live + rest)[:MAX_CHOICES]
