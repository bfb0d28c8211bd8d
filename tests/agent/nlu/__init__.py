"""Tests of understanding: language, intents, slots, and held-out accuracy."""
