"""LLM side tasks outside the customer's turn: reply drafts for operators (agent assist) and campaign copy
for marketers. Each is grounded and time-boxed like a turn, with a template fallback."""
