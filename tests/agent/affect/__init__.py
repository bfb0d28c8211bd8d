"""Tests of text affect: sentiment and emotion behaviour, weights, the LLM judge stage, accuracy."""
