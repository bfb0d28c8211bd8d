"""LLM backends behind `agent.protocols.LLM` (OpenAI-compatible for vLLM, bundled llama.cpp, none) and the guard
that turns their failures and timeouts into `LLMUnavailable`; the sentiment judge built on the local model.

Importing this package is cheap: httpx and llama_cpp load only when a backend first runs.
"""

from agent.llm.context import approx_tokens, trim_messages
from agent.llm.fallback import GuardedLLM
from agent.llm.local import LocalLlamaLLM
from agent.llm.none import NoLLM
from agent.llm.openai_compat import OpenAICompatibleLLM
from agent.llm.toolcalls import parse_text_tool_calls, tool_schema
from agent.protocols import LLM, ChatMessage, LLMResponse, LLMUnavailable, ToolCallProposal

FallbackLLM = GuardedLLM  # the name the design notes use

__all__ = [
    "LLM",
    "ChatMessage",
    "FallbackLLM",
    "GuardedLLM",
    "LLMResponse",
    "LLMUnavailable",
    "LocalLlamaLLM",
    "NoLLM",
    "OpenAICompatibleLLM",
    "ToolCallProposal",
    "approx_tokens",
    "parse_text_tool_calls",
    "tool_schema",
    "trim_messages",
]
