"""LLM side tasks outside the customer's turn: reply drafts for operators (agent assist), campaign copy for
marketers, and reading a marketer's chat request (rules first, the LLM only to read what they miss). Each is
time-boxed like a turn, with a template (or rules-only) answer when the LLM is absent or fails."""
