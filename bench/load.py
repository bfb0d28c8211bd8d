"""Load and fault bench (issue 17): real chat sockets from separate client processes against real `kefu serve`.

Embedded default: one worker on SQLite. Production shape: two workers on their own PostgreSQL cluster and Redis
(started by the bench, so their restarts disturb nobody), the LLM an OpenAI-compatible fake (`load_llm.py`); the
client processes spread their sockets over both workers. Each run ramps to `--sockets` sockets (a signed customer,
`auth`, `ready`, `resume` each), then sends a steady zh/en mix at `--rate` turns/s for `--duration` s, then checks
every conversation's event log: each accepted message there exactly once, in order, with a reply. A message the
server refuses as `busy` (admission control) is sent again until accepted, for at most `--drain` s after the steady
phase; one still refused then is reported apart (`refused at end`), not as lost: the server recorded nothing of it.

Fault runs (production shape, during load): `kill` (kill -9 one worker: its clients reconnect to the other and
resume by seq), `pg` (one PostgreSQL restart), `redis` (Redis stopped for 5 s, started again on the same port),
`llm` (the LLM stalls 10 s, then refuses 10 s, then answers again). Each reports failed turns, recovery time and
the lost / duplicated / unanswered counts, which must be 0. They run `--fault-sockets` sockets at `--fault-rate`
turns/s, below capacity, so the recovery measured is the fault's and not a queue's. Everything on 127.0.0.1; every
loop is bounded.

    .venv/bin/python bench/load.py                                   # embedded, 5,000 sockets, 60 s
    .venv/bin/python bench/load.py --shape both --faults all         # what `make bench` runs
    .venv/bin/python bench/load.py --sockets 200 --duration 20 --shape production --faults kill
    .venv/bin/python bench/load.py --sockets 20 --turns 2 --json out.json   # the test's tiny run
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from load_client import Plan, run
from load_servers import FakeLLM, Postgres, Redis, Server, machine_busy_s
from timing import pct

SECRET = "kefu-load-bench-secret"
TARGET_TURNS_PER_S = 200.0
TARGET_P99_MS = 150.0
FAULT_AT_S = 5.0  # into the steady phase


@dataclass
class Outcome:
    """One run's figures."""

    name: str
    sockets: int = 0
    opened: int = 0
    ramp_s: float = 0.0
    turns: int = 0
    answered: int = 0
    turns_per_s: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    kb_per_socket: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    log: dict[str, int] = field(default_factory=dict)
    reconnects: int = 0
    failed_turns: int = 0
    recovery_s: float | None = None
    stray_replies: int = 0
    skipped_ticks: int = 0
    keepalive_retries: int = 0  # conversation starts sent again after the server closed an idle pooled connection
    busy: int = 0  # turns the server shed as `busy` (not recorded), which the client sent again after the back-off
    fault_at: float | None = None
    # CPU (all threads) over the steady phase and its drain: stable under shared load, unlike turns/s
    server_cpu_ms_per_turn: float = 0.0  # the servers' CPU / turns answered (idle sockets' upkeep included)
    server_cpu_ms_per_socket: float = 0.0  # the servers' CPU while the sockets were opened, per socket
    server_cores: float = 0.0  # the servers' CPU / wall time: how many of the machine's cores they kept busy
    client_cpu_ms_per_turn: float = 0.0
    client_cpu_share: float = 0.0  # the load clients' share of the CPU the servers and clients used
    other_cores: float = 0.0  # cores busy with anything else on the machine meanwhile
    detail: list[tuple[float, float | None, int, float]] = field(default_factory=list)  # per turn, for --json

    def bad(self) -> int:
        """Lost + duplicated + out of order + unanswered (log) + turns the client never saw answered, except those
        the server was still refusing as `busy` when the drain ended (admission control shed them, nothing was
        recorded: `refused_at_end`, reported apart)."""
        log = self.log
        return (log.get("lost", 0) + log.get("duplicated", 0) + log.get("out_of_order", 0)
                + log.get("unanswered", 0) + log.get("log_unreadable", 0) + log.get("undelivered", 0)
                + (self.turns - self.answered - log.get("refused_at_end", 0)))


def raise_open_files(sockets: int) -> None:
    """Each socket is a descriptor in a client and one in a server (children inherit this limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, sockets * 2 + 1024)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < sockets + 512:
        print(f"warning: open-file limit {hard} is low for {sockets} sockets", file=sys.stderr)


def load_run(name: str, servers: list[Server], customers: list[str], args: argparse.Namespace, *, sockets: int,
             duration_s: float, rate: float, fault: Callable[[], None] | None = None) -> Outcome:
    """Ramp, steady phase (with `fault()` run FAULT_AT_S into it), drain, event-log check; the figures."""
    bases = [s.base for s in servers]
    procs = max(1, min(args.clients, sockets))
    ctx = mp.get_context("spawn")
    outbox = ctx.Queue()
    inboxes = [ctx.Queue() for _ in range(procs)]
    plans = [Plan(index=i, bases=bases, sockets=sockets // procs + (i < sockets % procs),
                  ramp_per_s=args.ramp_rate / procs, rate_per_s=rate / procs, duration_s=duration_s,
                  turns_per_socket=args.turns, drain_s=args.drain, secret=args.secret, customers=customers, seed=i)
             for i in range(procs)]
    rss_before = sum(s.rss_mb() for s in servers)
    cpu_before_ramp = sum(s.cpu_s() for s in servers)
    workers = [ctx.Process(target=run, args=(p, inboxes[i], outbox), daemon=True) for i, p in enumerate(plans)]
    for w in workers:
        w.start()
    out = Outcome(name, sockets=sockets)
    ramp_timeout = 4 * sockets / args.ramp_rate + 300  # a loaded server opens them slower than asked
    for _ in plans:
        _, _, opened, ramp_s = outbox.get(timeout=ramp_timeout)
        out.opened += opened
        out.ramp_s = max(out.ramp_s, ramp_s)
    rss_after = sum(s.rss_mb() for s in servers if s.proc is not None and s.proc.poll() is None)
    out.kb_per_socket = max(0.0, rss_after - rss_before) * 1024 / max(1, out.opened)
    out.server_cpu_ms_per_socket = (sum(s.cpu_s() for s in servers) - cpu_before_ramp) * 1000 / max(1, out.opened)
    start_at = time.time() + 1.0
    for box in inboxes:
        box.put(start_at)
    time.sleep(max(0.0, start_at - time.time()))
    cpu_at_start, busy_at_start = sum(s.cpu_s() for s in servers), machine_busy_s()
    fault_at = None
    faulting = None
    if fault is not None:  # in a thread: the steady phase's end is read off the clients while the fault runs
        time.sleep(max(0.0, start_at + FAULT_AT_S - time.time()))
        fault_at = time.time()
        faulting = threading.Thread(target=fault, name="fault")
        faulting.start()
    results: list[dict[str, Any]] = []
    client_cpu, steady_end, server_cpu, machine_busy, steady = 0.0, start_at, 0.0, 0.0, 0
    for _ in range(2 * len(plans)):  # each client says `steady` (its turns are over), then `done` (log checked)
        kind, _, *rest = outbox.get(timeout=duration_s + args.drain + 600)
        if kind == "steady":
            steady += 1
            client_cpu += rest[0]
            steady_end = max(steady_end, rest[1])
            if steady == len(plans):  # read before the log checks, which cost the servers too
                server_cpu = sum(s.cpu_s() for s in servers) - cpu_at_start
                machine_busy = machine_busy_s() - busy_at_start
        else:
            results.append(rest[0])
    if faulting is not None:
        faulting.join()
    for w in workers:
        w.join(timeout=30)
    _figures(out, results, start_at, fault_at)
    out.fault_at = fault_at
    _cpu_figures(out, server_cpu, client_cpu, steady_end - start_at)
    # what else ran meanwhile (other people's work on a shared machine), in cores: the caveat beside every figure
    out.other_cores = max(0.0, machine_busy - server_cpu - client_cpu) / max(1e-6, steady_end - start_at)
    out.detail = sorted((t for r in results for t in r["turns"]), key=lambda t: t[0])
    return out


def _figures(out: Outcome, results: list[dict[str, Any]], start_at: float, fault_at: float | None) -> None:
    turns = [t for r in results for t in r["turns"]]
    done = [(sent, lat) for sent, lat, _, _ in turns if lat is not None]  # (sent, latency) of answered turns
    out.turns, out.answered = len(turns), len(done)
    if done:
        end = max(sent + lat for sent, lat in done)
        out.turns_per_s = len(done) / max(1e-6, end - start_at)
        lat_ms = [lat * 1000 for _, lat in done]
        out.p50_ms, out.p95_ms, out.p99_ms = (pct(lat_ms, q) for q in (0.5, 0.95, 0.99))
    for r in results:
        for k, v in r["errors"].items():
            out.errors[k] = out.errors.get(k, 0) + v
        for k, v in r["log"].items():
            out.log[k] = out.log.get(k, 0) + v
        out.reconnects += r["reconnects"]
        out.stray_replies += r["stray_replies"]
        out.skipped_ticks += r["skipped_ticks"]
        out.keepalive_retries += r["keepalive_retries"]
        out.busy += r.get("busy", 0)
    out.failed_turns = out.log.get("failed", 0) + sum(1 for _, _, errs, _ in turns if errs)
    if fault_at is not None:
        out.recovery_s = recovery(turns, fault_at)


def _cpu_figures(out: Outcome, server_cpu_s: float, client_cpu_s: float, window_s: float) -> None:
    if out.answered:
        out.server_cpu_ms_per_turn = server_cpu_s * 1000 / out.answered
        out.client_cpu_ms_per_turn = client_cpu_s * 1000 / out.answered
    out.server_cores = server_cpu_s / max(1e-6, window_s)
    out.client_cpu_share = client_cpu_s / max(1e-6, client_cpu_s + server_cpu_s)


def recovery(turns: list[tuple[float, float | None, int, float]], fault_at: float, *, gap_s: float = 5.0) -> float:
    """Seconds from the fault to the end of the trouble it caused: error frames, sockets dropped under a pending
    message, turns never answered, replies slower than 3x the p99 before the fault (at least 1 s); each counted
    while it starts within `gap_s` of the trouble before it (a lone slow reply much later is the machine's load,
    not the fault's)."""
    before = [lat for sent, lat, _, _ in turns if lat is not None and sent < fault_at - 1]
    slow = max(1.0, 3 * pct(before, 0.99)) if before else 1.0
    trouble: list[tuple[float, float]] = []  # (start, end), wall clock
    for sent, lat, _, error_at in turns:
        if error_at >= fault_at:
            trouble.append((error_at, error_at if lat is None else max(error_at, sent + lat)))
        if (lat is None or lat > slow) and sent + (lat or 0.0) >= fault_at:
            trouble.append((max(sent, fault_at), sent + (lat or 0.0)))
    end = fault_at
    for start, stop in sorted(trouble):
        if start > end + gap_s:
            break
        end = max(end, stop)
    return end - fault_at


# ------------------------------------------------------------------ shapes


def _store(args: argparse.Namespace, work: Path) -> tuple[str, Path]:
    """A demo store dated today (SQLite, in `work`) and the index of the shipped documents (reused if there)."""
    from knowledge.ingest import default_docs_dir, ingest
    from server.demo.build import build_demo_store

    url = f"sqlite:///{work / 'kefu.db'}"
    build_demo_store(url, seed=7, as_of=datetime.now(UTC).date(), customers=args.customers, orders=args.orders)
    index = args.index_dir or work / "index"
    if not (index / "manifest.json").exists():
        ingest([default_docs_dir()], index, progress=False)
    return url, index


def _base_env(db_url: str, index: Path, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update({"KEFU_DATABASE_URL": db_url, "KEFU_INDEX_DIR": str(index), "KEFU_RULES_DIR": str(work / "rules"),
                "KEFU_IDENTITY_SECRET": SECRET, "KEFU_RATE_LIMITS": "off", "KEFU_LOG_LEVEL": "WARNING",
                "KEFU_LLM": "none"})
    return env


def _customers(url: str, n: int) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        ids = [row[0] for row in conn.execute(text("SELECT id FROM customers ORDER BY id LIMIT :n"), {"n": n})]
    engine.dispose()
    return ids


def embedded(args: argparse.Namespace, store: tuple[str, Path], work: Path) -> list[Outcome]:
    url, index = store
    server = Server(_base_env(url, index, work), work / "embedded.log").start()
    print(f"embedded: ready in {server.ready_s:.1f} s", file=sys.stderr)
    try:
        return [load_run("embedded (SQLite, 1 worker)", [server], _customers(url, 200), args,
                         sockets=args.sockets, duration_s=args.duration, rate=args.rate)]
    finally:
        server.stop()


def production(args: argparse.Namespace, index: Path, work: Path) -> list[Outcome]:
    from server.demo.build import build_demo_store

    pg, redis, llm = Postgres().start(), Redis().start(), FakeLLM()
    servers: list[Server] = []
    try:
        llm.mode("ok")
        build_demo_store(pg.url, seed=7, as_of=datetime.now(UTC).date(), customers=args.customers,
                         orders=args.orders)
        env = {**_base_env(pg.url, index, work), "KEFU_REDIS_URL": redis.url, "KEFU_REDIS_PREFIX": "kefu-bench:",
               "KEFU_LLM": "openai", "KEFU_LLM__BASE_URL": llm.base_url, "KEFU_LLM__MODEL": "fake",
               "KEFU_LLM__MAX_CONCURRENCY": "16"}  # a vLLM server batches; the default 1 is for the local model
        servers = [Server(env, work / f"worker-{n}.log") for n in "ab"]
        for s in servers:
            s.start()
        print(f"production: ready in {', '.join(f'{s.ready_s:.1f} s' for s in servers)}", file=sys.stderr)
        customers = _customers(pg.url, 200)
        shape = "production (PostgreSQL, Redis, 2 workers)"
        outcomes = []
        if args.shape in ("production", "both"):
            outcomes.append(load_run(shape, servers, customers, args, sockets=args.sockets,
                                     duration_s=args.duration, rate=args.rate))

        def redis_drop() -> None:
            redis.stop()
            time.sleep(5)
            redis.start()

        def llm_stall_refuse() -> None:
            llm.mode("stall")
            time.sleep(10)
            llm.mode("refuse")
            time.sleep(10)
            llm.mode("ok")

        faults: dict[str, tuple[str, Callable[[], None]]] = {
            "redis": ("fault: Redis down 5 s", redis_drop),
            "pg": ("fault: PostgreSQL restart", pg.restart),
            "llm": ("fault: LLM stalls 10 s, refuses 10 s", llm_stall_refuse),
            "kill": ("fault: kill -9 one of 2 workers", servers[0].kill9),  # last: it leaves one worker
        }
        for key in [k for k in faults if k in args.fault_list]:
            label, act = faults[key]
            print(f"{label} ...", file=sys.stderr)
            outcomes.append(load_run(label, servers, customers, args, sockets=args.fault_sockets,
                                     duration_s=args.fault_duration, rate=args.fault_rate, fault=act))
        return outcomes
    finally:
        for s in servers:
            s.stop()
        llm.stop()
        redis.stop()
        pg.stop()


# ------------------------------------------------------------------ report


def table(outcomes: list[Outcome]) -> str:
    rows = [("run", "sockets", "turns/s", "p50 ms", "p95 ms", "p99 ms", "srv CPU ms/turn", "srv cores", "client CPU",
             "KB/socket", "errors", "failed", "recovery s", "lost", "dup", "unanswered", "refused at end")]
    for o in outcomes:
        log = o.log
        rows.append((o.name, f"{o.opened}/{o.sockets}", f"{o.turns_per_s:.0f}", f"{o.p50_ms:.0f}", f"{o.p95_ms:.0f}",
                     f"{o.p99_ms:.0f}", f"{o.server_cpu_ms_per_turn:.1f}", f"{o.server_cores:.2f}",
                     f"{o.client_cpu_share:.0%}", f"{o.kb_per_socket:.0f}", str(sum(o.errors.values())),
                     str(o.failed_turns),
                     "-" if o.recovery_s is None else f"{o.recovery_s:.1f}",
                     str(log.get("lost", 0)), str(log.get("duplicated", 0)),
                     str(log.get("unanswered", 0) + log.get("out_of_order", 0) + log.get("log_unreadable", 0)),
                     str(log.get("refused_at_end", 0))))
    rows.append(("target (issue 17)", "5000", f">= {TARGET_TURNS_PER_S:.0f}", "", "", f"<= {TARGET_P99_MS:.0f}", "",
                 "", "", "", "", "", "", "0", "0", "0", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--ramp-rate", type=float, default=250.0, help="sockets opened per second")
    parser.add_argument("--rate", type=float, default=250.0, help="turns per second offered (all clients)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of steady turns")
    parser.add_argument("--turns", type=int, default=0, help="at most this many turns per socket (0: no cap)")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds to wait for replies after the steady phase")
    parser.add_argument("--shape", choices=["embedded", "production", "both"], default="embedded")
    parser.add_argument("--faults", default="none", help="kill,pg,redis,llm | all | none (production shape)")
    parser.add_argument("--fault-sockets", type=int, default=500)
    parser.add_argument("--fault-duration", type=float, default=40.0)
    parser.add_argument("--fault-rate", type=float, default=20.0,
                        help="turns/s during fault runs (below capacity, so recovery is the fault's, not a queue's)")
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--index-dir", type=Path, help="the knowledge index to serve (built here if missing)")
    parser.add_argument("--base", action="append", help="run against this running server instead (repeatable)")
    parser.add_argument("--database-url", help="with --base: the store whose customers the clients sign in as")
    parser.add_argument("--secret", default=SECRET, help="with --base: the server's KEFU_IDENTITY_SECRET")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    args.fault_list = ["kill", "pg", "redis", "llm"] if args.faults == "all" else \
        [f for f in args.faults.split(",") if f and f != "none"]
    raise_open_files(max(args.sockets, args.fault_sockets))
    work = Path(tempfile.mkdtemp(prefix="kefu-load-"))
    outcomes: list[Outcome] = []
    if args.base:  # servers someone else started (the test's live server): its store lists the customers
        servers = [Server.running(base) for base in args.base]
        outcomes.append(load_run(f"given server{'s' * (len(servers) > 1)}", servers,
                                 _customers(args.database_url, 200), args, sockets=args.sockets,
                                 duration_s=args.duration, rate=args.rate))
    else:
        store = _store(args, work)
        if args.shape in ("embedded", "both"):
            outcomes += embedded(args, store, work)
        if args.shape in ("production", "both") or args.fault_list:
            outcomes += production(args, store[1], work)
    print(f"\nLoad bench ({os.cpu_count()} cores, client processes on the same machine; logs in {work})")
    print(table(outcomes))
    for o in outcomes:
        print(f"  {o.name}: servers {o.server_cpu_ms_per_turn:.1f} ms CPU per turn, "
              f"{o.server_cpu_ms_per_socket:.1f} ms per socket opened; clients {o.client_cpu_ms_per_turn:.1f} ms CPU "
              f"per turn; other processes kept {o.other_cores:.2f} of {os.cpu_count()} cores busy meanwhile")
    for o in outcomes:
        if o.errors or o.busy or o.turns != o.answered:
            print(f"  {o.name}: {o.answered}/{o.turns} turns answered on their socket, undelivered "
                  f"{o.log.get('undelivered', 0)}; errors {o.errors}; reconnects {o.reconnects}; "
                  f"shed as busy and sent again {o.busy}; still refused as busy when the drain ended "
                  f"{o.log.get('refused_at_end', 0)} (not recorded by the server: admission control, not a loss)")
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ | {"bad": o.bad()} for o in outcomes], indent=1))
    if any(o.bad() for o in outcomes):
        sys.exit(1)


if __name__ == "__main__":
    main()
