"""`/api/operator/conversations…` and `/api/operator/canned`: the console's REST side.

Every route here needs a signed-in operator or supervisor (router-level dependency, so a new route is
protected by default); marketers get 403. Handlers are thin: the rules live in `server.operators.actions`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from agent.tasks.assist import ASSIST_BUDGET_S, draft_operator_replies
from prompts.assist import canned_responses
from server.api.deps import CONVERSATION_ID, RuntimeDep
from server.api.fields import StoredText
from server.api.operator.deps import StaffDep, require_staff
from server.api.operator.views import customer_view, order_view
from server.db.orders import SqlOrderRepository
from server.operators import actions

router = APIRouter(prefix="/api/operator", tags=["operator console"], dependencies=[Depends(require_staff)])

ConversationId = Annotated[str, Path(pattern=CONVERSATION_ID)]


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: StoredText = Field(min_length=1)  # at most `KEFU_MAX_MESSAGE_CHARS`, checked by `actions`


@router.get("/conversations")
async def list_conversations(
    runtime: RuntimeDep,
    _: StaffDep,
    handoff: Literal["bot", "queued", "operator"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The live list: queued conversations first (angriest, longest waiting), then held, then recent."""
    rows = await runtime.console.live(limit=limit)
    if handoff:
        rows = [r for r in rows if r["handoff"] == handoff]
    return {"now": runtime.console.clock().isoformat(), "conversations": rows}


@router.get("/conversations/{conversation_id}")
async def conversation_detail(conversation_id: ConversationId, runtime: RuntimeDep, _: StaffDep) -> dict[str, Any]:
    """Everything the console shows for one conversation: timeline, customer, orders, history, notes."""
    await actions.conversation_state(runtime, conversation_id)
    summary = await runtime.console.view(conversation_id)
    events = await runtime.agent.store.load(conversation_id)
    customer_id = summary["customer_id"] if summary else None

    def customer_data() -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[str]]:
        if not customer_id:
            return None, [], []
        row = runtime.customers.get(customer_id)
        orders = SqlOrderRepository(runtime.sessions).list_orders(customer_id, limit=10)
        past = runtime.operators.customer_conversations(customer_id, exclude=conversation_id, limit=10)
        return (customer_view(row) if row else None), [order_view(o) for o in orders], [p.id for p in past]

    profile, orders, past_ids = await asyncio.to_thread(customer_data)
    notes = await asyncio.to_thread(runtime.operators.notes, conversation_id)
    return {
        "now": runtime.console.clock().isoformat(),
        "conversation": summary,
        "events": [e.to_dict() for e in events],
        "customer": profile,
        "orders": orders,
        "past_conversations": await runtime.console.views(past_ids),
        "notes": [n.public() for n in notes],
    }


@router.post("/conversations/{conversation_id}/takeover")
async def take_over(conversation_id: ConversationId, runtime: RuntimeDep, operator: StaffDep) -> dict[str, Any]:
    changed = await actions.takeover(runtime, conversation_id, operator)
    return {"taken_over": changed, "conversation": await runtime.console.view(conversation_id)}


@router.post("/conversations/{conversation_id}/messages", status_code=201)
async def send_message(
    conversation_id: ConversationId, body: Text, runtime: RuntimeDep, operator: StaffDep
) -> dict[str, Any]:
    event = await actions.say(runtime, conversation_id, operator, body.text)
    return {"event": event.to_dict()}


@router.post("/conversations/{conversation_id}/notes", status_code=201)
async def add_note(
    conversation_id: ConversationId, body: Text, runtime: RuntimeDep, operator: StaffDep
) -> dict[str, Any]:
    note = await actions.add_note(runtime, conversation_id, operator, body.text)
    return {"note": note.public()}


@router.post("/conversations/{conversation_id}/handback")
async def hand_back(conversation_id: ConversationId, runtime: RuntimeDep, operator: StaffDep) -> dict[str, Any]:
    await actions.handback(runtime, conversation_id, operator)
    return {"conversation": await runtime.console.view(conversation_id)}


@router.post("/conversations/{conversation_id}/resolve")
async def resolve(conversation_id: ConversationId, runtime: RuntimeDep, operator: StaffDep) -> dict[str, Any]:
    result = await actions.resolve(runtime, conversation_id, operator)
    return {**result, "conversation": await runtime.console.view(conversation_id)}


@router.get("/conversations/{conversation_id}/suggestions")
async def suggestions(conversation_id: ConversationId, runtime: RuntimeDep, operator: StaffDep) -> dict[str, Any]:
    """Agent assist: 2–3 replies in the customer's language. The LLM drafts them from the conversation's
    facts (guarded, within `ASSIST_BUDGET_S`); otherwise templates for the intent and affect. `source` says
    which path answered (llm | template) and `fallback` why the templates did."""
    state = await actions.conversation_state(runtime, conversation_id)
    affect = state.current_affect.label if state.current_affect else "neutral"
    events = await runtime.agent.store.load(conversation_id)
    drafts = await draft_operator_replies(
        runtime.llm,
        state,
        events,
        operator=operator.display_name,
        tz=runtime.settings.store.timezone,
        budget_s=min(ASSIST_BUDGET_S, runtime.settings.llm.timeout_s),
    )
    return {
        "language": state.language,
        "intent": state.intent,
        "affect": affect,
        "source": drafts.source,
        "fallback": drafts.fallback,
        "suggestions": [{"text": t, "source": drafts.source} for t in drafts.suggestions],
    }


@router.get("/canned")
async def canned(operator: StaffDep) -> dict[str, Any]:
    """Canned responses in both languages (the console shows the conversation's language first)."""
    return {
        lang: [
            {"key": c.key, "title": c.title, "text": c.text}
            for c in canned_responses(lang, operator=operator.display_name)
        ]
        for lang in ("zh", "en")
    }
