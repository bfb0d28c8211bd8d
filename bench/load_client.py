"""One load-client process of `bench/load.py`: chat sockets as the widget opens them, turns at a steady rate, and the
check of every conversation's event log afterwards.

Each socket: `POST /api/conversations` (a signed demo customer), `WS /ws/chat/{id}`, the `auth` frame, `ready`,
`resume` after the last `seq` seen. A turn is one `user_message` with a fresh `client_msg_id`; its reply is the
`bot_message` that follows the echo of that id (`user_message` frame). When a socket drops (a worker killed), the
client reconnects to the next server, resumes from its last `seq` and sends an unanswered message again with the same
id, as the widget does: the server must neither lose it nor record it twice.

A message the server refuses as `busy` (admission control: not admitted, nothing recorded) is sent again after the
back-off the server asks for (with jitter, growing while the refusals go on, at most BUSY_MAX_WAIT_S) until it is
accepted or the drain after the steady phase ends; the drain ends by itself once no turn is pending, and at most
`drain_s` after the steady phase. One still refused then is counted apart (`refused_at_end`): the server shed it as
designed, it is not a lost message. A lost message is one the server accepted (echoed) that is not in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

QUESTIONS = {
    "zh": ["退货政策是什么？", "运费怎么算？", "有蓝牙耳机吗", "发货要多久？", "有手机壳吗", "可以开发票吗？",
           "我的订单到哪了？", "有什么优惠券吗", "推荐一款充电宝", "怎么联系人工客服？"],
    "en": ["what is your return policy?", "how much is shipping?", "do you have bluetooth headphones?",
           "how long does delivery take?", "do you have phone cases?", "can I get an invoice?",
           "where is my order?", "any coupons for me?", "recommend a power bank", "how do I reach a person?"],
}
TURN_RETRY_S = 30.0  # a turn without its reply this long is resumed and sent again (same client_msg_id)
MAX_ATTEMPTS = 8
BUSY_MAX_WAIT_S = 10.0  # the longest back-off before a message refused as `busy` is sent again
RECONNECT_FOR_S = 60.0


@dataclass
class Plan:
    """What one client process does (picklable: it crosses the process boundary)."""

    index: int
    bases: list[str]  # servers; socket i starts on bases[i % len], and moves to the next one when its socket drops
    sockets: int
    ramp_per_s: float
    rate_per_s: float  # turns/s this process sends in the steady phase (open loop over idle sockets)
    duration_s: float
    turns_per_socket: int  # 0: no cap
    drain_s: float
    secret: str
    customers: list[str]
    zh_share: float = 0.6
    seed: int = 0


@dataclass
class Turn:
    msg_id: str
    text: str
    first_sent: float  # wall clock (time.time), comparable across processes
    attempts: int = 1
    busy: int = 0  # times the server refused it as `busy` (not admitted, not recorded)
    refused: bool = False  # the server's last word on it was `busy` (cleared when it is echoed: accepted)
    last_sent: float = 0.0
    echoed: bool = False
    latency_s: float | None = None
    errors: list[str] = field(default_factory=list)
    last_error_at: float = 0.0  # wall clock of the last error frame or lost socket while it was pending


@dataclass
class Conv:
    n: int
    cid: str
    token: str
    language: str
    base: int
    ws: ClientConnection | None = None
    last_seq: int = 0
    pending: Turn | None = None
    turns: list[Turn] = field(default_factory=list)
    reconnects: int = 0
    gave_up: bool = False


class Client:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed * 7919 + plan.index)
        self.convs: list[Conv] = []
        self.idle: deque[Conv] = deque()
        self.errors: dict[str, int] = {}
        self.stray_replies = 0
        self.skipped_ticks = 0
        self.keepalive_retries = 0
        self.busy = 0  # `busy` refusals: backed off and sent again
        self.stopping = False
        self.http = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64))

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    # ------------------------------------------------------------ ramp

    async def open_all(self) -> None:
        gate = asyncio.Semaphore(64)
        started = time.monotonic()

        async def one(n: int) -> None:
            await asyncio.sleep(max(0.0, started + n / self.plan.ramp_per_s - time.monotonic()))
            async with gate:
                try:
                    await self._open(n)
                except Exception as exc:  # counted, never fatal: the report shows how many sockets opened
                    self.error(f"open:{type(exc).__name__}")

        await asyncio.gather(*(one(n) for n in range(self.plan.sockets)))

    async def _open(self, n: int) -> None:
        plan = self.plan
        customer = plan.customers[(plan.index * 100_003 + n) % len(plan.customers)]
        sig = hmac.new(plan.secret.encode(), customer.encode(), hashlib.sha256).hexdigest()
        language = "zh" if self.rng.random() < plan.zh_share else "en"
        base = (plan.index + n) % len(plan.bases)
        body = {"channel": "web", "customer_id": customer, "customer_sig": sig, "language": language}
        try:
            r = await self.http.post(f"{plan.bases[base]}/api/conversations", json=body)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            # a pooled keep-alive connection the server closed as we reused it (uvicorn's 5 s idle timeout):
            # the request never reached it, so once more on a fresh connection (counted, not hidden)
            self.keepalive_retries += 1
            r = await self.http.post(f"{plan.bases[base]}/api/conversations", json=body)
        r.raise_for_status()
        body = r.json()
        conv = Conv(n, body["conversation_id"], body["token"], language, base)
        await self._connect(conv)
        self.convs.append(conv)
        self.idle.append(conv)

    async def _connect(self, conv: Conv) -> None:
        url = self.plan.bases[conv.base].replace("http", "ws", 1) + f"/ws/chat/{conv.cid}"
        # no pings of our own, as a browser sends none: the server's keep-alive pings (uvicorn's) are answered, and
        # a socket whose worker died is seen closed by the kernel
        ws = await connect(url, open_timeout=30, max_size=2**20, ping_interval=None)
        await ws.send(json.dumps({"type": "auth", "token": conv.token}))
        ready = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if ready.get("type") != "ready":
            await ws.close()
            raise RuntimeError(f"not ready: {ready}")
        await ws.send(json.dumps({"type": "resume", "after": conv.last_seq}))
        conv.ws = ws
        asyncio.get_running_loop().create_task(self._read(conv, ws))
        if conv.pending is not None:  # a message the dropped socket may not have delivered: the same id again
            await self._send(conv, conv.pending, again=True)

    # ------------------------------------------------------------ frames

    async def _read(self, conv: Conv, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                self._frame(conv, json.loads(raw))
        except (WebSocketException, OSError):
            pass
        if conv.ws is ws:
            conv.ws = None
            if conv.pending is not None:
                conv.pending.last_error_at = time.time()
            if not self.stopping:
                await self._reconnect(conv)

    def _frame(self, conv: Conv, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        seq = frame.get("seq")
        if seq is not None:
            if seq <= conv.last_seq:
                return  # already seen (a resume replays from the last seq we had)
            conv.last_seq = seq
        turn = conv.pending
        if kind == "user_message":
            if turn is not None and frame.get("client_msg_id") == turn.msg_id:
                turn.echoed, turn.refused = True, False
        elif kind == "bot_message":
            if turn is None:
                return  # a greeting, or a reply replayed by `resume`
            if not turn.echoed:
                self.stray_replies += 1
                return
            turn.latency_s = time.time() - turn.first_sent
            conv.pending = None
            if not self.stopping:
                self.idle.append(conv)
        elif kind == "error":
            code = str(frame.get("code", "?"))
            if code == "busy":  # shed by the server, nothing recorded: back off as told (with jitter), send again
                self.busy += 1
                if turn is not None and frame.get("client_msg_id") == turn.msg_id and not turn.echoed:
                    turn.busy += 1
                    turn.refused = True
                    asked = float(frame.get("retry_after_ms", 1000)) / 1000
                    wait = min(BUSY_MAX_WAIT_S, asked * 1.25 ** min(turn.busy - 1, 8)) * (0.5 + self.rng.random())
                    turn.last_sent = time.time() + wait  # the watchdog counts from the resend
                    asyncio.get_running_loop().call_later(wait, self._resend_busy, conv, turn)
                return
            self.error(f"frame:{code}")
            if turn is not None and code in ("turn_failed", "internal_error", "rate_limited"):
                turn.errors.append(code)
                turn.last_error_at = time.time()
                # as a patient widget: again after 1, 2, 4, 8 … s (a database restarting takes a few seconds)
                wait = min(8.0, 2.0 ** (turn.attempts - 1))
                asyncio.get_running_loop().call_later(wait, self._retry_soon, conv, turn)

    def _resend_busy(self, conv: Conv, turn: Turn) -> None:
        if conv.pending is turn and conv.ws is not None and not self.stopping:
            asyncio.get_running_loop().create_task(self._send(conv, turn))

    def _retry_soon(self, conv: Conv, turn: Turn) -> None:
        if conv.pending is turn and conv.ws is not None:
            asyncio.get_running_loop().create_task(self._send(conv, turn, again=True))

    async def _send(self, conv: Conv, turn: Turn, *, again: bool = False) -> None:
        if again:
            if turn.attempts >= MAX_ATTEMPTS:
                return
            turn.attempts += 1
        turn.last_sent = time.time()
        ws = conv.ws
        if ws is None:
            return  # sent by the reconnect
        with contextlib.suppress(WebSocketException, OSError):
            await ws.send(json.dumps({"type": "user_message", "text": turn.text, "client_msg_id": turn.msg_id}))

    async def _reconnect(self, conv: Conv) -> None:
        conv.reconnects += 1
        deadline = time.monotonic() + RECONNECT_FOR_S
        delay = 0.2
        while time.monotonic() < deadline and not self.stopping:
            conv.base = (conv.base + 1) % len(self.plan.bases)
            try:
                await self._connect(conv)
                return
            except Exception:
                self.error("reconnect_attempt_failed")
                await asyncio.sleep(delay + self.rng.random() * delay)
                delay = min(delay * 2, 2.0)
        conv.gave_up = True
        self.error("reconnect_gave_up")

    # ------------------------------------------------------------ steady turns

    async def steady(self, start_at: float) -> None:
        plan = self.plan
        await asyncio.sleep(max(0.0, start_at - time.time()))
        end = time.monotonic() + plan.duration_s
        every = 1.0 / plan.rate_per_s if plan.rate_per_s > 0 else 0.0
        nxt = time.monotonic()
        watchdog = asyncio.get_running_loop().create_task(self._watchdog())
        try:
            while time.monotonic() < end:
                if plan.turns_per_socket and all(len(c.turns) >= plan.turns_per_socket for c in self.convs):
                    break
                nxt += every
                await asyncio.sleep(max(0.0, nxt - time.monotonic()))
                conv = self._next_idle()
                if conv is None:
                    self.skipped_ticks += 1
                    continue
                k = len(conv.turns)
                texts = QUESTIONS[conv.language]
                turn = Turn(f"{conv.cid[-8:]}-{k}-{uuid.uuid4().hex[:6]}", texts[(conv.n + k) % len(texts)],
                            time.time())
                conv.turns.append(turn)
                conv.pending = turn
                await self._send(conv, turn)
            drain_end = time.monotonic() + plan.drain_s
            while time.monotonic() < drain_end and any(c.pending is not None for c in self.convs):
                await asyncio.sleep(0.2)
        finally:
            self.stopping = True
            watchdog.cancel()

    def _next_idle(self) -> Conv | None:
        cap = self.plan.turns_per_socket
        for _ in range(len(self.idle)):
            conv = self.idle.popleft()
            if conv.pending is None and conv.ws is not None and not (cap and len(conv.turns) >= cap):
                return conv
        return None

    async def _watchdog(self) -> None:
        """A turn unanswered for TURN_RETRY_S: resume (a reply frame may have been lost) and send it again."""
        while True:
            await asyncio.sleep(1.0)
            now = time.time()
            for conv in self.convs:
                turn = conv.pending
                if turn is not None and conv.ws is not None and now - turn.last_sent > TURN_RETRY_S:
                    self.error("turn_resent_after_timeout")
                    with contextlib.suppress(WebSocketException, OSError):
                        await conv.ws.send(json.dumps({"type": "resume", "after": conv.last_seq}))
                    await self._send(conv, turn, again=True)

    async def close_all(self) -> None:
        self.stopping = True
        for conv in self.convs:
            if conv.ws is not None:
                with contextlib.suppress(Exception):
                    await conv.ws.close()

    # ------------------------------------------------------------ the event log check

    async def verify(self) -> dict[str, int]:
        """Every sent message in its conversation's log exactly once, in the order sent, each followed by a reply
        before the next customer message; `failed` counts apologies (`fallback: turn_failed`)."""
        out = {"checked": 0, "accepted": 0, "undelivered": 0, "refused_at_end": 0, "lost": 0, "duplicated": 0,
               "out_of_order": 0, "unanswered": 0, "failed": 0, "log_unreadable": 0}
        gate = asyncio.Semaphore(32)

        async def one(conv: Conv) -> None:
            async with gate:
                events = await self._events(conv)
            if events is None:
                out["log_unreadable"] += 1
                return
            out["checked"] += 1
            sent = [t.msg_id for t in conv.turns]
            acked = {t.msg_id for t in conv.turns if t.echoed}  # the server echoed it: accepted
            out["accepted"] += len(acked)
            users = [(i, e["payload"].get("client_msg_id"))
                     for i, e in enumerate(events) if e["type"] == "user_uttered"]
            ids = [m for _, m in users]
            out["lost"] += sum(1 for m in acked if m not in ids)
            # sent, never echoed, not in the log: refused as `busy` to the end of the drain (admission control, counted
            # apart), or else the socket dropped before the server read it and the client gave up
            refused = {t.msg_id for t in conv.turns if t.refused}
            missing = [m for m in sent if m not in acked and m not in ids]
            out["refused_at_end"] += sum(1 for m in missing if m in refused)
            out["undelivered"] += sum(1 for m in missing if m not in refused)
            out["duplicated"] += sum(ids.count(m) - 1 for m in set(ids) if m)
            in_log = [m for m in ids if m in set(sent)]
            expected = [m for m in sent if m in set(in_log)]
            out["out_of_order"] += int(list(dict.fromkeys(in_log)) != expected)
            for k, (i, _) in enumerate(users):
                stop = users[k + 1][0] if k + 1 < len(users) else len(events)
                replies = [e for e in events[i + 1:stop] if e["type"] == "bot_uttered"]
                if not replies:
                    out["unanswered"] += 1
                elif any(e["payload"].get("fallback") == "turn_failed" for e in replies):
                    out["failed"] += 1

        await asyncio.gather(*(one(c) for c in self.convs))
        return out

    async def _events(self, conv: Conv) -> list[dict[str, Any]] | None:
        for k in range(max(3, len(self.plan.bases))):  # each server, and a closed keep-alive connection retried
            base = self.plan.bases[(conv.base + k) % len(self.plan.bases)]
            with contextlib.suppress(httpx.HTTPError):
                r = await self.http.get(f"{base}/api/conversations/{conv.cid}/events",
                                        headers={"Authorization": f"Bearer {conv.token}"})
                if r.status_code == 200:
                    return list(r.json()["events"])
        return None

    def turns(self) -> list[tuple[float, float | None, int, float]]:
        """(first sent, latency or None when unanswered, error frames, time of the last error or 0) per turn."""
        return [(t.first_sent, t.latency_s, len(t.errors), t.last_error_at) for c in self.convs for t in c.turns]


def run(plan: Plan, inbox: Any, outbox: Any) -> None:
    """The process body: open the sockets, say so, wait for the steady start time, run, verify, report."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, plan.sockets * 2 + 256)), hard))

    async def main() -> dict[str, Any]:
        client = Client(plan)
        t0 = time.monotonic()
        await client.open_all()
        outbox.put(("ramped", plan.index, len(client.convs), time.monotonic() - t0))
        start_at = await asyncio.to_thread(inbox.get)
        await asyncio.sleep(max(0.0, start_at - time.time()))
        cpu0 = time.process_time()
        await client.steady(start_at)
        # the steady phase and its drain are over: the parent reads the servers' CPU now, before the log check
        outbox.put(("steady", plan.index, time.process_time() - cpu0, time.time()))
        await client.close_all()
        log = await client.verify()
        await client.http.aclose()
        return {"index": plan.index, "opened": len(client.convs), "errors": client.errors, "turns": client.turns(),
                "stray_replies": client.stray_replies, "skipped_ticks": client.skipped_ticks,
                "keepalive_retries": client.keepalive_retries, "busy": client.busy,
                "reconnects": sum(c.reconnects for c in client.convs),
                "gave_up": sum(c.gave_up for c in client.convs), "log": log}

    outbox.put(("done", plan.index, asyncio.run(main())))
