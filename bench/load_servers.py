"""The processes `bench/load.py` runs against, all on 127.0.0.1 and all its own: `kefu serve` workers, and for the
production shape a PostgreSQL cluster and a Redis of the bench's own (so restarting them never disturbs anyone
else's database), and a fake OpenAI-compatible LLM (`bench/load_llm.py`) that can be made to stall or refuse.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEFU = Path(sys.executable).with_name("kefu")
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), Path("/usr/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far, all its threads (0 once it has gone)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (all cores, every process: not idle, not waiting on I/O)."""
    with contextlib.suppress(OSError, ValueError):
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait
    return 0.0


def rss_mb(pid: int) -> float:
    """Resident memory of a process (MB), 0 once it has gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Server:
    """One `kefu serve` worker; `start` returns once it printed its `Kefu ready on …` line."""

    def __init__(self, env: dict[str, str], log: Path, port: int | None = None) -> None:
        self.env, self.log, self.port = env, log, port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_s = 0.0
        self.final_cpu_s = 0.0

    @classmethod
    def running(cls, base: str) -> Server:
        """A server started by someone else (no process to watch: its memory is not measured)."""
        return cls({}, Path(os.devnull), port=int(base.rsplit(":", 1)[1].rstrip("/")))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 300) -> Server:
        t0 = time.monotonic()
        with self.log.open("a") as out:
            self.proc = subprocess.Popen([str(KEFU), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                         cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        while time.monotonic() - t0 < timeout_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kefu serve exited {self.proc.returncode}: {self.log.read_text()[-3000:]}")
            if f"Kefu ready on {self.base}" in self.log.read_text(errors="replace"):
                self.ready_s = time.monotonic() - t0
                return self
            time.sleep(0.2)
        raise RuntimeError(f"kefu serve not ready in {timeout_s} s: {self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        if self.proc is not None:
            self.final_cpu_s = cpu_s(self.proc.pid)  # what it had used (counted after it is gone)
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid) if self.proc is not None else 0.0

    def cpu_s(self) -> float:
        """CPU seconds the worker has used (0 for a server started by someone else: not measured); a killed one's
        as it was when it was killed."""
        if self.proc is None:
            return 0.0
        return self.final_cpu_s if self.proc.poll() is not None else cpu_s(self.proc.pid)


class Postgres:
    """A throwaway PostgreSQL cluster on a free port (run as the `postgres` user when the bench runs as root)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="kefu-bench-pg-"))
        self.data = self.dir / "data"
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        cmd = [str(PG_BIN / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> Postgres:
        if self.user:
            shutil.chown(self.dir, self.user, self.user)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self._pg_ctl("start")
        return self

    def _pg_ctl(self, action: str) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-o", opts, "-w", "-m", "fast",
                  action)

    def restart(self) -> None:
        self._pg_ctl("restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("stop")
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    """A Redis of the bench's own; `drop(seconds)` stops it and starts it again with the same command line."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        self.proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return self
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class FakeLLM:
    """`bench/load_llm.py` in its own process: `ok` answers at once, `stall` never answers; `refuse` is no process
    at all (connection refused)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def mode(self, mode: str) -> None:
        self.stop()
        if mode == "refuse":
            return
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("load_llm.py")), str(self.port),
                                      mode])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.05)
        raise RuntimeError("fake LLM did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
