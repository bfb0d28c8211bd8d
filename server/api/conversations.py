"""`/api/conversations`: start a conversation, send a message, read the event log."""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from agent.errors import InvalidMessage
from agent.events import CustomerProfiled
from agent.pipeline import TurnInput, UnrecordedTurn
from server.api.deps import MAX_SEQ, ConversationDep, RuntimeDep, client_ip, limit
from server.api.fields import StoredText
from server.api.interactions import Interaction, record_interaction, recorded_frame
from server.channels.frames import customer_event
from server.errors import ApiError, ErrorBody
from server.identity import CustomerIdentity
from server.infra.admission import TurnsBusy
from server.infra.metrics import TURN_SECONDS
from server.runtime import Runtime

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/conversations", tags=["conversations"])


class StartConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["web", "voice", "api"] = "web"
    customer_id: StoredText | None = Field(default=None, max_length=32)
    # HMAC-SHA256(store secret, customer_id), hex, from the store's page; or the store backend's API key as
    # `Authorization: Bearer …`. Without either the conversation is anonymous.
    customer_sig: StoredText | None = Field(default=None, max_length=128)
    language: Literal["zh", "en"] | None = None


class Started(BaseModel):
    conversation_id: str
    token: str
    customer_id: str | None = None  # the verified customer; None: an anonymous conversation


class SendMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: StoredText = Field(min_length=1, max_length=2000)
    client_msg_id: StoredText | None = Field(default=None, max_length=64)


@router.post("", status_code=201, response_model=Started)
async def start_conversation(
    body: StartConversation,
    runtime: RuntimeDep,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Started:
    """A customer id counts only with the store's proof (its signature, or its backend's API key); without one
    the conversation is anonymous, whatever id the browser sent."""
    await limit(runtime, "conversation_ip", client_ip(request))
    customer_id = verified_customer(runtime.identity, body.customer_id, body.customer_sig, authorization)
    # the store's reads and writes of a start in one trip to a thread (each trip costs the event loop more than
    # these reads); the conversation's first events in one write
    conversation_id, token, profiled = await asyncio.to_thread(_create, runtime, body, customer_id)
    await runtime.agent.start(conversation_id, channel=body.channel, customer_id=customer_id, language=body.language,
                              also=[profiled] if profiled is not None else [])
    return Started(conversation_id=conversation_id, token=token, customer_id=customer_id)


def _create(runtime: Runtime, body: StartConversation,
            customer_id: str | None) -> tuple[str, str, CustomerProfiled | None]:
    """Blocking: the conversation's row (a verified customer must be one the store knows), and the customer's profile
    to start it with."""
    if customer_id is not None and runtime.customers.get(customer_id) is None:
        raise ApiError(404, "unknown_customer", "No such customer.")
    conversation_id, token = runtime.conversations.create(channel=body.channel, customer_id=customer_id,
                                                          language=body.language)
    profiled = profile_of(runtime, conversation_id, customer_id) if customer_id is not None else None
    return conversation_id, token, profiled


def profile_of(runtime: Runtime, conversation_id: str, customer_id: str) -> CustomerProfiled | None:
    """Blocking: what the store knows of the customer (`CustomerProfiled`) for the policy to read; None when there is
    no profile, or it cannot be built (the conversation starts without one)."""
    if runtime.insight is None:
        return None
    try:
        return runtime.insight.profiled(conversation_id, customer_id)
    except Exception as exc:
        log.warning("profile of the customer of %s failed: %s", conversation_id, type(exc).__name__)
        return None


def verified_customer(
    identity: CustomerIdentity, customer_id: str | None, signature: str | None, authorization: str | None
) -> str | None:
    """The customer the store vouches for, or None (anonymous). A presented API key must be one of the store's."""
    scheme, _, key = (authorization or "").partition(" ")
    if authorization:
        if scheme.lower() != "bearer" or not identity.is_api_key(key.strip()):
            raise ApiError(401, "invalid_api_key", "The API key is not one of this store's.")
        return customer_id
    if customer_id is not None and identity.verify(customer_id, signature):
        return customer_id
    return None


@router.post("/{conversation_id}/messages", responses={503: {
    "model": ErrorBody, "description": "`turn_failed`: the turn failed and nothing could be recorded (the database is "
                                       "down); `message` is the apology to show. `busy`: the worker had no room for the"
                                       " turn, nothing was recorded; send it again after `Retry-After` seconds."}})
async def send_message(
    body: SendMessage, conversation: ConversationDep, runtime: RuntimeDep, request: Request
) -> dict[str, Any]:
    """One customer turn. Every turn is answered: one that fails inside answers with an apology in the customer's
    language (`failed: true`, recorded), and the same `client_msg_id` sent again runs again; a message already
    answered is a `duplicate`."""
    try:  # admitted first: a message shed as `busy` is not charged to the sender's message limits
        async with runtime.turns().admit():
            await limit(runtime, "message_ip", client_ip(request))
            await limit(runtime, "message_conversation", conversation.id)
            with TURN_SECONDS.time():
                result = await runtime.agent.handle(
                    conversation.id,
                    TurnInput(body.text, client_msg_id=body.client_msg_id),
                    on_token=runtime.token_sink(conversation.id),
                )
    except TurnsBusy as exc:  # not admitted, nothing recorded: the same message may be sent again after Retry-After
        retry_s = max(1, math.ceil(exc.retry_after_ms / 1000))
        raise ApiError(503, "busy", exc.message(body.text), headers={"Retry-After": str(retry_s)}) from exc
    except InvalidMessage as exc:
        raise ApiError(422, "invalid_message", str(exc)) from exc
    except UnrecordedTurn as exc:  # failed, apology unrecorded (the store is down): send the message again later
        raise ApiError(503, "turn_failed", exc.apology) from exc
    # `failed`: the turn failed inside and `reply` is its (recorded) apology; the same message sent again runs again
    return {"reply": result.reply.public(), "state": result.state.public(), "duplicate": result.duplicate,
            "failed": result.failed}


@router.post("/{conversation_id}/interactions", status_code=201)
async def post_interaction(
    body: Interaction, conversation: ConversationDep, runtime: RuntimeDep, request: Request
) -> dict[str, Any]:
    """What the customer did with a product card (viewed, clicked, added to the cart, bought): it changes the
    next recommendation in this conversation."""
    return recorded_frame(await record_interaction(runtime, conversation.id, body, client_ip(request)))


@router.get("/{conversation_id}/events")
async def list_events(
    conversation: ConversationDep,
    runtime: RuntimeDep,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
) -> dict[str, Any]:
    events = await runtime.agent.store.load(conversation.id, after=after)
    names = await runtime.console.names.for_events(events)
    return {"events": [customer_event(e, names) for e in events]}
