"""schemathesis against the app's own OpenAPI schema, in process: generated requests (valid and invalid)
to every operation, as a stranger, as a customer with a real conversation token and as a signed-in
supervisor. No 5xx; every error is `{"error": {"code", "message"}}`; status codes, content types and
bodies match what the schema documents. The budget is short in `make test`, long in `make bench`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from server.app import create_app
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.security.budget import SCHEMA_EXAMPLES
from tests.server.console_support import login, start_chat
from tests.services import TEST_IDENTITY_SECRET

pytestmark = pytest.mark.integration


@schemathesis.check
def error_shape(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """Every 4xx answer is exactly `{"error": {"code": str, "message": str}}`."""
    if 400 <= response.status_code < 500:
        body = response.json()
        assert isinstance(body, dict) and set(body) == {"error"}, f"not the error shape: {body}"
        assert set(body["error"]) == {"code", "message"}, f"not the error shape: {body}"
        assert all(isinstance(v, str) and v for v in body["error"].values()), f"empty code or message: {body}"
    return None


@schemathesis.check
def invalid_data_refused(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """schemathesis' negative_data_rejection, with 413 (the body-size limit refusing it) counted as refused."""
    if response.status_code == 413:
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [not_a_server_error, error_shape, status_code_conformance, content_type_conformance,
          response_schema_conformance, invalid_data_refused]


@pytest.fixture(scope="module")
def fuzzed(attack_store: str, staff: dict[str, str]) -> Iterator[tuple[TestClient, str, dict[str, dict[str, str]]]]:
    """The app, a real conversation, and the headers of each credential the cases are sent with."""
    settings_ = Settings(database_url=attack_store, identity_secret=TEST_IDENTITY_SECRET, rate_limits="off",
                         demo=True)  # every route the demo store has, the demo list included
    runtime = build_runtime(settings_, retriever=KeywordRetriever(), llm=None, warm=False)
    runtime.warm_up()  # so /readyz says 200, not its (documented) 503 while loading
    with TestClient(create_app(settings_, runtime=runtime)) as client:
        cid, token = start_chat(client)
        credentials = {"stranger": {}, "customer": {"Authorization": f"Bearer {token}"},
                       "supervisor": login(client, staff["supervisor"])}
        yield client, cid, credentials
    runtime.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed) -> Any:
    client, _, _ = fuzzed
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


FUZZ = settings(max_examples=SCHEMA_EXAMPLES, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("who", ["stranger", "customer", "supervisor"])
def test_every_operation_answers_in_its_documented_shape(api_schema, fuzzed, who: str, mode: GenerationMode) -> None:
    """Each operation in turn, `SCHEMA_EXAMPLES` generated requests each (seeded by hypothesis' derandomize)."""
    _, cid, credentials = fuzzed
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 18
    for operation in operations:
        overrides: dict[str, Any] = {}
        if credentials[who]:
            overrides["headers"] = credentials[who]
            if any(p.name == "conversation_id" for p in operation.path_parameters):
                overrides["path_parameters"] = {"conversation_id": cid}  # a real one, so the credential opens it
        generated = [p for p in (*operation.path_parameters, *operation.query, *operation.headers)
                     if p.name not in overrides.get("path_parameters", {}) and p.name.lower() not in
                     {k.lower() for k in overrides.get("headers", {})}]
        if mode is GenerationMode.NEGATIVE and not generated and not len(operation.body):
            continue  # nothing left in it to get wrong

        @given(case=operation.as_strategy(generation_mode=mode, **overrides))
        @FUZZ
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        run()
