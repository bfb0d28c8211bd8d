"""NLU fixtures built once per session (the trained NLU itself is `trained_nlu`, in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def intent_eval_rows() -> dict[str, dict]:
    """The intent classifier's held-out evaluation over the data sets, by data set (bitext, kefu_zh)."""
    from agent.training.nlu_eval import evaluate_intents
    from tests.datasets import DATA

    return {r["dataset"]: r for r in evaluate_intents(DATA)}
