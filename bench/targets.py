"""Issue 17's figures, each beside its target, measured in one run: one markdown table, then the fault runs' failed
turns, recovery and lost / duplicated / unanswered counts, then issue 16's voice figures (what `make bench` ends with).

Each figure comes from the bench that measures it, run here as its own process with `--json PATH` (its own printout
goes to the terminal as it runs): the in-process turn (`bench_turn.py`), the local LLM's first words and full reply
(`bench_llm_latency.py`), retrieval over 100,000 chunks (`bench_retrieval_100k.py`), the console's live list
(`bench_console_live.py`), readiness (`bench_ready.py`), 5,000 sockets on both shapes and the fault runs (`load.py`),
the phone calls (`bench_voice_calls.py`). This script only reads their JSON, judges each figure against its target
and prints the tables, also written to `var/bench/issue17.md` (the JSON beside it, in `var/bench/issue17/`). A bench
that fails or skips leaves its rows "not measured", never "yes"; a figure measured below the size its target names
(`--quick`) is "n/a", never "yes".

    .venv/bin/python bench/targets.py                  # full sizes: what `make bench` runs (the load runs take long)
    .venv/bin/python bench/targets.py --quick          # small sizes, a few minutes: the size-bound rows say n/a
    .venv/bin/python bench/targets.py --quick --only turn,live
    .venv/bin/python bench/targets.py --from var/bench/issue17   # the tables again from a run's JSON, no run

Exits 1 when a fault run lost, duplicated or left unanswered a message, or a bench failed without figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
LOAD_SOCKETS = 5000
RETRIEVAL_CHUNKS = 100_000


@dataclass(frozen=True)
class Step:
    """One bench as a process: its arguments at full size and in `--quick`, and a wall-clock bound."""

    key: str
    script: str
    full: str
    quick: str
    timeout_s: float


LOAD_FULL = "--shape both --faults all --index-dir var/bench/load-index"
STEPS = (
    Step("turn", "bench_turn.py", "", "--turns 60", 1800),
    Step(
        "retrieval",
        "bench_retrieval_100k.py",
        "",
        "--chunks 5000 --passes 1 --products 40 --baseline-questions 5",
        3600,
    ),
    Step("live", "bench_console_live.py", "", "--many 50 --reads 5", 600),
    Step("ready", "bench_ready.py", "", "", 1800),  # with the local LLM when installed, at both sizes: its point
    Step("llm", "bench_llm_latency.py", "", "--passes 1", 5400),
    Step(
        "load",
        "load.py",
        LOAD_FULL,
        f"{LOAD_FULL} --sockets 100 --clients 1 --ramp-rate 100 --rate 50 --duration 10 --drain 30 "
        "--fault-sockets 40 --fault-rate 10 --fault-duration 30 --customers 60 --orders 300",
        4 * 3600,
    ),
    Step("voice", "bench_voice_calls.py", "", "--rounds 16 --max-calls 2", 3600),
)


# ------------------------------------------------------------------ running


def run_step(step: Step, out_dir: Path, *, quick: bool) -> dict[str, Any]:
    """Run one bench (its output echoed), its JSON left at `out_dir/<key>.json`; exit code, wall and CPU seconds
    (the bench and every process it waited for), and its last lines (why it skipped or failed)."""
    path = out_dir / f"{step.key}.json"
    path.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        str(BENCH / step.script),
        *shlex.split(step.quick if quick else step.full),
        "--json",
        str(path),
    ]
    print(f"\n=== {step.key}: {' '.join(cmd[1:])}", flush=True)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    # its own process group, so a bench past its bound is stopped with the servers and clients it started
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    timer = threading.Timer(step.timeout_s, lambda: _stop_group(proc))
    timer.start()
    tail: deque[str] = deque(maxlen=6)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if line.strip():
                tail.append(line.rstrip())
        code = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:  # interrupted (Ctrl-C, SIGTERM): its group is outside the terminal's reach
            _stop_group(proc)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    timed_out = time.monotonic() - started >= step.timeout_s
    return {
        "command": " ".join(["python", f"bench/{step.script}", *cmd[2:-2]]),
        "exit": code,
        "timed_out": timed_out,
        "wall_s": time.monotonic() - started,
        "cpu_s": (used.ru_utime - cpu.ru_utime) + (used.ru_stime - cpu.ru_stime),
        "tail": list(tail),
    }


def _stop_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def read_results(out_dir: Path) -> dict[str, Any]:
    """Each bench's figures by key (None when it wrote none)."""
    results: dict[str, Any] = {}
    for step in STEPS:
        path = out_dir / f"{step.key}.json"
        try:
            results[step.key] = json.loads(path.read_text())
        except (OSError, ValueError):
            results[step.key] = None
    return results


# ------------------------------------------------------------------ judging


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    target: str
    met: str  # yes | no | n/a (…) | not measured | — (reported, no target)


NOT_MEASURED = "not measured"
REPORTED = "—"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not math.isnan(value) else None


def judge(value: Any, ok: Callable[[float], bool], *, short_of: str | None = None) -> str:
    """`yes`/`no` for a measured value; `n/a (…)` when it was measured below the size its target names."""
    number = _number(value)
    if number is None:
        return NOT_MEASURED
    if short_of:
        return f"n/a ({short_of})"
    return "yes" if ok(number) else "no"


def _missing(figure: str, target: str, why: str) -> Row:
    return Row(figure, why, target, NOT_MEASURED)


def _why(runs: dict[str, Any], key: str) -> str:
    run = runs.get(key)
    if run is None:
        return "not run"
    last = run["tail"][-1] if run["tail"] else ""
    state = "timed out" if run.get("timed_out") else f"exit {run['exit']}"
    return f"no figures ({state}): {last[:160]}"


def turn_rows(t: dict[str, Any] | None, why: str) -> list[Row]:
    figure = "in-process text turn (no LLM), p50 / p99"
    if not t:
        return [
            _missing(f"{figure.split(',')[0]} p50", "≤ 10 ms", why),
            _missing(f"{figure.split(',')[0]} p99", "≤ 40 ms", why),
        ]
    cpu = f"CPU {t['cpu_p50_ms']:.1f} ms" if "cpu_p50_ms" in t else ""
    return [
        Row(
            "in-process text turn (no LLM) p50",
            f"{t['p50_ms']:.1f} ms ({cpu}; {t['turns']} turns)",
            "≤ 10 ms",
            judge(t["p50_ms"], lambda v: v <= 10),
        ),
        Row(
            "in-process text turn (no LLM) p99",
            f"{t['p99_ms']:.1f} ms (CPU {t.get('cpu_p99_ms', float('nan')):.1f} ms)",
            "≤ 40 ms",
            judge(t["p99_ms"], lambda v: v <= 40),
        ),
    ]


def llm_rows(m: dict[str, Any] | None, why: str) -> list[Row]:
    first, full = "local LLM: first visible text p50 (turns that call it)", "local LLM: full checked reply p50"
    if not m or m.get("skipped"):
        return [
            _missing(first, "≤ 1.5 s", why if not m else why.split("): ", 1)[-1]),  # its own word for the skip
            _missing(full, "reported", why if not m else "skipped"),
        ]
    if _number(m.get("first_p50_s")) is None:
        return [_missing(first, "≤ 1.5 s", "no turn reached the model"), _missing(full, "reported", "")]
    fallbacks = ", ".join(f"{k} {v}" for k, v in m.get("fallbacks", {}).items()) or "none"
    return [
        Row(
            first,
            f"{m['first_p50_s']:.2f} s (p95 {m['first_p95_s']:.2f} s; {m['llm_turns']} turns)",
            "≤ 1.5 s",
            judge(m["first_p50_s"], lambda v: v <= 1.5),
        ),
        Row(
            full,
            f"{m['full_p50_s']:.2f} s (p95 {m['full_p95_s']:.2f} s; LLM-worded {m['llm_worded']}/{m['turns']}"
            f", template fallbacks {fallbacks})",
            'reported ("soon after")',
            REPORTED,
        ),
    ]


def _load_run(outcomes: list[dict[str, Any]] | None, prefix: str) -> dict[str, Any] | None:
    return next((o for o in outcomes or [] if o.get("name", "").startswith(prefix)), None)


def losses(o: dict[str, Any]) -> dict[str, int]:
    """What the event-log check found, and the turns whose reply never reached the client's socket."""
    log = o.get("log", {})
    return {
        "lost": log.get("lost", 0) + log.get("undelivered", 0),
        "duplicated": log.get("duplicated", 0),
        "unanswered": log.get("unanswered", 0) + log.get("log_unreadable", 0),
        "out_of_order": log.get("out_of_order", 0),
        # a turn still refused as busy when the drain ended was never accepted (admission control, shown apart)
        "unseen": max(0, o.get("turns", 0) - o.get("answered", 0) - log.get("refused_at_end", 0)),
        "refused_at_end": log.get("refused_at_end", 0),
    }


def load_rows(outcomes: list[dict[str, Any]] | None, why: str) -> list[Row]:
    rows = []
    for prefix, label in (
        ("embedded", "embedded default (SQLite, 1 worker)"),
        ("production", "production shape (PostgreSQL, Redis, 2 workers)"),
    ):
        o = _load_run(outcomes, prefix)
        if o is None:
            rows += [
                _missing(f"{label}: turns/s", f"≥ 200 with {LOAD_SOCKETS:,} sockets", why),
                _missing(f"{label}: p99", f"≤ 150 ms with {LOAD_SOCKETS:,} sockets", why),
                _missing(f"{label}: lost / duplicated / unanswered", "0 / 0 / 0", why),
            ]
            continue
        opened = o.get("opened", 0)
        short = None if opened >= LOAD_SOCKETS else f"{opened:,} of {LOAD_SOCKETS:,} sockets"
        errors = o.get("errors", {})
        lost = losses(o)
        rows += [
            Row(
                f"{label}: turns/s",
                f"{o['turns_per_s']:.0f} turns/s ({opened:,}/{o['sockets']:,} sockets open, "
                f"{o['answered']}/{o['turns']} answered)",
                f"≥ 200 with {LOAD_SOCKETS:,} sockets",
                judge(o["turns_per_s"], lambda v: v >= 200, short_of=short),
            ),
            Row(
                f"{label}: p99",
                f"{o['p99_ms']:.0f} ms (p50 {o['p50_ms']:.0f}, p95 {o['p95_ms']:.0f})",
                f"≤ 150 ms with {LOAD_SOCKETS:,} sockets",
                judge(o["p99_ms"], lambda v: v <= 150, short_of=short),
            ),
            Row(f"{label}: memory per socket", f"{o['kb_per_socket']:.0f} KB", "reported", REPORTED),
            Row(
                f"{label}: errors",
                f"{sum(errors.values())}" + (f" {errors}" if errors else ""),
                "0",
                judge(sum(errors.values()), lambda v: v == 0),
            ),
            Row(
                f"{label}: lost / duplicated / unanswered",
                f"{lost['lost']} / {lost['duplicated']} / {lost['unanswered']} (out of order {lost['out_of_order']},"
                f" reply not seen on the socket {lost['unseen']}, still refused as busy at the end"
                f" {lost['refused_at_end']})",
                "0 / 0 / 0",
                judge(o.get("bad", sum(v for k, v in lost.items() if k != "refused_at_end")), lambda v: v == 0),
            ),
        ]
    return rows


def retrieval_rows(r: dict[str, Any] | None, why: str) -> list[Row]:
    target = f"≤ 15 ms over {RETRIEVAL_CHUNKS:,} chunks"
    if not r:
        return [_missing("hybrid retrieval p50, query embedding included", target, why)]
    short = None if r["chunks"] >= RETRIEVAL_CHUNKS else f"{r['chunks']:,} chunks"
    return [
        Row(
            f"hybrid retrieval p50 over {r['chunks']:,} chunks, query embedding included",
            f"{r['p50_ms']:.1f} ms (p99 {r['p99_ms']:.1f}, CPU p50 {r['cpu_p50_ms']:.1f}; embedding alone "
            f"{r['embed_p50_ms']:.1f}, CPU {r.get('embed_cpu_p50_ms', float('nan')):.1f}, e5 engine "
            f"{r.get('e5_engine', '?')}; old search {r['old_p50_ms']:.0f})",
            target,
            judge(r["p50_ms"], lambda v: v <= 15, short_of=short),
        )
    ]


def live_rows(lv: dict[str, Any] | None, why: str) -> list[Row]:
    figure, target = "console live(): SELECTs per call", "the same for any number of conversations"
    if not lv:
        return [_missing(figure, target, why)]
    few, many = lv["few"], lv["many"]
    flat = few["selects"] == many["selects"] and many["rows"] > few["rows"]
    return [
        Row(
            figure,
            f"{few['selects']} for {few['rows']} conversations, {many['selects']} for {many['rows']} "
            f"(warm call {many['warm_p50_ms']:.0f} ms)",
            target,
            "yes" if flat else "no",
        )
    ]


def ready_rows(rd: dict[str, Any] | None, why: str) -> list[Row]:
    names = (
        "readiness: /readyz 200 only when warm",
        "`kefu serve` prints when ready",
        "time to ready",
        "first turns right after ready",
    )
    targets = ("503 until the models (and the LLM) are warm", "a `Kefu ready on …` line", "reported", "answered")
    if not rd or rd.get("ready_s") is None:
        why = why if not rd else f"never ready (exit {rd.get('exited')})"
        return [_missing(n, t, why) for n, t in zip(names, targets, strict=True)]
    checks = rd.get("ready_checks") or {}
    warm = checks.get("models") is True and checks.get("llm") in (True, "none")
    llm = rd.get("llm", "none")
    turns = rd.get("turns", [])
    answered = bool(turns) and all(t["status"] == 200 and not t.get("failed") for t in turns)
    # a template because the model was not there (a timeout, a refusal), not because its words failed a check
    cold = [t for t in turns if (t.get("fallback") or "").startswith("llm_") and t.get("fallback") != "llm_empty"]
    said = ", ".join(
        f"{t['language']} {t['status']} in {t['seconds']:.2f} s ({t.get('source')}"
        + (f", fallback {t['fallback']})" if t.get("fallback") else ")")
        for t in turns
    )
    line = rd.get("ready_line")
    return [
        Row(
            names[0],
            f"503 {rd['not_ready_answers']}× over {rd['not_ready_s']:.1f} s while warming, then 200 {checks}"
            if rd["not_ready_answers"]
            else f"200 from its first answer (warmed before the port opened) {checks}",
            targets[0],
            "yes" if warm else "no",
        ),
        Row(names[1], f"`{line}`" if line else "no line", targets[1], "yes" if line else "no"),
        Row(
            f"{names[2]} (LLM {llm})",
            f"{rd['ready_s']:.1f} s after start (port open at {rd['listening_s'] or float('nan'):.1f} s)",
            "reported",
            REPORTED,
        ),
        Row(
            names[3],
            said or "none sent",
            "answered" + (", no fallback for want of the LLM" if llm != "none" else ""),
            "yes" if answered and not cold else "no",
        ),
    ]


def fault_table(outcomes: list[dict[str, Any]] | None) -> list[tuple[str, ...]]:
    rows = []
    for o in outcomes or []:
        if not o.get("name", "").startswith("fault:"):
            continue
        lost = losses(o)
        rec = _number(o.get("recovery_s"))
        zero = o.get("bad", sum(v for k, v in lost.items() if k != "refused_at_end")) == 0
        rows.append(
            (
                o["name"].removeprefix("fault: "),
                str(o.get("failed_turns", 0)),
                "-" if rec is None else f"{rec:.1f}",
                str(lost["lost"]),
                str(lost["duplicated"]),
                str(lost["unanswered"]),
                str(lost["out_of_order"]),
                str(lost["unseen"]),
                f"{o.get('answered', 0)}/{o.get('turns', 0)}",
                "yes" if zero else "no",
            )
        )
    return rows


def voice_rows(v: dict[str, Any] | None, why: str) -> list[Row]:
    names = (
        "end of speech → first audio p50",
        "end of speech → first audio p95",
        "ASR real-time factor p50",
        "concurrent calls with p95 < 1 s (one process)",
    )
    if not v:
        return [
            _missing(n, t, why) for n, t in zip(names, ("≤ 500 ms", "< 1,000 ms", "reported", "reported"), strict=True)
        ]
    # the bench gives p95 = inf when a call got no reply audio: a failure, not a missing figure
    missed = v["first_audio_p95_s"] == math.inf
    p50, p95 = _number(v["first_audio_p50_s"]), _number(v["first_audio_p95_s"]) if not missed else None

    def ms(x: float | None) -> str:
        return f"{x * 1000:.0f} ms" if x is not None else "none"

    unanswered = "; a call got no reply audio" if missed else ""
    langs = v.get("by_language", {})

    def per_language(key: str) -> str:  # the same figure over each language's calls (zh and en questions alternate)
        parts = [f"{lang} {ms(_number(f[key]))}" for lang, f in langs.items() if f.get(key) != math.inf]
        return f" ({', '.join(parts)}; {v.get('calls', '?')} calls)" if parts else ""

    return [
        Row(names[0], ms(p50) + per_language("p50_s") + unanswered, "≤ 500 ms",
            "no" if missed else judge(p50, lambda x: x <= 0.5)),
        Row(names[1], ms(p95) + per_language("p95_s") + unanswered, "< 1,000 ms",
            "no" if missed else judge(p95, lambda x: x < 1.0)),
        Row(
            names[2],
            f"{v['asr_rtf_p50']:.2f} (p95 {v['asr_rtf_p95']:.2f}; < 1 keeps up with speech)",
            "reported",
            REPORTED,
        ),
        Row(names[3], f"{v['concurrent_calls']} (tried up to {v['max_calls']})", "reported", REPORTED),
    ]


def issue17_rows(results: dict[str, Any], runs: dict[str, Any]) -> list[Row]:
    return [
        *turn_rows(results.get("turn"), _why(runs, "turn")),
        *llm_rows(results.get("llm"), _why(runs, "llm")),
        *load_rows(results.get("load"), _why(runs, "load")),
        *retrieval_rows(results.get("retrieval"), _why(runs, "retrieval")),
        *live_rows(results.get("live"), _why(runs, "live")),
        *ready_rows(results.get("ready"), _why(runs, "ready")),
    ]


# ------------------------------------------------------------------ rendering


def markdown(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def report(results: dict[str, Any], runs: dict[str, Any], *, quick: bool, when: str, load: float) -> str:
    """The whole page: issue 17's table, the fault runs, issue 16's voice figures, and the runs themselves."""
    rows = issue17_rows(results, runs)
    met = sum(r.met == "yes" for r in rows)
    judged = [r for r in rows if r.met != REPORTED and not r.target.startswith("reported")]
    out = [
        f"# Issue 17: figures and targets ({'quick sizes' if quick else 'full sizes'}, {when})",
        "",
        f"{os.cpu_count()} cores, load average {load:.1f} at the end; every figure from one run of "
        "`bench/targets.py`. The machine is shared: wall-clock figures carry its load (CPU time beside them).",
        "",
        markdown(("figure", "measured", "target", "met?"), [(r.figure, r.measured, r.target, r.met) for r in rows]),
        "",
        f"{met} of {len(judged)} targets met; "
        f"{sum(r.met == 'no' for r in judged)} not met; {sum(r.met.startswith('n/a') for r in judged)} n/a "
        f"(measured below the target's size); {sum(r.met == NOT_MEASURED for r in judged)} not measured.",
        "",
    ]
    faults = fault_table(results.get("load"))
    out += ["## Fault runs (production shape, during load)", ""]
    if faults:
        out += [
            markdown(
                (
                    "fault",
                    "failed turns",
                    "recovery s",
                    "lost",
                    "duplicated",
                    "unanswered",
                    "out of order",
                    "reply not seen",
                    "answered",
                    "all zero?",
                ),
                faults,
            ),
            "",
            "lost: accepted or sent and not in the event log; unanswered: in the log without a reply; "
            "reply not seen: the client never received the reply on its socket. All must be 0.",
            "",
        ]
    else:
        out += [f"not measured: {_why(runs, 'load')}", ""]
    out += [
        "## Voice (issue 16)",
        "",
        markdown(
            ("figure", "measured", "target", "met?"),
            [(r.figure, r.measured, r.target, r.met) for r in voice_rows(results.get("voice"), _why(runs, "voice"))],
        ),
        "",
    ]
    if runs:
        out += [
            "## Runs",
            "",
            markdown(
                ("bench", "command", "exit", "wall s", "CPU s"),
                [
                    (
                        k,
                        f"`{r['command']}`",
                        "timed out" if r.get("timed_out") else str(r["exit"]),
                        f"{r['wall_s']:.0f}",
                        f"{r['cpu_s']:.0f}",
                    )
                    for k, r in runs.items()
                ],
            ),
            "",
        ]
    return "\n".join(out)


def broken(results: dict[str, Any], runs: dict[str, Any]) -> list[str]:
    """Why the run must fail: a fault or load run that lost, duplicated or left unanswered a message; a bench that
    exited with an error and no figures."""
    out = [
        f"{o['name']}: lost / duplicated / unanswered not all 0" for o in results.get("load") or [] if o.get("bad", 0)
    ]
    out += [f"{k}: exit {r['exit']}, no figures" for k, r in runs.items() if r["exit"] != 0 and results.get(k) is None]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (minutes, not hours)")
    parser.add_argument("--only", help=f"comma-separated benches to run: {','.join(s.key for s in STEPS)}")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "issue17.md")
    parser.add_argument("--from", dest="source", type=Path, help="a run's JSON folder: print its tables, run nothing")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so a running bench's group is stopped too
    keys = [s.key for s in STEPS]
    only = set(args.only.split(",")) if args.only else set(keys)
    if only - set(keys):
        parser.error(f"unknown bench: {', '.join(sorted(only - set(keys)))}")
    out_dir = args.source or args.out.with_suffix("")
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.source:  # an earlier run's figures, as they were
        runs = json.loads((out_dir / "runs.json").read_text()) if (out_dir / "runs.json").exists() else {}
        meta = json.loads((out_dir / "run.json").read_text()) if (out_dir / "run.json").exists() else {}
        meta = {"quick": False, "when": "time unknown", "load": math.nan, **meta}
    else:
        runs = {step.key: run_step(step, out_dir, quick=args.quick) for step in STEPS if step.key in only}
        for step in STEPS:  # figures of a bench not run now must not pass for this run's
            if step.key not in only:
                (out_dir / f"{step.key}.json").unlink(missing_ok=True)
        meta = {
            "quick": args.quick,
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load": os.getloadavg()[0],
        }
        (out_dir / "runs.json").write_text(json.dumps(runs, indent=1))
        (out_dir / "run.json").write_text(json.dumps(meta))
    results = read_results(out_dir)
    page = report(results, runs, quick=meta["quick"], when=meta["when"], load=meta["load"])
    print("\n" + page)
    if not args.source:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(page + "\n")
        print(f"(written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out})")
    problems = broken(results, runs)
    for p in problems:
        print(f"FAILED: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
