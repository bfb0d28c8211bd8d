"""Alembic migrations of the service database (one module per schema version under `versions/`)."""
