"""A person on the phone line: an operator who takes over a call's conversation and answers in text is heard by
the caller (the text spoken in the call's voice, as Twilio media and a mark), over the real app and runtime."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.events import OperatorJoined, OperatorUttered
from server.app import create_app
from server.runtime import Runtime
from tests.server.test_voice_socket import CUSTOMER, runtime, start, store_url, with_fakes  # noqa: F401
from tests.services import signed

pytestmark = pytest.mark.integration


def spoke(said: list[tuple[str, str]], text: str) -> bool:
    """`text` was synthesised, whole or as the clauses the call speaks a sentence's first clause apart in (the
    first audio waits for one clause: `voice.text.lead_clause`), punctuation aside."""
    words = re.sub(r"\W", "", "".join(piece for piece, _ in said))
    return re.sub(r"\W", "", text) in words


def test_an_operators_text_reply_is_spoken_to_the_caller(runtime: Runtime) -> None:  # noqa: F811
    _, tts = with_fakes(runtime, [])
    answer = "您好，我是客服小王，您的订单我来帮您查。"
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client, \
            client.websocket_connect("/ws/voice") as ws:
        ws.send_text(start({**signed(CUSTOMER), "language": "zh"}))
        got: list[dict[str, Any]] = [json.loads(ws.receive_text())]  # the greeting's audio: the call is up
        conversation_id = runtime.conversations.list_recent(limit=1)[0].id
        client.portal.call(runtime.agent.record, conversation_id, [  # type: ignore[union-attr]
            OperatorJoined(conversation_id=conversation_id, operator="alice"),
            OperatorUttered(conversation_id=conversation_id, operator="alice", text=answer)])
        deadline = time.monotonic() + 10
        while not spoke(tts.said, answer):
            assert time.monotonic() < deadline, f"the operator's words were not spoken: {tts.said}"
            got.append(json.loads(ws.receive_text()))
            if got[-1]["event"] == "mark":  # the phone plays the greeting out, then the operator's words
                ws.send_text(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": got[-1]["mark"]}))
        got.append(json.loads(ws.receive_text()))
        ws.send_text(json.dumps({"event": "stop", "streamSid": "MZ1"}))
    assert tts.said[0][0].startswith("您好，这里是客服热线")  # the greeting first, heard out
    assert spoke(tts.said, answer) and all(language == "zh" for _, language in tts.said)
    assert got[-1]["event"] in ("media", "mark")
