"""Scheduled work the Telegram channel runs for the Assistant: due reminders, and the daily retention sweep."""
from __future__ import annotations

import asyncio
import logging
from datetime import time

from telegram.ext import Application, ContextTypes

from chat.context import SHANGHAI
from handlers.deliver import CHANNEL

logger = logging.getLogger(__name__)

REMINDER_EVERY = 300                  # seconds between looks for due lecture and school reminders
OUTBOX_EVERY = 5                      # seconds between looks for due messages (retries, `bot.py admin`, other processes)
PURGE_AT = time(3, 30, tzinfo=SHANGHAI)  # daily sweep of personal details past the retention period


async def send_reminders(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Queue due reminders for Telegram users; the outbox delivers them (retrying, setting aside the undeliverable)."""
    if await asyncio.to_thread(context.bot_data["assistant"].queue_reminders, CHANNEL):
        context.bot_data["courier"].kick(context.application)


async def deliver_outbox(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Deliver due messages: retries, and messages queued by the command line or another process."""
    await context.bot_data["courier"].run(context.bot)


async def purge_old_data(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Blank personal details of past sessions and bookings older than the retention period."""
    logger.info("retention sweep: %s", await asyncio.to_thread(context.bot_data["assistant"].purge))


def schedule(app: Application) -> None:
    """Register the reminder and retention jobs (they start with the Application)."""
    if app.job_queue is None:
        logger.warning("no JobQueue: reminders are not sent; install python-telegram-bot[job-queue]")
        return
    app.job_queue.run_repeating(send_reminders, interval=REMINDER_EVERY, first=10, name="reminders")
    app.job_queue.run_repeating(deliver_outbox, interval=OUTBOX_EVERY, first=5, name="outbox")
    app.job_queue.run_daily(purge_old_data, time=PURGE_AT, name="retention")
