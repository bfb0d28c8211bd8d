"""How the bot says it: template replies in zh and en, LLM wording of a reply, and the grounding check
that keeps an LLM's wording to the facts it was given (the template answers when it fails)."""

from agent.nlg.grounding import GuardResult, check_grounded
from agent.nlg.llm_wording import LLMResponder
from agent.nlg.messages import PromptedTurn, build_turn, warm_up
from agent.nlg.templates import Reply, TemplateNLG

__all__ = [
    "GuardResult",
    "LLMResponder",
    "PromptedTurn",
    "Reply",
    "TemplateNLG",
    "build_turn",
    "check_grounded",
    "warm_up",
]
