"""Fakes for fast, exact tests (`tests/` mirrors the packages; these stand in for what the tests do not test).

- `commerce`: the data ports in memory — `MemoryOrders` (customers C1 and C2, orders fixed at `NOW`),
  `MemoryCatalog`, `CATEGORIES` and their `LEXICON`.
- `stores`: `MemoryEventStore`, gap-free sequence numbers like the SQL store.
- `knowledge`: `KeywordRetriever` (pipeline tests) and `HashEmbedder` (index tests), no model.
- `llm`: `ScriptedLLM`, streamed replies and tool-call rounds from a script, every request recorded;
  `OrderStatusSpec`, a tool shape for schema tests.
- `adversary`: `CompromisedLLM`, an LLM that obeys every injected instruction (the attack suite's model).
- `openai_server`: `ScriptedOpenAIServer`, the real HTTP path on 127.0.0.1 (unit tests using it need
  `@pytest.mark.allow_loopback`).
- `nlu`, `affect`: `FakeNLU`, `FakeAffect` (keyword tables, for pipeline tests that should not depend on the
  trained models), `ScriptedJudge` and `models_with_judge_stage` for the sentiment judge stage.
- `campaigns`: `DOUBLE11`, `WINTER`, campaign records for copy tests.
- `agent`: `make_agent(...)`, the pipeline with all of the above as defaults, and `ask(agent, text)`.

Import from here (`from tests.fakes import make_agent, ScriptedLLM`) or from the module. Nothing heavy loads
at import: the trained models load on first use, once per process.
"""

from tests.fakes.adversary import CompromisedLLM
from tests.fakes.affect import FakeAffect, ScriptedJudge, models_with_judge_stage
from tests.fakes.agent import StreamingAgent, ask, commerce_tools, make_agent, shared_affect, shared_nlu
from tests.fakes.campaigns import DOUBLE11, WINTER
from tests.fakes.commerce import CATEGORIES, LEXICON, NOW, MemoryCatalog, MemoryOrders
from tests.fakes.knowledge import HashEmbedder, KeywordRetriever
from tests.fakes.llm import OrderStatusSpec, ScriptedLLM
from tests.fakes.nlu import FakeNLU
from tests.fakes.stores import MemoryEventStore

__all__ = [
    "CATEGORIES",
    "DOUBLE11",
    "LEXICON",
    "NOW",
    "WINTER",
    "CompromisedLLM",
    "FakeAffect",
    "FakeNLU",
    "HashEmbedder",
    "KeywordRetriever",
    "MemoryCatalog",
    "MemoryEventStore",
    "MemoryOrders",
    "OrderStatusSpec",
    "ScriptedJudge",
    "ScriptedLLM",
    "StreamingAgent",
    "ask",
    "commerce_tools",
    "make_agent",
    "models_with_judge_stage",
    "shared_affect",
    "shared_nlu",
]
