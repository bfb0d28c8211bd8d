"""The training and evaluation data sets (`KEFU_DATA_DIR`, else ../shared/data beside the clone).

Outside CI they may be absent, and the tests that read them skip (`needs_data`); in CI a missing set fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.training.intents import default_data_dir

DATA = default_data_dir()
HAVE_DATA = (DATA / "bitext_customer_support" / "train.csv").is_file()
needs_data = pytest.mark.skipif(not HAVE_DATA and not os.environ.get("CI"), reason=f"data sets not found at {DATA}")


def shared_data(*sets: str) -> Path:
    """The configured data folder (`Settings().training.data_dir`) once it holds `sets`: the test skips without them
    outside CI; in CI, where the shared data sets are part of the machine, their absence fails it."""
    from server.settings import Settings

    data_dir = Settings().training.data_dir
    if not data_dir.is_dir() or not all((data_dir / name).is_dir() for name in sets):
        if os.environ.get("CI"):
            pytest.fail(f"data sets not found at {data_dir} (CI needs shared/ beside the clone)")
        pytest.skip(f"data sets not found at {data_dir}")
    return data_dir
