"""Tests of the server: settings, runtime, CLI, operators, demo store, pub/sub."""
