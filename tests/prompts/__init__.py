"""Tests of the zh/en reply and prompt templates."""
