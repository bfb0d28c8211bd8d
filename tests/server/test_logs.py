from __future__ import annotations

import logging

import pytest

from server.infra.logs import MaskingFilter, mask

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "hidden"),
    [
        ("call me at 138 1234 5678 please", "138 1234 5678"),
        ("手机13812345678", "13812345678"),
        ("reach me on +44 20 7946 0958", "20 7946 0958"),
        ("mail jane.doe+shop@example.com now", "jane.doe+shop@example.com"),
        ("寄到上海市浦东新区世纪大道100号", "浦东新区世纪大道100号"),
        ("ship to 221 Baker Street, London", "221 Baker Street"),
        ('127.0.0.1:5000 - "WebSocket /ws/chat/ab12?token=Zx9-_tok.en" [accepted]', "Zx9-_tok.en"),
        ('"GET /x?a=1&token=s3cr3t HTTP/1.1" 200', "s3cr3t"),
    ],
)
def test_personal_data_is_masked(raw: str, hidden: str) -> None:
    assert hidden not in mask(raw)


@pytest.mark.parametrize("kept", ["Uvicorn running on http://127.0.0.1:8123", "order KF10000001", "version 2.13.0"])
def test_ids_addresses_of_servers_and_versions_are_kept(kept: str) -> None:
    assert mask(kept) == kept


def test_filter_masks_formatted_records(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("kefu.test")
    log.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="kefu.test"):
        log.info("customer phone %s", "13912345678")
    assert "13912345678" not in caplog.text and "<phone>" in caplog.text
