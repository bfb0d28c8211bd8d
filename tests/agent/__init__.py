"""Tests of the agent core: pipeline, policy, tools declaring themselves, turn input, LLM proposals."""
