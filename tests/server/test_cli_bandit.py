"""`kefu train bandit` and `kefu eval bandit` on an event log: lists served in random order, customers who buy
one product whenever it is shown. The rebuilt policy learns it, the offline evaluation on the lists it did not
learn from says it beats the logged policy (with its interval), and the live policy file is written only with
`--switch` and only when the candidate clears the bar."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from agent.events import ConversationStarted, Event, ProductInteracted, RecommendationShown
from server.cli import app
from server.db.conversations import ConversationRepository
from server.db.engine import make_engine, make_session_factory
from server.db.events import SqlEventStore
from server.db.migrate import upgrade
from server.settings import get_settings
from tools.marketing.bandit import Candidate, LinearThompson, Uniform, rank

pytestmark = pytest.mark.integration
PRODUCTS = [Candidate(f"P{i}", source=("popular", "model")[i % 2], score=1.0 - i / 10, category="phone_case",
                      price_band=("low", "mid", "high")[i % 3]) for i in range(5)]
CONTEXT = {"segment": "anonymous", "language": "zh", "category": "phone_case", "session": "none"}


@pytest.fixture(scope="module")
def log_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """300 conversations, each shown three of five cases in uniformly random order; P3 is bought 80% of the
    times it is shown, anything else is looked at now and then."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bandit-log') / 'kefu.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    conversations, store = ConversationRepository(sessions), SqlEventStore(sessions)
    rng = np.random.default_rng(11)
    for _ in range(300):
        cid, _ = conversations.create(channel="web")
        served = rank(Uniform(), CONTEXT, PRODUCTS, rng, slots=3)
        shown = served.ranking[:3]
        events: list[Event] = [
            ConversationStarted(conversation_id=cid, channel="web"),
            RecommendationShown(conversation_id=cid, product_ids=shown, source="recommend", bandit=served.to_payload()),
        ]
        if "P3" in shown and rng.random() < 0.8:
            events.append(ProductInteracted(conversation_id=cid, kind="purchased", product_id="P3"))
        elif rng.random() < 0.1:
            events.append(ProductInteracted(conversation_id=cid, kind="viewed", product_id=shown[0]))
        store.append_sync(cid, events)
    engine.dispose()
    return url


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "live" / "policy.npz"
    monkeypatch.setenv("KEFU_BANDIT_POLICY_PATH", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def kefu(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def test_train_then_evaluate_then_switch_on_only_when_better(log_url: str, live: Path, tmp_path: Path) -> None:
    candidate = tmp_path / "candidate.npz"
    trained = kefu("train", "bandit", "--database-url", log_url, "--out", str(candidate), "--holdout", "0.3")
    assert trained.exit_code == 0, trained.output
    assert "learnt from 210 lists" in trained.output and "90 newer lists held out" in trained.output
    policy = LinearThompson.load(candidate)
    assert policy.info["lists"] == 210
    assert PRODUCTS[int(np.argmax(policy.preference(CONTEXT, PRODUCTS)))].product_id == "P3"

    judged = kefu("eval", "bandit", "--database-url", log_url, "--candidate", str(candidate))
    assert judged.exit_code == 0, judged.output
    assert "offline evaluation on 90 lists" in judged.output
    assert "verdict: better" in judged.output and "--switch" in judged.output
    for method in ("ips", "snips", "dr"):
        assert f"candidate {method}" in judged.output
    assert "candidate replay" in judged.output  # the lists were served uniformly: replay applies
    assert not live.exists()  # judging writes nothing

    refused = kefu("eval", "bandit", "--database-url", log_url, "--candidate", str(candidate), "--switch",
                   "--min-lift", "0.9")
    assert refused.exit_code == 1 and "refused" in refused.output and not live.exists()

    switched = kefu("eval", "bandit", "--database-url", log_url, "--candidate", str(candidate), "--switch")
    assert switched.exit_code == 0, switched.output
    assert live.read_bytes() == candidate.read_bytes()


def test_train_refuses_to_write_the_live_policy_and_eval_needs_held_out_lists(
    log_url: str, live: Path, tmp_path: Path
) -> None:
    direct = kefu("train", "bandit", "--database-url", log_url, "--out", str(live))
    assert direct.exit_code == 2 and "--switch" in direct.output and not live.exists()
    everything = tmp_path / "all.npz"
    assert kefu("train", "bandit", "--database-url", log_url, "--out", str(everything), "--holdout", "0").exit_code == 0
    judged = kefu("eval", "bandit", "--database-url", log_url, "--candidate", str(everything))
    assert judged.exit_code == 2 and "holdout" in judged.output
    missing = kefu("eval", "bandit", "--database-url", log_url, "--candidate", str(tmp_path / "none.npz"))
    assert missing.exit_code == 2 and "cannot load" in missing.output
