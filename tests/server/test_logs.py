"""Logs mask tokens, secrets, phone numbers, emails and addresses (zh and en) wherever they appear in a record,
and leave order ids, timestamps, IPs and versions readable."""

from __future__ import annotations

import io
import logging

import pytest

from server.infra.logs import MaskingFilter, log_handler, mask, register_secret

pytestmark = pytest.mark.unit

TOKEN = "kefu_ct_Q2x-5vN_8bTq3Lr0ZkYw1hP6sD4fG7jK9mXcVbNaE2u"
SESSION = "kefu_os_Zt3-Hq9_wE1rT5yU7iO0pA2sD4fG6hJ8kL1zXcVbNm4"


@pytest.mark.parametrize(
    ("raw", "hidden"),
    [
        ("call me at 138 1234 5678 please", "138 1234 5678"),
        ("手机13812345678", "13812345678"),
        ("tel +86 138-1234-5678", "138-1234-5678"),
        ("+8613812345678", "13812345678"),
        ("on file: 138****1234", "138****1234"),
        ("reach me on +44 20 7946 0958", "20 7946 0958"),
        ("office (415) 555-2671", "555-2671"),
        ("mail jane.doe+shop@example.com now", "jane.doe+shop@example.com"),
        ("邮箱wang9901@example.cn谢谢", "wang9901@example.cn"),
        ("contact wa***g12@example.com", "@example.com"),
        ("寄到上海市浦东新区世纪大道100号", "世纪大道100号"),
        ("地址：北京市朝阳区建国路88号3栋502室", "建国路88号"),
        ("改到天河路465号**栋**室吧", "天河路465号"),
        ("ship to 221 Baker Street, London", "221 Baker Street"),
        ("12 N Main St", "12 N Main St"),
        ("Room ***, No. 697 Jiefang Ave, Jianghan District, Wuhan", "697 Jiefang Ave"),
        ("send it to 42 elm tree road please", "42 elm tree road"),
    ],
)
def test_personal_data_is_masked(raw: str, hidden: str) -> None:
    assert hidden not in mask(raw)


@pytest.mark.parametrize(
    ("raw", "hidden"),
    [
        (f"opened conversation, token {TOKEN}", TOKEN[8:]),
        (f"operator session {SESSION}", SESSION[8:]),
        (f'127.0.0.1:5555 - "WebSocket /ws/conversations/abc?token={TOKEN}" [accepted]', TOKEN[8:]),
        ("GET /ws/operator?token=plain-old-token-without-prefix HTTP/1.1", "plain-old-token-without-prefix"),
        ("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
        ('{"conversation_id": "c1", "token": "old-style-token-1234"}', "old-style-token-1234"),
        ("{'customer_sig': '0f1e2d3c4b5a69788796a5b4c3d2e1f0'}", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
        ("POST /api/conversations customer_sig=0f1e2d3c4b5a6978&x=1", "0f1e2d3c4b5a6978"),
        ("postgresql+psycopg://kefu:hunter2secret@db.internal/kefu", "hunter2secret"),
        ('127.0.0.1:5000 - "WebSocket /ws/chat/ab12?token=Zx9-_tok.en" [accepted]', "Zx9-_tok.en"),
        ('"GET /x?a=1&token=s3cr3t HTTP/1.1" 200', "s3cr3t"),
        ('"GET /x?key=s3cr3t-key HTTP/1.1" 200', "s3cr3t-key"),
        ("Started(conversation_id='c1', token='legacy-token-1234567890')", "legacy-token-1234567890"),
        ("body {customer_id='C00001', customer_sig='0f1e2d3c4b5a69788796a5b4c3d2e1f0'}", "0f1e2d3c4b5a6978"),
        ("customer_sig: 0f1e2d3c4b5a69788796a5b4c3d2e1f0", "0f1e2d3c4b5a6978"),
        ("AUTHORIZATION: bEaReR abc.def-ghi_jkl", "abc.def-ghi_jkl"),
    ],
)
def test_tokens_and_secrets_are_masked(raw: str, hidden: str) -> None:
    assert hidden not in mask(raw)


def test_registered_secrets_are_masked() -> None:
    register_secret("store-secret-for-the-log-test")
    register_secret("short")  # too short to mask safely: ignored
    assert mask("key store-secret-for-the-log-test, word short") == "key <secret>, word short"


@pytest.mark.parametrize(
    "kept",
    [
        "Uvicorn running on http://127.0.0.1:8123 (Press CTRL+C to quit)",
        "order KF10000001 and E20240101001 and E13812345678",
        "tracking SF0000000001 / 7123456789012 / JDV000123456789",
        "2026-11-20 10:00:00,123 INFO kefu: turn took 1234 ms at 1700000000123",
        "client 192.168.1.100:50432 and [::1]:8000",
        "version 2.13.0, llama-cpp-python 0.3.36",
        "conversation 3f2a9c1e5b7d4e0f8a6b2c4d6e8f0a1b seq 12",
        "request 12345678-1234-1234-1234-123456789012",
        "Use the header Authorization: Bearer <token>.",
        "missing token: use the header, or token: none",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "退货政策是什么？运费怎么算",
        "3 items, total 3999.00 CNY, 2 days left",
    ],
)
def test_ids_timestamps_addresses_of_servers_and_versions_are_kept(kept: str) -> None:
    assert mask(kept) == kept


def _boom() -> None:
    raise ValueError("no order for 13812345678 at 上海市浦东新区世纪大道100号 (jane@example.com)")


def test_the_handler_masks_tracebacks_and_stacks() -> None:
    out = io.StringIO()
    log = logging.getLogger("kefu.test.traceback")
    log.addHandler(handler := log_handler(out))
    log.propagate = False
    try:
        try:
            _boom()
        except ValueError:
            log.exception("lookup failed for %s", "13912345678")
        log.warning("where: %s", TOKEN, stack_info=True)
    finally:
        log.removeHandler(handler)
        log.propagate = True
    text = out.getvalue()
    assert "ValueError: no order for <phone> at <address> (<email>)" in text
    assert "lookup failed for <phone>" in text and "Traceback" in text and "Stack (most recent call last)" in text
    for secret in ("13812345678", "13912345678", "世纪大道100号", "jane@example.com", TOKEN[8:]):
        assert secret not in text


def test_uvicorn_access_lines_are_masked() -> None:
    out = io.StringIO()
    access = logging.getLogger("uvicorn.access.test")
    access.addHandler(handler := log_handler(out))
    access.propagate = False
    try:
        access.warning('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5555", "GET", f"/ws/chat?token={TOKEN}", "1.1", 101)
    finally:
        access.removeHandler(handler)
        access.propagate = True
    assert "token=<token>" in out.getvalue() and TOKEN[8:] not in out.getvalue()


def test_the_filter_masks_the_record_for_other_handlers(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("kefu.test.filter")
    log.addFilter(MaskingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="kefu.test.filter"):
            log.info("customer phone %s", "13912345678")
            try:
                _boom()
            except ValueError:
                log.exception("failed")
    finally:
        log.filters.clear()
    assert "13912345678" not in caplog.text and "<phone>" in caplog.text
    assert "13812345678" not in caplog.text and "jane@example.com" not in caplog.text


def test_setup_logging_routes_everything_through_one_masked_handler(capsys: pytest.CaptureFixture[str]) -> None:
    import sys
    import threading
    import warnings

    from server.infra.logs import setup_logging

    root, access = logging.getLogger(), logging.getLogger("uvicorn.access")
    saved = root.handlers[:], root.level, sys.excepthook, threading.excepthook
    access_level = access.level  # a fake server in this process may have set it
    try:
        setup_logging("INFO", secrets=["sk-llm-key-for-the-test"])
        (handler,) = root.handlers
        logging.getLogger("uvicorn.access").info('%s - "GET /ws?token=%s HTTP/1.1" 101', "127.0.0.1:1", TOKEN)
        warnings.warn("customer 13812345678 used sk-llm-key-for-the-test", UserWarning, stacklevel=1)
        sys.excepthook(*_raised())
        handler.flush()
    finally:
        logging.captureWarnings(False)
        root.handlers[:], _, sys.excepthook, threading.excepthook = saved
        root.setLevel(saved[1])
        access.setLevel(access_level)
    err = capsys.readouterr().err
    assert "token=<token>" in err and "customer <phone> used <secret>" in err and "uncaught exception" in err
    assert "ValueError: no order for <phone>" in err
    for secret in (TOKEN[8:], "13812345678", "sk-llm-key-for-the-test"):
        assert secret not in err


def _raised() -> tuple[type[BaseException], BaseException, object]:
    try:
        _boom()
    except ValueError as exc:
        return type(exc), exc, exc.__traceback__
    raise AssertionError("unreachable")


def test_command_line_runs_mask_their_logs(capsys: pytest.CaptureFixture[str]) -> None:
    """A batch command (`kefu rules mine`, `train …`) logs through the masked handler like the service; in a
    process that already routes its logs (this test run) only the masking filter is added."""
    import sys
    import threading

    from server.infra.logs import MaskingFilter, ensure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level, sys.excepthook, threading.excepthook
    try:
        root.handlers[:] = []
        assert ensure_logging("INFO") is True
        logging.getLogger("kefu.batch").warning("skipped basket of 13812345678 (jane@example.com)")
        root.handlers[0].flush()
        plain = logging.StreamHandler()
        root.handlers[:] = [plain]
        assert ensure_logging() is False
        assert root.handlers == [plain] and any(isinstance(f, MaskingFilter) for f in plain.filters)
    finally:
        logging.captureWarnings(False)
        root.handlers[:], _, sys.excepthook, threading.excepthook = saved
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "skipped basket of <phone> (<email>)" in err and "13812345678" not in err
