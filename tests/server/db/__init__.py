"""Tests of the data layer on SQLite and PostgreSQL."""
