"""Tests of reply wording: templates, LLM wording with the grounding check, chit-chat."""
