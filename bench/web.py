"""Benchmark the web page's JSON API: requests per second and latency at 1, 10 and 50 concurrent clients.

Usage: python -m bench.web [--clients 1,10,50] [--requests 300]

`python bot.py web` runs in its own process (rate limits off, a fresh data folder with the built knowledge base);
each client is one browser (its own cookies) that loads the page, then POSTs real questions to /api/message one
after another. Latency is per request as the client sees it.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.ask import DEFAULT_QUESTIONS, FALLBACK, percentile
from knowledge.config import KnowledgeSettings
from runtime.settings import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def questions() -> list[str]:
    if DEFAULT_QUESTIONS.exists():
        return [json.loads(line)["q"] for line in DEFAULT_QUESTIONS.read_text(encoding="utf-8").splitlines()
                if line.strip()]
    return FALLBACK


async def client(base: str, asked: list[str], budget: list[int], latencies: list[float], offset: int) -> None:
    """One browser: load the page (cookies), then ask questions until the shared budget is spent."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # cookies for 127.0.0.1
        async with session.get(base + "/") as response:
            assert response.status == 200
        csrf = next(c.value for c in session.cookie_jar if c.key == "pf_csrf")
        n = offset
        while budget[0] > 0:
            budget[0] -= 1
            n += 1
            started = time.perf_counter()
            async with session.post(base + "/api/message", json={"text": asked[n % len(asked)]},
                                    headers={"X-CSRF-Token": csrf}) as response:
                await response.read()
                assert response.status == 200, response.status
            latencies.append((time.perf_counter() - started) * 1000)


async def measure(base: str, clients: int, requests: int, asked: list[str]) -> dict:
    budget, latencies = [requests], []
    started = time.perf_counter()
    await asyncio.gather(*(client(base, asked, budget, latencies, n * 7) for n in range(clients)))
    seconds = time.perf_counter() - started
    return {"clients": clients, "requests": len(latencies), "per_second": len(latencies) / seconds,
            "p50": statistics.median(latencies), "p95": percentile(latencies, 0.95)}


async def wait_until_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(base + "/") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the web server did not start")
            await asyncio.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,10,50")
    parser.add_argument("--requests", type=int, default=300, help="requests per level of concurrency")
    parser.add_argument("--server-repo", type=Path, default=REPO, help="run bot.py web from another checkout "
                        "(e.g. an older commit, for comparison)")
    args = parser.parse_args(argv)
    settings = KnowledgeSettings.from_env()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        for name in ("kb.sqlite", "kb.manifest.json"):
            shutil.copy(settings.data_dir / name, data / name)
        env = {**os.environ, "KB_DATA_DIR": str(data), "WEB_PORT": str(port), "WEB_RATE_LIMIT_PER_MINUTE": "0",
               "WEB_IP_RATE_LIMIT_PER_MINUTE": "0", "WECHAT_TOKEN": "", "TELEGRAM_BOT_TOKEN": ""}
        server = subprocess.Popen([sys.executable, "bot.py", "web"], cwd=args.server_repo, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(wait_until_up(base))
            asked = questions()
            asyncio.run(measure(base, 2, 20, asked))  # warm up
            print(f"web API, POST /api/message with real questions, {args.requests} requests per level\n")
            print("| concurrent clients | requests/s | latency p50 | latency p95 |\n| --- | --- | --- | --- |")
            for clients in (int(c) for c in args.clients.split(",")):
                result = asyncio.run(measure(base, clients, args.requests, asked))
                print(f"| {clients} | {result['per_second']:.0f} | {result['p50']:.0f} ms | {result['p95']:.0f} ms |")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
