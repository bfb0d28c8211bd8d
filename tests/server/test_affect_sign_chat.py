"""A review sent as a chat message keeps its sentiment's sign in the turn's state (issue 15): a clearly negative
review whose words the emotion model reads as calm or even satisfied ("…, the packaging was nice") still gives
negative valence, and a warm one positive valence, over the REST API, in zh and en."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import small_store
from tests.services import TEST_IDENTITY_SECRET

pytestmark = pytest.mark.integration

# Negative reviews that praise one small thing (the old reading: satisfaction, positive valence).
NEGATIVE = {
    "zh": ["太咸了，味道一般，包装倒是不错", "太油腻了，口味一般，赠品不错"],
    "en": ["The steak was sloppy at best.", "The least said about the dessert the better."],
}
POSITIVE = {"zh": "味道很好，送餐也快，下次还点", "en": "Lovely food and a friendly delivery guy, will order again."}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(database_url=small_store(tmp_path_factory, "affect-sign", customers=20, orders=60),
                        identity_secret=TEST_IDENTITY_SECRET)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c
    runtime.close()


def affect_of(client: TestClient, language: str, text: str) -> dict[str, object]:
    r = client.post("/api/conversations", json={"language": language})
    assert r.status_code == 201, r.text
    cid, token = r.json()["conversation_id"], r.json()["token"]
    r = client.post(f"/api/conversations/{cid}/messages", json={"text": text},
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()["state"]["affect"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_negative_review_with_one_kind_word_reads_negative(client: TestClient, language: str) -> None:
    for text in NEGATIVE[language]:
        affect = affect_of(client, language, text)
        assert affect["score"] < 0, (text, affect)
        assert affect["label"] != "satisfaction", (text, affect)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_warm_review_reads_positive(client: TestClient, language: str) -> None:
    affect = affect_of(client, language, POSITIVE[language])
    assert affect["score"] > 0 and affect["label"] == "satisfaction", affect
