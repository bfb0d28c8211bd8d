"""The agent core: dialogue state built from events, the policy, the turn pipeline, and the protocols the rest
of Kefu implements (tools, retrievers, stores, LLMs, NLU, affect, NLG). The core never imports an
implementation; its subfolders (`nlu`, `affect`, `nlg`, `llm`, `tasks`, `training`) hold them and the server
wires them in."""
