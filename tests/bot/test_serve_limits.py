"""The HTTP server's own limits: half-sent headers are cut off; bodies are bounded."""
from __future__ import annotations

import asyncio
import socket

from aiohttp import web

from bot.serve import make_runner


async def _started(app: web.Application, **limits) -> tuple[web.AppRunner, int]:
    runner = make_runner(app, **limits)
    await runner.setup()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


async def test_a_client_that_never_finishes_its_headers_is_disconnected():
    async def ok(_request):
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", ok)
    runner, port = await _started(app, header_timeout=0.5)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and then nothing
        await writer.drain()
        closed = await asyncio.wait_for(reader.read(), timeout=10)  # EOF once the server gives up
        assert closed == b""
        writer.close()
        # a normal client is still served
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b"200 OK" in await asyncio.wait_for(reader.read(), timeout=10)
        writer.close()
    finally:
        await runner.cleanup()


async def test_an_oversized_body_is_413_before_any_handler_reads_it():
    async def echo(request: web.Request):
        return web.Response(text=str(len(await request.read())))

    app = web.Application()  # bot.app keeps aiohttp's bound (client_max_size, 1 MiB)
    app.router.add_post("/slack/events", echo)
    runner, port = await _started(app)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = b"x" * (2 * 1024 * 1024)
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)
        answer = await asyncio.wait_for(reader.read(), timeout=10)
        assert answer.startswith(b"HTTP/1.1 413")
        writer.close()
    finally:
        await runner.cleanup()
