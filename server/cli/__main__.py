"""`python -m server.cli …`: the same app as the `kefu` console script."""

from server.cli import app

app()
