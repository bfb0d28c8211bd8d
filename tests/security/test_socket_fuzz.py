"""A frame fuzzer on the chat and console sockets: malformed JSON, unknown types, wrong field types, huge,
deeply nested and binary frames, then floods. Every frame is answered (or ignored) without closing the
socket; afterwards the fuzzed socket still answers, another open conversation is unaffected and saw none of
the fuzz, and a fresh conversation is answered in normal time. Seeded; longer in `make bench`."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from tests.security.budget import FLOOD_FRAMES, FUZZ_FRAMES, LONG, SEED
from tests.security.sockets import open_chat, open_operator
from tests.server.console_support import login, say, start_chat

pytestmark = pytest.mark.integration

NASTY: list[Any] = [None, True, False, -1, 0, 2**64, -(2**63), 1.5, 1e308, "", " ", "x" * 5000, [], {}, [[[]]],
                    {"type": "user_message"}, "<script>window.__pwned=1</script>", "' OR 1=1 --", "\u0000",
                    "💥", "KF10000001", "../../etc/passwd", "%s%n", "\u202e", "0" * 40, "a" * 32]
SERVER_FRAMES = {"typing", "bot_token", "bot_message", "operator_message", "handoff", "error", "user_message",
                 "csat_recorded", "csat_request", "hello", "conversation", "events", "note", "pong", "csat_requested"}


def mutate(rng: random.Random, templates: list[dict[str, Any]], max_bytes: int) -> str | bytes:
    """One hostile frame: a template with a field broken, dropped or added, a wrong type, truncated or
    garbage text, a non-object, a binary frame, an oversized or a deeply nested one."""
    frame = dict(rng.choice(templates))
    kind = rng.randrange(11)
    if kind == 0:
        frame[rng.choice(list(frame))] = rng.choice(NASTY)
    elif kind == 1:
        frame.pop(rng.choice(list(frame)))
    elif kind == 2:
        frame[rng.choice(["__proto__", "constructor", "token", "customer_id", "seq", "x" * 100])] = rng.choice(NASTY)
    elif kind == 3:
        frame["type"] = rng.choice(["", "USER_MESSAGE", "auth", "admin", "user_message ", "eval", 7, None, []])
    elif kind == 4:
        text = json.dumps(frame)
        return text[: rng.randrange(len(text))]
    elif kind == 5:
        return "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(1, 200)))
    elif kind == 6:
        return json.dumps(rng.choice([[], 1, "user_message", None, [frame], True]))
    elif kind == 7:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
    elif kind == 8:
        return json.dumps({**frame, "text": "长" * (max_bytes // 3 + rng.randrange(1, 50))})
    elif kind == 9:
        depth = rng.choice([100, 1000, 20000])
        return '{"type":"resume","after":' + "[" * depth + "]" * depth + "}"
    return json.dumps(frame, ensure_ascii=rng.random() < 0.5)


def send(ws: WebSocketTestSession, raw: str | bytes) -> None:
    if isinstance(raw, bytes):
        ws.send_bytes(raw)
    else:
        ws.send_text(raw)


def until(ws: WebSocketTestSession, done, limit: int = 500) -> list[dict[str, Any]]:
    """Frames up to and including the first that `done` accepts; each one checked for shape."""
    frames = []
    for _ in range(limit):
        frame = ws.receive_json()
        assert isinstance(frame, dict) and frame.get("type") in SERVER_FRAMES, frame
        if frame["type"] == "error":
            assert isinstance(frame["code"], str) and frame["code"] and frame["message"], frame
        frames.append(frame)
        if done(frame):
            return frames
    raise AssertionError(f"no expected frame among the last {limit}: {frames[-5:]}")


def sentinel(ws: WebSocketTestSession, i: int, limit: int = 500) -> list[dict[str, Any]]:
    """Everything the socket answered up to now: a frame of an unknown type named after `i` comes back as an
    error naming it, after the answers to every frame sent before it (the chat socket has no ping)."""
    ws.send_text(json.dumps({"type": f"sentinel-{i}"}))
    return until(ws, lambda f: f["type"] == "error" and f"sentinel-{i}" in f["message"], limit)


@pytest.fixture
def bystander(client: TestClient) -> Iterator[tuple[str, str, WebSocketTestSession, str]]:
    """Another customer's conversation with its socket open through the fuzz, and a phrase only it said."""
    cid, token = start_chat(client, customer="C00002")
    secret = f"bystander-{uuid.uuid4().hex[:8]}"
    say(client, cid, token, f"my note {secret}")
    with open_chat(client, cid, token) as ws:
        yield cid, token, ws, secret


def assert_unaffected(client: TestClient, bystander, seen: list[dict[str, Any]]) -> None:
    """The bystander saw none of the fuzz and is answered at once; the fuzz saw nothing of the bystander; a
    new conversation is answered in normal time."""
    _, _, ws, secret = bystander
    assert secret not in json.dumps(seen, ensure_ascii=False)
    ws.send_text(json.dumps({"type": "user_message", "text": "Where is my order?", "client_msg_id": "b1"}))
    first = ws.receive_json()
    if first == {"type": "typing", "who": "bot", "on": True}:  # a turn slower than the typing delay shows it first
        first = ws.receive_json()
    assert first["type"] == "user_message" and first["client_msg_id"] == "b1", first  # nothing of the fuzz first
    reply = until(ws, lambda f: f["type"] == "bot_message")[-1]
    assert reply["text"]
    cid, token = start_chat(client, language="zh")
    started = time.monotonic()
    answer = say(client, cid, token, "我想退货")
    assert answer["reply"]["text"] and time.monotonic() - started < 3


def test_chat_socket_survives_fuzzing(client: TestClient, bystander) -> None:
    rng = random.Random(SEED)
    cid, token = start_chat(client)
    templates = [{"type": "user_message", "text": "hi", "client_msg_id": "m1"}, {"type": "resume", "after": 0},
                 {"type": "csat", "score": 5}, {"type": "typing", "on": True}]
    seen: list[dict[str, Any]] = []
    with open_chat(client, cid, token) as ws:
        for i in range(FUZZ_FRAMES):
            send(ws, mutate(rng, templates, 16 * 1024))
            seen += sentinel(ws, i)
        huge = "x" * ((8 if LONG else 1) << 20)
        for raw, code in ((b"\x00\xff", "binary_frame"), ("{" * 5, "malformed_json"), (huge, "too_large"),
                          (json.dumps({"type": "resume", "after": 10**30}), "invalid_frame"),
                          (json.dumps({"type": "csat", "score": "5; DROP TABLE"}), "invalid_frame")):
            send(ws, raw)
            frames = sentinel(ws, -1)
            assert next(f["code"] for f in frames if f["type"] == "error") == code, (raw[:40], frames)
        codes = {f["code"] for f in seen if f["type"] == "error"}
        assert {"malformed_json", "invalid_frame", "binary_frame", "too_large"} <= codes
        ws.send_text(json.dumps({"type": "user_message", "text": "Where is my order?", "client_msg_id": "after"}))
        assert until(ws, lambda f: f["type"] == "bot_message")[-1]["text"]  # the fuzzed socket still answers
    assert_unaffected(client, bystander, seen)


def test_chat_socket_survives_floods(client: TestClient, bystander) -> None:
    cid, token = start_chat(client)
    seen: list[dict[str, Any]] = []
    with open_chat(client, cid, token) as ws:
        for _ in range(FLOOD_FRAMES):  # garbage, back to back, nothing read meanwhile
            ws.send_text("{not json")
        seen += sentinel(ws, -1, limit=FLOOD_FRAMES + 1)
        assert [f["code"] for f in seen[:-1]] == ["malformed_json"] * FLOOD_FRAMES
        for i in range(FLOOD_FRAMES):  # typing on and off, which goes to the console
            ws.send_text(json.dumps({"type": "typing", "on": i % 2 == 0}))
        for i in range(FLOOD_FRAMES // 10):  # messages faster than turns run: each one answered, in order
            ws.send_text(json.dumps({"type": "user_message", "text": f"hello {i}", "client_msg_id": f"f{i}"}))
        for i in range(max(0, FLOOD_FRAMES // 10 - 40), FLOOD_FRAMES // 10):  # the latest ids again (the log
            # remembers the last 50 for retries): answered once
            ws.send_text(json.dumps({"type": "user_message", "text": f"hello {i}", "client_msg_id": f"f{i}"}))
        seen += sentinel(ws, 0, limit=FLOOD_FRAMES * 5)
        ws.send_text(json.dumps({"type": "resume", "after": 0}))
        replayed = sentinel(ws, 1, limit=FLOOD_FRAMES * 5)
    said = [f["text"] for f in replayed if f["type"] == "user_message"]
    assert said == [f"hello {i}" for i in range(FLOOD_FRAMES // 10)]  # each once, none lost, none doubled
    assert len([f for f in replayed if f["type"] == "bot_message"]) == FLOOD_FRAMES // 10
    assert_unaffected(client, bystander, seen)


def test_console_socket_survives_fuzzing_and_floods(client: TestClient, staff, bystander) -> None:
    rng = random.Random(SEED + 1)
    cid, _ = start_chat(client)
    session = login(client, staff["operator"])["Authorization"][7:]
    templates = [{"type": "open", "conversation_id": cid, "after": 0}, {"type": "close", "conversation_id": cid},
                 {"type": "typing", "conversation_id": cid, "on": True}, {"type": "ping"},
                 {"type": "open", "conversation_id": uuid.uuid4().hex}]
    seen: list[dict[str, Any]] = []
    with open_operator(client, session) as ws:
        assert ws.receive_json()["type"] == "hello"
        for i in range(FUZZ_FRAMES):
            send(ws, mutate(rng, templates, 4 * 1024))
            seen += sentinel(ws, i)
        for _ in range(FLOOD_FRAMES):
            ws.send_text('{"type": "ping"}')
            ws.send_bytes(b"\x81\x00")
        flood = sentinel(ws, -1, limit=2 * FLOOD_FRAMES + 1)[:-1]
        assert [f["type"] for f in flood] == ["pong", "error"] * FLOOD_FRAMES
        for _ in range(25):  # conversations that do not exist: a clear error each, not a crash
            ws.send_text(json.dumps({"type": "open", "conversation_id": uuid.uuid4().hex}))
        errors = sentinel(ws, -2)[:-1]
        assert len(errors) == 25 and {e["code"] for e in errors} == {"unknown_conversation"}, errors
        codes = {f["code"] for f in seen if f["type"] == "error"}
        assert {"malformed_json", "invalid_frame", "binary_frame"} <= codes, codes
        ws.send_text(json.dumps({"type": "open", "conversation_id": cid, "after": 0}))
        opened = sentinel(ws, -3)
        assert any(f["type"] == "events" and f["conversation_id"] == cid for f in opened)  # still serves
    assert_unaffected(client, bystander, seen + flood)
