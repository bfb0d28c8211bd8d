"""LLM backends behind `agent.protocols.LLM`, the guard around them, and the grounding check.

Importing this package is cheap: langchain and llama_cpp load only when a backend first runs.
"""

from agent.llm.context import approx_tokens, trim_messages
from agent.llm.fallback import GuardedLLM
from agent.llm.guard import GuardResult, check_grounded
from agent.llm.local import LocalLlamaLLM
from agent.llm.messages import PromptedTurn, build_turn, warm_up
from agent.llm.none import NoLLM
from agent.llm.openai_compat import OpenAICompatibleLLM
from agent.llm.toolcalls import parse_text_tool_calls, tool_schema
from agent.protocols import LLM, ChatMessage, LLMResponse, LLMUnavailable, ToolCallProposal

FallbackLLM = GuardedLLM  # the name the design notes use

__all__ = [
    "LLM",
    "ChatMessage",
    "FallbackLLM",
    "GuardResult",
    "GuardedLLM",
    "LLMResponse",
    "LLMUnavailable",
    "LocalLlamaLLM",
    "NoLLM",
    "OpenAICompatibleLLM",
    "PromptedTurn",
    "ToolCallProposal",
    "approx_tokens",
    "build_turn",
    "check_grounded",
    "parse_text_tool_calls",
    "tool_schema",
    "trim_messages",
    "warm_up",
]
