"""Build and run the Telegram Application around an Assistant: wiring only, no chat logic.

    settings = TelegramSettings.from_env()          # SettingsError (Chinese) on a bad setting
    app = build_application(settings, assistant)    # no network until it runs
    run(app, settings)                              # polling, or a webhook when TELEGRAM_WEBHOOK_URL is set
"""
from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (AIORateLimiter, Application, CallbackQueryHandler, CommandHandler, Defaults,
                          MessageHandler, filters)

from chat.assistant import Assistant
from chat.texts import Command
from handlers.callbacks import ADDRESSED, on_button, on_command, on_other, on_text
from handlers.deliver import Courier
from handlers.errors import on_error, protect_logs
from handlers.jobs import schedule
from handlers.order import PerUserOrder
from handlers.settings import SettingsError, TelegramSettings
from runtime.ratelimit import SlidingWindow

__all__ = ["SettingsError", "TelegramSettings", "build_application", "run", "polling_kwargs", "webhook_kwargs"]

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
FLOOD_RETRIES = 2  # times a call is retried after Telegram's "429 Too Many Requests", waiting as told
NEW_MESSAGES = filters.UpdateType.MESSAGE  # edits of old messages are not answered again


def build_application(settings: TelegramSettings, assistant: Assistant, *,
                      close_assistant: bool = True) -> Application:
    """The Application with handlers, menus, jobs and error handling; no network call until it starts.

    `close_assistant=False` keeps the assistant's database open at shutdown (tests share one assistant).
    """
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # durations as timedelta: no PTB deprecation warning per 429
    services = {"assistant": assistant, "admin_ids": settings.admin_ids,
                "limiter": SlidingWindow(settings.rate_limit_per_minute), "courier": Courier(assistant.outbox)}
    builder = (Application.builder().token(settings.token)
               .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo("Asia/Shanghai"),
                                  link_preview_options=LinkPreviewOptions(is_disabled=True)))
               .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
               .concurrent_updates(PerUserOrder())
               .post_init(_post_init(services, settings.admin_ids))
               .post_shutdown(_post_shutdown(assistant, close_assistant)))
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
    if settings.proxy:
        builder = builder.proxy(settings.proxy).get_updates_proxy(settings.proxy)
    app = builder.build()
    app.bot_data.update(services)
    commands = [c.command for c in assistant.texts.commands]
    app.add_handler(CommandHandler(commands, on_command, filters=NEW_MESSAGES))
    app.add_handler(MessageHandler(NEW_MESSAGES & filters.COMMAND & ADDRESSED, on_command))
    app.add_handler(MessageHandler(NEW_MESSAGES & filters.TEXT & ADDRESSED, on_text))
    app.add_handler(MessageHandler(NEW_MESSAGES & ~filters.TEXT & ~filters.StatusUpdate.ALL & ADDRESSED, on_other))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(on_error)
    schedule(app)
    return app


def _post_init(services: dict, admin_ids: frozenset[int]) -> Callable[[Application], Awaitable[None]]:
    """The post_init hook, bound to this bot's services."""
    async def post_init(app: Application) -> None:
        """Hand the services to the callbacks (again, in case persistence replaced bot_data) and set the menu."""
        app.bot_data.update(services)
        if app.bot.username:  # a guardian's consent link the child can pass on (chat/consent.py)
            services["assistant"].offer_link("Telegram", f"https://t.me/{app.bot.username}?start={{payload}}")
        await set_command_menu(app.bot, services["assistant"].texts.commands, admin_ids)
    return post_init


def _post_shutdown(assistant: Assistant, close: bool) -> Callable[[Application], Awaitable[None]]:
    """The post_shutdown hook, bound to this bot's assistant."""
    async def post_shutdown(app: Application) -> None:
        """Close the assistant's databases so their last writes are checkpointed."""
        if close:
            assistant.close()
    return post_shutdown


async def set_command_menu(bot, commands: list[Command], admin_ids: frozenset[int]) -> None:
    """Public commands for everyone; public and staff commands in each admin's own chat."""
    public = [BotCommand(c.command, c.description) for c in commands if not c.admin]
    everything = [BotCommand(c.command, c.description) for c in commands]
    menus = [(public, None)] + [(everything, BotCommandScopeChat(admin)) for admin in sorted(admin_ids)]
    for menu, scope in menus:
        try:
            await bot.set_my_commands(menu, scope=scope)
        except TelegramError as exc:  # e.g. "chat not found" until that admin has started the bot once
            logger.warning("could not set the command menu for %s: %s", scope.chat_id if scope else "everyone",
                           exc.message)


def polling_kwargs() -> dict:
    """Arguments for run_polling / updater.start_polling."""
    return {"allowed_updates": ALLOWED_UPDATES}


def webhook_kwargs(settings: TelegramSettings) -> dict:
    """Arguments for run_webhook / updater.start_webhook; PTB checks the secret-token header."""
    return {"listen": settings.webhook_listen, "port": settings.webhook_port, "url_path": settings.webhook_path,
            "webhook_url": settings.webhook_url, "secret_token": settings.webhook_secret,
            "allowed_updates": ALLOWED_UPDATES}


def run(app: Application, settings: TelegramSettings) -> None:
    """Serve until stopped (Ctrl+C / SIGTERM): a webhook when one is configured, else long polling."""
    protect_logs(settings.token)
    if settings.webhook_url:
        logger.info("webhook on %s:%s", settings.webhook_listen, settings.webhook_port)
        app.run_webhook(**webhook_kwargs(settings))
    else:
        logger.info("long polling")
        app.run_polling(**polling_kwargs())
