"""Tests of the LLM side tasks: operator reply drafts and campaign copy."""
