"""A fake OpenAI-compatible LLM for the load bench's fault runs: `python bench/load_llm.py PORT ok|stall`.

`ok` answers every `/v1/chat/completions` at once (streamed or not, on a kept-alive connection, as vLLM does) with
a short text, which the service's grounding check may keep or replace with its template (either way the turn is
answered); `stall` reads the request and then sends nothing for two minutes, as a wedged GPU server does. Plain
asyncio, no framework: it starts in a blink, so the bench can switch modes by restarting it (and "refuse" is simply
not running it). 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

TEXT = "OK"
STALL_S = 120.0


def _chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
    body = {"id": "fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": "fake",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, mode: str) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            if mode == "stall":
                await asyncio.sleep(STALL_S)
                return
            path = lines[0].split()[1]
            if path.endswith("/models"):
                await _json(writer, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
                continue
            request = json.loads(body or b"{}")
            if request.get("stream"):  # chunked and kept alive, as vLLM (uvicorn) answers
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                )
                for part in (_chunk({"role": "assistant", "content": TEXT}), _chunk({}, "stop"), b"data: [DONE]\n\n"):
                    writer.write(b"%x\r\n%s\r\n" % (len(part), part))
                writer.write(b"0\r\n\r\n")
                await writer.drain()
                continue
            await _json(writer, {"id": "fake", "object": "chat.completion", "created": int(time.time()),
                                 "model": "fake", "choices": [{"index": 0, "finish_reason": "stop",
                                                               "message": {"role": "assistant", "content": TEXT}}],
                                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _json(writer: asyncio.StreamWriter, body: dict[str, object]) -> None:
    data = json.dumps(body).encode()
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(data) + data)
    await writer.drain()


async def main(port: int, mode: str) -> None:
    server = await asyncio.start_server(lambda r, w: handle(r, w, mode), "127.0.0.1", port)
    async with server:
        await asyncio.sleep(3600)  # bounded: the bench stops it long before


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
