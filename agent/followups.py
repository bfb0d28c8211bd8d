"""Follow-ups: once a need is met — an order question answered, a product added to the cart, a return filed, a
policy question answered from the documents — a registered tool that follows what met it (`Tool.follows`) may add
one line and card the customer did not ask for (a cross-sell, a trade-in offer).

The core decides when: the policy allows it (`agent.policy.may_follow_up`: the bot holds the conversation, the
customer is calm, no call waits for their yes), the turn answered without asking or failing (`Agent`), and the
need was not followed up before in the conversation (an offer recorded for it). The tool decides what
(`Tool.follow`) and how it reads (`Tool.follow_reply`), so the core names no marketing tool.

One follow-up per met need, so at most one per turn: followers are asked in order of `Tool.follow_priority`
(higher first, then registration order), and the first with something to say is the only one heard.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from agent.events import Event
from agent.policy import may_follow_up
from agent.protocols import Composer, Need, Passage, Reply, ToolContext
from agent.state import DialogueState
from agent.tooling import Toolbox

log = logging.getLogger(__name__)

# What met a need answered from the policy documents (`Need.source`): tools list it in `follows`.
POLICY_ANSWER = "policy_question"


@dataclass(slots=True)
class FollowUp:
    """One follow-up: the tool that made it, its words and cards, and the events it causes (e.g. `OfferMade`)."""

    tool: str
    reply: Reply
    events: list[Event]


async def follow_up(
    tools: Toolbox, need: Need, state: DialogueState, ctx: ToolContext, nlg: Composer
) -> FollowUp | None:
    """The first follow-up a tool following `need.source` makes, or None (none follows it, the policy does not allow
    one now, or none has anything to add)."""
    if not may_follow_up(state) or followed(state, need):
        return None
    for tool in tools.followers(need.source):
        try:
            result = await tool.follow(need, state, ctx)  # type: ignore[attr-defined]
        except Exception:  # an extra the customer did not ask for must never cost them their answer
            log.exception("follow-up by %s failed; the reply goes without it", tool.name)
            continue
        if result is not None:
            return FollowUp(tool.name, nlg.compose_follow_up(tool, result, ctx.language), list(result.events))
    return None


def followed(state: DialogueState, need: Need) -> bool:
    """Was this need followed up already in the conversation (an offer recorded for it)?"""
    return any(offer.get("need") == need.key for offer in state.offers)


def policy_need(passages: list[Passage]) -> Need | None:
    """The need an answer from the policy documents met: the topic is the document it cites first (`returns`);
    None when nothing was found (the customer was not answered)."""
    if not passages:
        return None
    doc = passages[0].doc
    return Need(f"policy:{doc}", POLICY_ANSWER, topic=doc)


def appended(reply: Reply, follow: FollowUp, language: str) -> Reply:
    """`reply` with the follow-up's line after its text and its cards after its cards; its quick replies only when
    the reply has none of its own."""
    sep = "" if language == "zh" else " "
    text = sep.join(t for t in (reply.text.strip(), follow.reply.text.strip()) if t)
    return Reply(text=text, source=reply.source, citations=list(reply.citations),
                 cards=[*reply.cards, *follow.reply.cards],
                 quick_replies=list(reply.quick_replies or follow.reply.quick_replies), offer_human=reply.offer_human)
