"""`bench/load.py` at its smallest, against the session's real server (the embedded default, SQLite): 20 chat sockets
from a separate client process, 2 turns each, and the event log of every conversation holds each message exactly
once, in order, with its reply. The full-size runs and the fault runs are `make bench`'s."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_twenty_sockets_two_turns_each_lose_nothing(live_server: str, e2e_env: dict[str, str],
                                                    tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    cmd = [sys.executable, "bench/load.py", "--base", live_server, "--database-url", e2e_env["KEFU_DATABASE_URL"],
           "--secret", e2e_env["KEFU_IDENTITY_SECRET"], "--sockets", "20", "--turns", "2", "--rate", "40",
           "--ramp-rate", "100", "--duration", "20", "--drain", "20", "--clients", "1", "--json", str(out)]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.exists(), run.stdout + run.stderr
    [figures] = json.loads(out.read_text())
    assert figures["opened"] == 20
    assert figures["turns"] == figures["answered"] == 40  # every turn answered over its socket
    assert figures["log"] == {"checked": 20, "accepted": 40, "undelivered": 0, "refused_at_end": 0, "lost": 0,
                              "duplicated": 0, "out_of_order": 0, "unanswered": 0, "failed": 0, "log_unreadable": 0}
    assert figures["errors"] == {}
    assert run.returncode == 0, run.stdout + run.stderr
