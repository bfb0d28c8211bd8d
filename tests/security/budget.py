"""How hard the attack suite tries: a short budget in `make test`, a long one in `make bench`
(`KEFU_ATTACK_BUDGET=long`, see bench/bench_attacks.py). Every random choice is seeded, so a run repeats."""

from __future__ import annotations

import os

LONG = os.environ.get("KEFU_ATTACK_BUDGET", "short") == "long"
SEED = int(os.environ.get("KEFU_ATTACK_SEED", "1111"))

SCHEMA_EXAMPLES = 300 if LONG else 6  # schemathesis cases per operation and per credential
FUZZ_FRAMES = 3000 if LONG else 150  # random frames per socket
FLOOD_FRAMES = 2000 if LONG else 200  # frames sent back to back in a flood
