"""`bench/targets.py`, the one table `make bench` ends with: every issue-17 figure beside its target and a verdict a
reader can trust. A figure under its target says "no", a bench that skipped or crashed says "not measured", a figure
measured below the size its target names (a quick run) says "n/a", and a fault run that lost a message fails the run.
The canned figures have the shapes the benches write with `--json`; one real quick run goes through the console
bench's process."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_targets", ROOT / "bench" / "targets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_targets"] = module
    spec.loader.exec_module(module)
    return module


targets = _load()

LOG_OK = {
    "checked": 500,
    "accepted": 1500,
    "undelivered": 0,
    "lost": 0,
    "duplicated": 0,
    "out_of_order": 0,
    "unanswered": 0,
    "failed": 0,
    "log_unreadable": 0,
}


def _outcome(name: str, *, sockets: int, tps: float, p99: float, **extra: Any) -> dict[str, Any]:
    out = {
        "name": name,
        "sockets": sockets,
        "opened": sockets,
        "ramp_s": 20.0,
        "turns": 1500,
        "answered": 1500,
        "turns_per_s": tps,
        "p50_ms": 20.0,
        "p95_ms": 60.0,
        "p99_ms": p99,
        "kb_per_socket": 41.0,
        "errors": {},
        "log": dict(LOG_OK),
        "reconnects": 0,
        "failed_turns": 0,
        "recovery_s": None,
        "bad": 0,
        "detail": [],
    }
    out.update(extra)
    return out


GOOD: dict[str, Any] = {
    "turn": {
        "turns": 400,
        "p50_ms": 6.2,
        "p99_ms": 31.0,
        "cpu_p50_ms": 5.9,
        "cpu_p99_ms": 28.0,
        "perceive_p50_ms": 2.0,
        "perceive_p99_ms": 9.0,
    },
    "llm": {
        "turns": 20,
        "llm_turns": 12,
        "first_p50_s": 0.9,
        "first_p95_s": 2.1,
        "full_p50_s": 4.2,
        "full_p95_s": 7.5,
        "llm_worded": 11,
        "fallbacks": {},
        "load_average": 3.0,
    },
    "retrieval": {
        "chunks": 100_000,
        "searches": 120,
        "p50_ms": 9.5,
        "p99_ms": 20.1,
        "cpu_p50_ms": 9.0,
        "embed_p50_ms": 4.0,
        "old_p50_ms": 180.0,
        "hit_rates": {},
    },
    "live": {
        "few": {"rows": 35, "selects": 5, "cold_ms": 40.0, "warm_p50_ms": 10.0},
        "many": {"rows": 200, "selects": 5, "cold_ms": 70.0, "warm_p50_ms": 27.0},
    },
    "ready": {
        "listening_s": 3.0,
        "healthz_s": 3.0,
        "ready_s": 21.5,
        "not_ready_answers": 180,
        "not_ready_s": 18.4,
        "ready_checks": {"models": True, "llm": True},
        "exited": None,
        "llm": "local",
        "ready_line": "Kefu ready on http://127.0.0.1:40000 (models loaded, LLM warm; 21.3 s after start)",
        "turns": [
            {"language": "zh", "status": 200, "seconds": 1.2, "source": "llm", "failed": False},
            {"language": "en", "status": 200, "seconds": 1.4, "source": "llm", "failed": False},
        ],
    },
    "load": [
        _outcome("embedded (SQLite, 1 worker)", sockets=5000, tps=240.0, p99=120.0),
        _outcome("production (PostgreSQL, Redis, 2 workers)", sockets=5000, tps=260.0, p99=110.0),
        _outcome(
            "fault: kill -9 one of 2 workers",
            sockets=500,
            tps=20.0,
            p99=900.0,
            recovery_s=3.2,
            failed_turns=2,
            errors={"socket_closed": 250},
        ),
        _outcome("fault: Redis down 5 s", sockets=500, tps=20.0, p99=300.0, recovery_s=0.4),
    ],
    "voice": {
        "asr_rtf_p50": 0.21,
        "asr_rtf_p95": 0.3,
        "first_audio_p50_s": 0.41,
        "first_audio_p95_s": 0.8,
        "concurrent_calls": 4,
        "max_calls": 8,
    },
}


def _met(rows: list[Any], startswith: str) -> str:
    [row] = [r for r in rows if r.figure.startswith(startswith)]
    return row.met


@pytest.mark.unit
def test_every_figure_that_meets_its_target_says_yes_and_the_fault_runs_all_zero() -> None:
    rows = targets.issue17_rows(GOOD, {})
    judged = {r.figure: r.met for r in rows if r.met != targets.REPORTED}
    assert set(judged.values()) == {"yes"}, judged
    assert _met(rows, "in-process text turn (no LLM) p50") == "yes"
    faults = targets.fault_table(GOOD["load"])
    assert [f[0] for f in faults] == ["kill -9 one of 2 workers", "Redis down 5 s"]
    assert faults[0][1:4] == ("2", "3.2", "0") and faults[0][-1] == "yes"
    assert targets.broken(GOOD, {}) == []
    # a template because the model's words failed the grounding check is not the LLM missing at ready
    guarded = copy.deepcopy(GOOD)
    guarded["ready"]["turns"][0].update(source="template", fallback="guard")
    assert _met(targets.issue17_rows(guarded, {}), "first turns right after ready") == "yes"


@pytest.mark.unit
def test_a_figure_past_its_target_says_no_on_the_page() -> None:
    results = copy.deepcopy(GOOD)
    results["turn"]["p50_ms"] = 12.4  # the turn target is p50 <= 10 ms
    results["load"][0]["p99_ms"] = 151.0
    results["live"]["many"]["selects"] = 205  # a query per conversation

    page = targets.report(results, {}, quick=False, when="now", load=1.0)

    assert "| in-process text turn (no LLM) p50 | 12.4 ms (CPU 5.9 ms; 400 turns) | ≤ 10 ms | no |" in page
    assert "| in-process text turn (no LLM) p99 | 31.0 ms (CPU 28.0 ms) | ≤ 40 ms | yes |" in page
    assert (
        "| embedded default (SQLite, 1 worker): p99 | 151 ms (p50 20, p95 60) | ≤ 150 ms with 5,000 sockets | no |"
        in page
    )
    assert "| console live(): SELECTs per call | 5 for 35 conversations, 205 for 200 " in page
    rows = targets.issue17_rows(results, {})
    assert _met(rows, "console live()") == "no"
    assert "3 not met" in page


@pytest.mark.unit
def test_a_fault_run_that_loses_or_repeats_a_message_fails_the_run() -> None:
    results = copy.deepcopy(GOOD)
    kill = results["load"][2]
    kill["log"].update(lost=1, duplicated=2)
    kill["answered"] = kill["turns"] - 1
    kill["bad"] = 4

    faults = targets.fault_table(results["load"])
    page = targets.report(results, {}, quick=False, when="now", load=1.0)

    assert faults[0][3:5] == ("1", "2") and faults[0][7] == "1" and faults[0][-1] == "no"
    assert "| kill -9 one of 2 workers | 2 | 3.2 | 1 | 2 | 0 | 0 | 1 | 1499/1500 | no |" in page
    assert targets.broken(results, {}) == ["fault: kill -9 one of 2 workers: lost / duplicated / unanswered not all 0"]


@pytest.mark.unit
def test_a_message_still_refused_as_busy_at_the_end_is_shown_apart_not_as_a_reply_missing() -> None:
    results = copy.deepcopy(GOOD)
    run = results["load"][1]  # the production shape, overloaded: the server sheds what it cannot take
    run["log"]["refused_at_end"] = 3
    run["answered"] = run["turns"] - 3  # never accepted, so never answered
    run["bad"] = 0  # (load.py: accepted messages all in the log once, in order, answered)

    rows = targets.issue17_rows(results, {})

    row = next(r for r in rows if r.figure.startswith("production") and "lost" in r.figure)
    assert row.met == "yes" and "reply not seen on the socket 0" in row.measured
    assert "still refused as busy at the end 3" in row.measured


@pytest.mark.unit
def test_quick_sizes_are_never_called_met() -> None:
    results = copy.deepcopy(GOOD)
    for o in results["load"][:2]:
        o.update(sockets=100, opened=100)
    results["retrieval"]["chunks"] = 5000

    rows = targets.issue17_rows(results, {})

    assert _met(rows, "embedded default (SQLite, 1 worker): turns/s") == "n/a (100 of 5,000 sockets)"
    assert _met(rows, "production shape (PostgreSQL, Redis, 2 workers): p99") == "n/a (100 of 5,000 sockets)"
    assert _met(rows, "hybrid retrieval p50 over 5,000 chunks") == "n/a (5,000 chunks)"
    # what does not depend on the size is still judged
    assert _met(rows, "embedded default (SQLite, 1 worker): lost") == "yes"


@pytest.mark.unit
def test_a_bench_that_skipped_or_crashed_is_not_measured_and_says_why() -> None:
    results = copy.deepcopy(GOOD)
    results["llm"] = {"skipped": True}
    results["retrieval"] = None
    results["ready"]["turns"][1].update(source="template", fallback="llm_first_token_timeout")  # LLM not warm
    runs = {
        "llm": {
            "command": "python bench/bench_llm_latency.py",
            "exit": 0,
            "timed_out": False,
            "wall_s": 3.0,
            "cpu_s": 2.0,
            "tail": ["bench_llm_latency: skipped, no verified model at var/models/x.gguf"],
        },
        "retrieval": {
            "command": "python bench/bench_retrieval_100k.py",
            "exit": 1,
            "timed_out": False,
            "wall_s": 9.0,
            "cpu_s": 8.0,
            "tail": ["Traceback (most recent call last):", "MemoryError"],
        },
    }

    rows = targets.issue17_rows(results, runs)
    page = targets.report(results, runs, quick=False, when="now", load=1.0)

    assert _met(rows, "local LLM: first visible text") == "not measured"
    assert "skipped, no verified model at var/models/x.gguf" in page
    assert _met(rows, "hybrid retrieval") == "not measured"
    assert "no figures (exit 1): MemoryError" in page
    assert _met(rows, "first turns right after ready") == "no"
    assert targets.broken(results, runs) == ["retrieval: exit 1, no figures"]
    assert "| retrieval | `python bench/bench_retrieval_100k.py` | 1 | 9 | 8 |" in page


@pytest.mark.unit
def test_voice_figures_are_a_second_table() -> None:
    results = copy.deepcopy(GOOD)
    results["voice"]["first_audio_p95_s"] = float("inf")  # a call got no reply audio

    page = targets.report(GOOD, {}, quick=False, when="now", load=1.0)
    assert "| end of speech → first audio p50 | 410 ms | ≤ 500 ms | yes |" in page
    assert "| end of speech → first audio p95 | 800 ms | < 1,000 ms | yes |" in page

    page = targets.report(results, {}, quick=False, when="now", load=1.0)
    voice = page.split("## Voice (issue 16)")[1]

    assert "| end of speech → first audio p50 | 410 ms; a call got no reply audio | ≤ 500 ms | no |" in voice
    assert "| end of speech → first audio p95 | none; a call got no reply audio | < 1,000 ms | no |" in voice
    assert "| concurrent calls with p95 < 1 s (one process) | 4 (tried up to 8) | reported | — |" in voice

    # each language's calls beside the figure over all of them (an en figure over the target shows even when the
    # whole meets it)
    results = copy.deepcopy(GOOD)
    results["voice"].update(calls=16, by_language={"en": {"p50_s": 0.526, "p95_s": 0.653, "calls": 8},
                                                   "zh": {"p50_s": 0.427, "p95_s": 0.529, "calls": 8}})
    voice = targets.report(results, {}, quick=False, when="now", load=1.0).split("## Voice (issue 16)")[1]
    assert "| end of speech → first audio p50 | 410 ms (en 526 ms, zh 427 ms; 16 calls) | ≤ 500 ms | yes |" in voice


@pytest.mark.unit
def test_the_page_is_rebuilt_from_a_runs_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, figures in GOOD.items():
        (tmp_path / f"{key}.json").write_text(json.dumps(figures))
    (tmp_path / "run.json").write_text(json.dumps({"quick": True, "when": "2026-12-06 16:00 UTC", "load": 7.5}))
    monkeypatch.setattr(sys, "argv", ["targets.py", "--from", str(tmp_path)])

    assert targets.main() == 0
    out = capsys.readouterr().out
    assert "(quick sizes, 2026-12-06 16:00 UTC)" in out and "load average 7.5 at the end" in out
    assert "| figure | measured | target | met? |" in out
    assert "16 of 16 targets met; 0 not met" in out


@pytest.mark.integration
def test_a_quick_run_measures_and_writes_the_table(tmp_path: Path) -> None:
    out = tmp_path / "issue17.md"
    run = subprocess.run(
        [sys.executable, "bench/targets.py", "--quick", "--only", "live", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    page = out.read_text()
    [live] = [line for line in page.splitlines() if line.startswith("| console live(): SELECTs per call")]
    assert live.endswith("| yes |")
    assert json.loads((tmp_path / "issue17" / "live.json").read_text())["many"]["rows"] == 50
    assert "| in-process text turn (no LLM) p50 | not run | ≤ 10 ms | not measured |" in page
    assert page in run.stdout
