"""Tests of the LLM backends, their guard, and real-model runs against llama_cpp.server."""
