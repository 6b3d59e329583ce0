"""Fixtures for the Telegram channel tests: a fake Bot API server, the real Application polling it.

Import the fixtures into a test module (`from tests.telegram_fixtures import ...`); conftest.py is shared
with other suites, so nothing here is global. The Assistant reuses conftest's session `engine`.
"""
from __future__ import annotations

import asyncio
import time

import datetime as dtm
import logging

import pytest
import pytest_asyncio
from telegram.ext import Application

from booking import BookingDesk
from chat.assistant import Assistant
from chat.context import shanghai_now
from chat.state import ChatState
from chat.texts import Texts
from handlers.app import build_application, polling_kwargs
from handlers.settings import TelegramSettings
from tests.fakebotapi import ADMIN, TOKEN, FakeBotAPI

TELEGRAM_TESTS = [pytest.mark.asyncio, pytest.mark.filterwarnings("error::telegram.warnings.PTBUserWarning")]


def open_assistant(engine, kb_settings, data_dir, clock=shanghai_now) -> Assistant:
    """An Assistant over the shared engine, with its own chat and booking databases in `data_dir`."""
    content = kb_settings.content_dir
    return Assistant(engine, ChatState(data_dir / "chat.sqlite"), Texts(content),
                     BookingDesk(data_dir / "bookings.sqlite", content), admins=(f"tg:{ADMIN['id']}",), clock=clock)


def tg_settings(server: FakeBotAPI, **env: str) -> TelegramSettings:
    """Settings read the same way bot.py reads them, pointed at the fake server."""
    values = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": server.base_url,
              "TELEGRAM_ADMIN_IDS": str(ADMIN["id"]), "RATE_LIMIT_PER_MINUTE": "100", **env}
    return TelegramSettings.from_env(values)


class RunningBot:
    """Start an Application the way run_polling does (post_init included) and stop it the same way."""

    def __init__(self, app: Application):
        self.app = app

    async def __aenter__(self) -> Application:
        app = self.app
        await app.initialize()
        await app.post_init(app)
        await app.updater.start_polling(poll_interval=0.0, timeout=dtm.timedelta(seconds=1),
                                        error_callback=self._polling_error, **polling_kwargs())
        await app.start()
        return app

    async def __aexit__(self, *exc) -> None:
        app = self.app
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)

    def _polling_error(self, error) -> None:
        self.app.create_task(self.app.process_error(error=error, update=None))


@pytest.fixture(scope="session")
def tg_assistant(engine, kb_settings, tmp_path_factory) -> Assistant:
    """One Assistant for the session (the engine takes about a second to load)."""
    return open_assistant(engine, kb_settings, tmp_path_factory.mktemp("tg-state"))


@pytest_asyncio.fixture
async def fake():
    """A fresh fake Bot API server on a free local port."""
    server = await FakeBotAPI().start()
    yield server
    await server.stop()


@pytest.fixture
def log_errors(caplog):
    """The log; `tg_app` fails a test whose bot logged an ERROR, unless the test checked it and called .clear()."""
    caplog.set_level(logging.INFO)
    return caplog


@pytest_asyncio.fixture
async def tg_app(fake, tg_assistant, log_errors):
    """The real Application from build_application, polling the fake server; fails on logged errors."""
    app = build_application(tg_settings(fake), tg_assistant, close_assistant=False)
    async with RunningBot(app):
        yield app
    errors = [r for r in log_errors.records if r.levelno >= logging.ERROR and not r.name.startswith("aiohttp")]
    assert not errors, "unexpected errors logged: " + "; ".join(r.getMessage() for r in errors)


@pytest_asyncio.fixture
async def tg(fake, tg_app):
    """The fake server, with the real bot running against it (see tg_app)."""
    yield fake


async def exchange(server: FakeBotAPI, update: dict, method: str = "sendMessage", count: int = 1):
    """Queue one update and wait for the bot's `count` calls to `method` that follow it."""
    mark = server.mark()
    server.push(update)
    return await server.wait_for(method, count, since=mark)


async def settle(server: FakeBotAPI, sentinel_user: dict | None = None, quiet: float = 0.3) -> None:
    """Wait until every queued update has been handled: a /help from `sentinel_user` (default ADMIN) is answered,
    and then the bot makes no call for `quiet` seconds (different users' updates run concurrently, so the sentinel
    alone does not prove the others are done)."""
    user = sentinel_user or ADMIN
    mark = server.mark()
    server.push(server.command("/help", user=user))
    deadline = time.monotonic() + 5
    while not any(c.params.get("chat_id") == user["id"] for c in server.calls_to("sendMessage", mark)):
        assert time.monotonic() < deadline, "the sentinel /help was never answered"
        await asyncio.sleep(0.01)
    seen = len(server.calls)
    while True:
        await asyncio.sleep(quiet)
        if len(server.calls) == seen and not server.updates:
            return
        assert time.monotonic() < deadline + 10, "the bot never went quiet"
        seen = len(server.calls)
