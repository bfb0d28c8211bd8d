"""Kefu's tests: mirror the packages; every test is marked unit, integration or e2e (tests/plugin.py)."""
