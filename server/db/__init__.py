"""Data layer: engine, models, migrations and the repositories behind `tools.commerce.ports` and the agent.

Import from the submodules (`server.db.engine`, `server.db.repositories`, `server.db.migrate`);
this package itself imports nothing so importing it stays cheap.
"""
