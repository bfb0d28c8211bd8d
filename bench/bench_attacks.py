"""The attack suite with its long budget: schemathesis with hundreds of cases per operation and
credential, thousands of fuzzed socket frames and floods, 8 MB frames (tests/security/budget.py). Prints how
long each part took and what pytest said; the short budget runs in `make test`.

    .venv/bin/python bench/bench_attacks.py [--seed N] [pytest args…]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = {
    "schemathesis": "tests/security/test_schema_fuzz.py",
    "socket fuzzer": "tests/security/test_socket_fuzz.py",
    "sql metacharacters": "tests/security/test_sql_metachars.py",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1111)
    args, extra = parser.parse_known_args()
    env = {**os.environ, "KEFU_ATTACK_BUDGET": "long", "KEFU_ATTACK_SEED": str(args.seed)}
    failed = 0
    for name, path in PARTS.items():
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "pytest", path, "-q", "-p", "no:cacheprovider", *extra],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"{name:20s} {time.monotonic() - started:7.1f} s  {summary}")
        if done.returncode:
            failed += 1
            print(done.stdout[-4000:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
