"""The server's header deadline (a client trickling header bytes is cut off; a slow body is not), and
`python bot.py web` serving and stopping on SIGTERM through it."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from aiohttp import web
from aiohttp.test_utils import unused_port

from runtime.settings import REPO
from web import serving

pytestmark = pytest.mark.asyncio


async def echo(request: web.Request) -> web.Response:
    return web.Response(text=f"got {len(await request.read())}")


async def test_trickled_headers_are_cut_off_and_a_slow_body_is_not(monkeypatch):
    monkeypatch.setattr(serving, "HEADER_SECONDS", 0.5)
    app = web.Application()
    app.router.add_route("*", "/", echo)
    runner = serving._Runner(app, access_log=None)
    await runner.setup()
    port = unused_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.monotonic()
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
        closed = False
        for _ in range(20):  # one header byte every 0.1 s, never finishing
            await asyncio.sleep(0.1)
            if reader.at_eof():
                closed = True
                break
            try:
                writer.write(b"X")
                await writer.drain()
            except ConnectionError:
                closed = True
                break
        closed = closed or await reader.read() == b""
        assert closed and time.monotonic() - started < 1.5
        writer.close()

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\nConnection: close\r\n\r\n")
        for byte in b"12345678":  # headers complete at once; the body takes 1.6 s
            await asyncio.sleep(0.2)
            writer.write(bytes([byte]))
        answer = await reader.read()
        assert b"200 OK" in answer and answer.endswith(b"got 8")
        writer.close()
    finally:
        await runner.cleanup()


async def test_bot_py_web_serves_and_stops_on_sigterm(engine, kb_settings, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("kb.sqlite", "kb.manifest.json"):
        (data / name).write_bytes((kb_settings.data_dir / name).read_bytes())
    port = unused_port()
    env = {**os.environ, "KB_DATA_DIR": str(data), "WEB_PORT": str(port), "WEB_HOST": "127.0.0.1",
           "TELEGRAM_BOT_TOKEN": "", "WECHAT_TOKEN": "", "SMTP_HOST": ""}
    process = subprocess.Popen([sys.executable, "bot.py", "web"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                await asyncio.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
