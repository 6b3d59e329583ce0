"""Benchmark the Telegram channel: updates per second and reply latency through the real PTB Application,
against a stand-in Bot API (tests/fakebotapi.py) that takes `--delay` seconds (default 0.1) to answer each call.

Usage: python -m bench.telegram [--users 40] [--messages 5] [--delay 0.1] [--rate 0] [--sequential]

users × messages real questions arrive at once (`--rate 0`, a burst: throughput) or paced at `--rate` updates per
second (latency under a steady load), each user's in order; latency is from the moment an update is queued at the
stand-in to the moment the stand-in has answered the bot's reply to it. `--sequential`
handles one update at a time, as the bot did before updates ran concurrently (for comparison on the same machine).
python-telegram-bot's AIORateLimiter keeps the bot within Telegram's 30 messages per second, which bounds the
throughput of any bot that answers every message.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dtm
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from telegram.ext import SimpleUpdateProcessor

from bench.ask import DEFAULT_QUESTIONS, FALLBACK, percentile
from booking import BookingDesk
from chat.assistant import Assistant
from chat.state import ChatState
from chat.texts import Texts
from handlers.app import build_application, polling_kwargs
from handlers.settings import TelegramSettings
from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine
from tests.fakebotapi import TOKEN, FakeBotAPI


def questions(path: Path) -> list[str]:
    if path.exists():
        return [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return FALLBACK


async def run(users: int, messages: int, delay: float, sequential: bool, rate: float = 0.0) -> dict:
    settings = KnowledgeSettings.from_env()
    engine = Engine.open(settings)
    asked = questions(DEFAULT_QUESTIONS)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        assistant = Assistant(engine, ChatState(data / "chat.sqlite"), Texts(settings.content_dir),
                              BookingDesk(data / "bookings.sqlite", settings.content_dir))
        fake = await FakeBotAPI(delay=delay).start()
        telegram = TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url,
                                              "RATE_LIMIT_PER_MINUTE": "0"})
        app = build_application(telegram, assistant)
        if sequential:
            app._update_processor = SimpleUpdateProcessor(1)  # noqa: SLF001 - the pre-concurrency behaviour
        await app.initialize()
        await app.updater.start_polling(poll_interval=0.0, timeout=dtm.timedelta(seconds=1), **polling_kwargs())
        await app.start()
        try:
            people = [{"id": 10_000 + n, "is_bot": False, "first_name": f"用户{n}"} for n in range(users)]
            warm = fake.mark()
            fake.push(fake.text("你好", user=people[0]))
            await fake.wait_for("sendMessage", since=warm, timeout=30)
            await asyncio.sleep(0.5)
            mark, pushed = fake.mark(), {}
            started = time.monotonic()
            for m in range(messages):
                for n, person in enumerate(people):
                    fake.push(fake.text(asked[(m * users + n) % len(asked)], user=person))
                    pushed.setdefault(person["id"], []).append(time.monotonic())
                    if rate:
                        await asyncio.sleep(max(0.0, started + (m * users + n + 1) / rate
                                                - time.monotonic()))
            total = users * messages
            await fake.wait_for("sendMessage", count=total, since=mark, timeout=600)
            finished = time.monotonic()
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            await fake.stop()
        replies: dict[int, list[float]] = {}
        for call in fake.calls_to("sendMessage", since=mark):
            replies.setdefault(call.params["chat_id"], []).append(call.at)
        latencies = [(answered - asked_at) * 1000 for chat, times in pushed.items()
                     for asked_at, answered in zip(times, replies.get(chat, []))]
    return {"updates": total, "seconds": finished - started, "per_second": total / (finished - started),
            "p50": statistics.median(latencies), "p95": percentile(latencies, 0.95)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds the stand-in Bot API takes per call")
    parser.add_argument("--rate", type=float, default=0.0, help="updates per second (0: all at once)")
    parser.add_argument("--sequential", action="store_true", help="one update at a time (the old behaviour)")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.users, args.messages, args.delay, args.sequential, args.rate))
    mode = "one update at a time" if args.sequential else "concurrent across users, in order per user"
    arrival = f"arriving at {args.rate:g}/s" if args.rate else "arriving at once"
    print(f"{result['updates']} updates from {args.users} users {arrival}, Bot API answering in "
          f"{args.delay * 1000:.0f} ms, {mode}:")
    print(f"  {result['per_second']:.1f} updates/s ({result['seconds']:.1f} s); reply latency p50 "
          f"{result['p50']:.0f} ms, p95 {result['p95']:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
