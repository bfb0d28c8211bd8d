"""The log audit finds planted leaks (in a message, a traceback, an access-log URL, a raw subprocess line) with
their file and line, passes clean and masked lines, and fails a run whose logs were not captured; and a whole
pytest session with the plugin fails on a leak and passes when everything went through the masked handler."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from server.infra.logs import mask, register_secret
from tests.log_audit import audit, scan_line
from tests.plugin import LogCapture, audited_log
from tests.services import TEST_IDENTITY_SECRET, customer_sig

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "kefu_ct_Q2x-5vN_8bTq3Lr0ZkYw1hP6sD4fG7jK9mXcVbNaE2u"

LEAKS = [
    "2026-11-20 10:00:00,123 INFO kefu.chat: customer said 我的手机是138 1234 5678",
    "2026-11-20 10:00:00,123 INFO kefu.chat: phone +86-139-1234-5678 on file",
    "ValueError: no order for 13812345678",  # a traceback's last line
    '  File "/srv/kefu/tools/orders.py", line 42, in lookup: contact="c1@example.com"',
    f'INFO uvicorn.error: 127.0.0.1:5555 - "WebSocket /ws/conversations/c1?token={TOKEN}" [accepted]',
    'INFO uvicorn.access: 127.0.0.1:5555 - "GET /api/operator/ws?token=abcdefgh12345 HTTP/1.1" 101',
    "DEBUG httpx: headers {'authorization': 'Bearer kefu_os_abcdefghijklmnopqrstuv'}",
    'INFO kefu.api: started {"conversation_id": "c1", "token": "legacy-token-1234567890"}',
    "INFO kefu: ship to 上海市浦东新区世纪大道100号",
    "INFO kefu: 地址 天河路465号**栋**室",
    "INFO kefu: ship to 221 Baker Street, London",
    f"INFO kefu: signed customer_sig={customer_sig('C00001')}",
    f"INFO kefu: secret is {TEST_IDENTITY_SECRET}",
    "INFO kefu: demo contact 187****8111",
    "WARNING kefu: raw traceback line: 'Room ***, No. 697 Jiefang Ave, Jianghan District, Wuhan'",
]

CLEAN = [
    "2026-11-20 10:00:00,123 INFO uvicorn.error: Uvicorn running on http://127.0.0.1:8123 (Press CTRL+C to quit)",
    'INFO uvicorn.access: 127.0.0.1:5555 - "GET /api/conversations/3f2a9c1e5b7d4e0f8a6b2c4d6e8f0a1b/messages HTTP/1.1"',
    "INFO kefu: order KF10000001 shipped, tracking SF0000000001 and 7123456789012, E20240101001",
    "INFO kefu: turn took 1234 ms at 1700000000123; version 2.13.0; client 192.168.1.100:50432",
    "ERROR kefu.api: Use the header Authorization: Bearer <token>.",
    "INFO kefu: 退货政策是什么？运费怎么算 (12 chunks, top score 0.83)",
    "INFO kefu: conversation opened with token=<token>, customer C00001 (verified)",
]


@pytest.mark.unit
@pytest.mark.parametrize("line", LEAKS)
def test_each_planted_leak_is_found_and_gone_once_masked(line: str) -> None:
    register_secret(TEST_IDENTITY_SECRET)  # as the test servers' `CustomerIdentity` does
    assert scan_line(line), line
    assert not scan_line(mask(line)), mask(line)


@pytest.mark.unit
@pytest.mark.parametrize("line", CLEAN)
def test_clean_lines_pass(line: str) -> None:
    assert scan_line(line) == []


@pytest.mark.unit
def test_a_run_folder_is_reported_by_file_and_line_without_repeating_the_secret(tmp_path: Path) -> None:
    (tmp_path / "inprocess.log").write_text("start\n" + "\n".join(CLEAN) + "\n", encoding="utf-8")
    traceback = 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad phone 13812345678\n'
    (tmp_path / "live-server-1.log").write_text(CLEAN[0] + "\n" + traceback, encoding="utf-8")
    result = audit(tmp_path, must_contain={"inprocess.log": "start"})
    assert not result.ok and not result.problems and len(result.files) == 2
    (hit,) = result.hits
    assert (hit.path.name, hit.line_no, hit.kind) == ("live-server-1.log", 4, "phone")
    report = result.report()
    assert f"{tmp_path / 'live-server-1.log'}:4: phone:" in report and "13812345678" not in report


@pytest.mark.unit
def test_missing_logs_fail_the_audit(tmp_path: Path) -> None:
    empty = audit(tmp_path / "nothing", must_contain={"inprocess.log": "start"})
    assert not empty.ok and "no log files" in empty.problems[0]
    (tmp_path / "other.log").write_text("clean\n", encoding="utf-8")
    unmarked = audit(tmp_path, must_contain={"inprocess.log": "start"})
    assert not unmarked.ok and "did not run" in unmarked.problems[0]


INNER = """
import logging
import pytest

pytestmark = pytest.mark.unit


def test_logs_personal_data():
    logging.getLogger("kefu.inner").info("customer 13812345678 at 上海市浦东新区世纪大道100号")
    try:
        raise ValueError("token=kefu_ct_abcdefghijklmnopqrstuvwxyz for jane@example.com")
    except ValueError:
        logging.getLogger("kefu.inner").exception("failed")


def test_a_server_wrote_raw_output(run_logs):
    run_logs.file("live-server").write_text("ok\\nGET /ws?token=abcdefgh123456 101\\n", encoding="utf-8")
"""


@pytest.mark.integration
def test_a_session_masks_what_went_through_the_handler_and_fails_on_a_raw_leak(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(That a clean session passes, every run of this suite shows.)"""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("KEFU_TEST_LOG_DIR", str(run_dir := tmp_path / "run"))
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess("-p", "tests.plugin", "-p", "no:cacheprovider")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"*{run_dir / 'live-server-1.log'}:2: token= value:*", "*1 failed, 2 passed*"])
    assert "abcdefgh123456" not in result.stdout.str()
    logged = (run_dir / "inprocess.log").read_text(encoding="utf-8")
    assert "customer <phone> at <address>" in logged and "ValueError: token=<token> for <email>" in logged
    assert "13812345678" not in logged and "jane@example.com" not in logged


@pytest.mark.unit
def test_the_command_fails_on_a_folder_without_the_capture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.log_audit import IN_PROCESS, START_LINE, main

    assert main([str(tmp_path)]) == 1 and "no log files" in capsys.readouterr().out
    (tmp_path / IN_PROCESS).write_text(f"x INFO kefu.tests: {START_LINE}\n", encoding="utf-8")
    assert main([str(tmp_path)]) == 0


@pytest.mark.unit
def test_a_server_log_chosen_elsewhere_is_linked_into_the_audited_folder(tmp_path: Path, run_logs: LogCapture) -> None:
    real = audited_log(tmp_path / "server.log")
    assert real.parent == run_logs.run_dir and (tmp_path / "server.log").resolve() == real.resolve()
    (tmp_path / "server.log").write_text("started\n", encoding="utf-8")
    assert real.read_text(encoding="utf-8") == "started\n"
    assert audited_log(real) == real
