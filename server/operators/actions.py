"""What an operator can do to a conversation: take over, write, type, note, hand back, resolve.

Every customer-visible effect is an event appended through `Agent.record` (so it is persisted, replayed
and published like any other) or a frame on the conversation's channel (`typing`, `csat_request`).
Actions on one conversation run one at a time in this process; across workers, who holds a conversation
is decided by an atomic claim on its database row (`ConversationRepository.claim`): of two operators
pressing "take over" at once on different workers, one wins and the other gets 409 `held_by_other`.
The claim is taken before `operator_joined` is recorded and let go before `handed_back` is, so the row
never names a holder the log has already released; a failed record gives the claim back.

Rules: the operator who holds a conversation is the one who writes and types to the customer; a
supervisor may take over (or hand back, or resolve) a conversation another operator holds.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from agent.errors import UnknownConversation
from agent.events import Event, HandedBack, OperatorJoined, OperatorUttered
from agent.state import DialogueState
from server.db.operators import NoteRow, OperatorRow
from server.errors import ApiError

if TYPE_CHECKING:
    from server.runtime import Runtime


class ActionRefused(ApiError):
    """An action that does not fit the conversation's state (409) or that names no conversation (404)."""


async def conversation_state(runtime: Runtime, conversation_id: str) -> DialogueState:
    if await asyncio.to_thread(runtime.conversations.get, conversation_id) is None:
        raise ActionRefused(404, "unknown_conversation", "No such conversation.")
    try:
        return await runtime.agent.state(conversation_id)
    except UnknownConversation as exc:
        raise ActionRefused(404, "unknown_conversation", "No such conversation.") from exc


def _holds(state: DialogueState, operator: OperatorRow) -> bool:
    return state.handoff == "operator" and state.operator == operator.username


def _refuse_if_held_by_other(state: DialogueState, operator: OperatorRow) -> None:
    if state.handoff == "operator" and state.operator != operator.username and operator.role != "supervisor":
        raise ActionRefused(
            409,
            "held_by_other",
            f"Operator {state.operator} holds this conversation; only a supervisor can take it over.",
        )


def _clean_text(runtime: Runtime, text: str) -> str:
    """The text stripped, within the one message limit customers have too (`KEFU_MAX_MESSAGE_CHARS`)."""
    text = text.strip()
    limit = runtime.settings.store.max_message_chars
    if not text:
        raise ActionRefused(422, "invalid_message", "The message is empty.")
    if len(text) > limit:
        raise ActionRefused(422, "invalid_message", f"Messages are limited to {limit} characters.")
    return text


async def _taken(runtime: Runtime, conversation_id: str) -> ActionRefused:
    """The loser's 409 when another operator's claim got there first (possibly on another worker)."""
    holder = await asyncio.to_thread(runtime.conversations.holder, conversation_id)
    who = f"Operator {holder}" if holder else "Another operator"
    return ActionRefused(
        409, "held_by_other", f"{who} has just taken this conversation over; only a supervisor can take it from them."
    )


async def takeover(runtime: Runtime, conversation_id: str, operator: OperatorRow) -> bool:
    """Join the conversation; the bot goes silent from the next customer message on. False if already held."""
    async with runtime.console.lock(conversation_id):
        state = await conversation_state(runtime, conversation_id)
        if _holds(state, operator):
            return False
        _refuse_if_held_by_other(state, operator)
        replacing = state.operator if state.handoff == "operator" else None
        if not await asyncio.to_thread(
            runtime.conversations.claim, conversation_id, operator.username, replacing=replacing
        ):
            raise await _taken(runtime, conversation_id)
        try:
            await runtime.agent.record(
                conversation_id, [OperatorJoined(conversation_id=conversation_id, operator=operator.username)]
            )
        except BaseException:
            await asyncio.to_thread(runtime.conversations.release, conversation_id, operator.username)
            raise
        return True


async def _let_go(runtime: Runtime, conversation_id: str, state: DialogueState, operator: OperatorRow) -> None:
    """Release the claim, then record `handed_back` (the claim is restored if recording fails)."""
    holder = state.operator
    if not await asyncio.to_thread(runtime.conversations.release, conversation_id, holder):
        raise await _taken(runtime, conversation_id)
    try:
        await runtime.agent.record(
            conversation_id, [HandedBack(conversation_id=conversation_id, operator=operator.username)]
        )
    except BaseException:
        if holder:
            await asyncio.to_thread(runtime.conversations.claim, conversation_id, holder)
        raise


async def say(runtime: Runtime, conversation_id: str, operator: OperatorRow, text: str) -> Event:
    text = _clean_text(runtime, text)
    async with runtime.console.lock(conversation_id):
        state = await conversation_state(runtime, conversation_id)
        if not _holds(state, operator):
            raise ActionRefused(409, "not_holding", "Take over the conversation before writing to the customer.")
        stored = await runtime.agent.record(
            conversation_id, [OperatorUttered(conversation_id=conversation_id, operator=operator.username, text=text)]
        )
        return stored[0]


async def typing(runtime: Runtime, conversation_id: str, operator: OperatorRow, on: bool) -> None:
    """Show (or stop showing) "agent is typing" in the customer's widget."""
    state = await conversation_state(runtime, conversation_id)
    if not _holds(state, operator):
        raise ActionRefused(409, "not_holding", "Take over the conversation before typing to the customer.")
    await runtime.pubsub.publish(conversation_id, {"type": "typing", "who": "operator", "on": on})


async def handback(runtime: Runtime, conversation_id: str, operator: OperatorRow) -> None:
    async with runtime.console.lock(conversation_id):
        state = await conversation_state(runtime, conversation_id)
        if state.handoff == "bot":
            raise ActionRefused(409, "not_held", "The bot already handles this conversation.")
        _refuse_if_held_by_other(state, operator)
        await _let_go(runtime, conversation_id, state, operator)


async def resolve(runtime: Runtime, conversation_id: str, operator: OperatorRow) -> dict[str, Any]:
    """Close the human part of the conversation (handing it back if held) and ask the customer for CSAT."""
    async with runtime.console.lock(conversation_id):
        state = await conversation_state(runtime, conversation_id)
        _refuse_if_held_by_other(state, operator)
        handed_back = state.handoff != "bot"
        if handed_back:
            await _let_go(runtime, conversation_id, state, operator)
        await runtime.pubsub.publish(conversation_id, {"type": "csat_request"})
        await runtime.console.csat_requested(conversation_id, operator.username)
        return {"handed_back": handed_back, "csat_requested": True}


async def add_note(runtime: Runtime, conversation_id: str, operator: OperatorRow, text: str) -> NoteRow:
    """A private note: stored and shown to operators, never published on the customer's channel."""
    text = _clean_text(runtime, text)
    await conversation_state(runtime, conversation_id)
    note = await asyncio.to_thread(runtime.operators.add_note, conversation_id, operator.id, text)
    await runtime.console.note_added(note)
    return note
