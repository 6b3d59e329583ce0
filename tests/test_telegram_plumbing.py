"""In-process checks of the Telegram wiring: rate limit, log safety, handler table, run() dispatch."""
from __future__ import annotations

import logging

import pytest
from telegram import Update
from telegram.ext import CommandHandler

from handlers import app as app_module
from handlers.app import build_application, run
from handlers.errors import RedactToken, describe, protect_logs
from runtime.ratelimit import SlidingWindow, Verdict
from handlers.settings import TelegramSettings
from tests.telegram_fixtures import tg_assistant  # noqa: F401

TOKEN = "123456789:AAE-plumbing_token"
pytestmark = pytest.mark.filterwarnings("error::telegram.warnings.PTBUserWarning")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_warns_once_then_drops_then_recovers():
    clock = Clock()
    limit = SlidingWindow(3, clock=clock)
    assert [limit.check("a") for _ in range(5)] == [Verdict.OK] * 3 + [Verdict.WARN, Verdict.DROP]
    assert limit.check("b") is Verdict.OK  # other users are not affected
    clock.now += 30
    assert limit.check("a") is Verdict.DROP  # still three hits in the last minute
    clock.now += 31
    assert limit.check("a") is Verdict.OK
    assert [limit.check("a") for _ in range(3)] == [Verdict.OK, Verdict.OK, Verdict.WARN]


def test_sliding_window_zero_means_unlimited_and_idle_users_are_forgotten():
    assert all(SlidingWindow(0).check("a") is Verdict.OK for _ in range(1000))
    clock = Clock()
    limit = SlidingWindow(1, clock=clock)
    for user in "abc":
        limit.check(user)
    clock.now += 120
    limit.check("d")
    assert set(limit._hits) == {"d"}


def test_describe_masks_phone_numbers_and_keeps_ids():
    update = Update.de_json({"update_id": 9, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "from": {"id": 5, "is_bot": False,
                                                                                  "first_name": "x"},
        "text": "我电话 13912345678，身份证 310115200801011234"}}, None)
    line = describe(update)
    assert "13912345678" not in line and "310115200801011234" not in line
    assert "update 9" in line and "user=5" in line and "[电话]" in line


def test_the_token_is_redacted_from_messages_and_tracebacks(caplog):
    logger = logging.getLogger("test.redact")
    redact = RedactToken(TOKEN)
    logger.addFilter(redact)
    try:
        logger.warning("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"failed url .../bot{TOKEN}/sendMessage")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeFilter(redact)
    assert TOKEN not in caplog.text and "<TOKEN>" in caplog.text


def test_protect_logs_mutes_httpx_request_lines_and_filters_root_handlers():
    root = logging.getLogger()
    handler = logging.NullHandler()
    root.addHandler(handler)
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    try:
        protect_logs(TOKEN)
        protect_logs(TOKEN)  # idempotent
        assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
        assert sum(isinstance(f, RedactToken) for f in handler.filters) == 1
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def test_every_command_in_the_table_has_a_handler_and_no_network_at_build(tg_assistant):
    settings = TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"})
    app = build_application(settings, tg_assistant, close_assistant=False)  # port 9 is closed: build must not call it
    registered = set()
    for handler in app.handlers[0]:
        if isinstance(handler, CommandHandler):
            registered |= handler.commands
    assert registered == {c.command for c in tg_assistant.texts.commands}
    assert app.bot_data["assistant"] is tg_assistant
    assert app.bot.base_url == f"http://127.0.0.1:9/bot{TOKEN}"
    assert app.error_handlers


@pytest.mark.parametrize("env,expected", [
    ({}, "run_polling"),
    ({"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg/hook", "TELEGRAM_WEBHOOK_SECRET": "abc"}, "run_webhook"),
])
def test_run_polls_by_default_and_serves_a_webhook_when_configured(tg_assistant, monkeypatch, env, expected):
    settings = TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, **env})
    app = build_application(settings, tg_assistant, close_assistant=False)
    seen = {}
    monkeypatch.setattr(type(app), "run_polling", lambda self, **kw: seen.update(run_polling=kw))
    monkeypatch.setattr(type(app), "run_webhook", lambda self, **kw: seen.update(run_webhook=kw))
    monkeypatch.setattr(app_module, "protect_logs", lambda token: seen.update(protected=token == TOKEN))
    run(app, settings)
    assert seen["protected"] and list(seen) == ["protected", expected]
    kwargs = seen[expected]
    assert kwargs["allowed_updates"] == ["message", "callback_query"]
    if expected == "run_webhook":
        assert kwargs["url_path"] == "tg/hook" and kwargs["secret_token"] == "abc"
        assert (kwargs["listen"], kwargs["port"]) == ("127.0.0.1", 8443)
