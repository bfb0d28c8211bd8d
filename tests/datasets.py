"""The training and evaluation data sets (`KEFU_DATA_DIR`, else ../shared/data beside the clone).

Outside CI they may be absent, and the tests that read them skip (`needs_data`); in CI a missing set fails.
"""

from __future__ import annotations

import os

import pytest

from agent.training.intents import default_data_dir

DATA = default_data_dir()
HAVE_DATA = (DATA / "bitext_customer_support" / "train.csv").is_file()
needs_data = pytest.mark.skipif(not HAVE_DATA and not os.environ.get("CI"), reason=f"data sets not found at {DATA}")
