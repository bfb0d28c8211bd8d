"""Tests of the business tools on in-memory data."""
