"""Scheduled work the Telegram channel runs for the Assistant: due reminders, and the daily retention sweep."""
from __future__ import annotations

import logging
from datetime import time

from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from chat.context import SHANGHAI
from handlers.deliver import CHANNEL, Target, chat_id_of, deliver, notify

logger = logging.getLogger(__name__)

REMINDER_EVERY = 300                  # seconds between looks for due lecture and school reminders
OUTBOX_EVERY = 15                     # seconds between deliveries of queued messages (e.g. from `bot.py admin`)
OUTBOX_BATCH = 25                     # at most this many per round: announcements stay far below Telegram's limits
PURGE_AT = time(3, 30, tzinfo=SHANGHAI)  # daily sweep of personal details past the retention period


async def send_reminders(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send due reminders; mark each as sent once Telegram took it (or the user blocked the bot)."""
    for user, reply, acknowledge in context.bot_data["assistant"].reminders():
        chat_id = chat_id_of(user)
        if chat_id is None:
            continue
        try:
            await deliver(context.bot, Target(chat_id), [reply])
        except Forbidden as exc:  # retrying every five minutes would not help
            logger.info("reminder for %s not delivered (blocked the bot?): %s", user, exc.message)
        except TelegramError as exc:
            logger.warning("reminder for %s not delivered, will retry: %s", user, exc.message)
            continue
        acknowledge()


async def deliver_outbox(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Deliver messages still queued: ones a send failed for, and ones staff queued from the command line."""
    await notify(context.bot, context.bot_data["assistant"].outbox(CHANNEL)[:OUTBOX_BATCH])


async def purge_old_data(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Blank personal details of past sessions and bookings older than the retention period."""
    logger.info("retention sweep: %s", context.bot_data["assistant"].purge())


def schedule(app: Application) -> None:
    """Register the reminder and retention jobs (they start with the Application)."""
    if app.job_queue is None:
        logger.warning("no JobQueue: reminders are not sent; install python-telegram-bot[job-queue]")
        return
    app.job_queue.run_repeating(send_reminders, interval=REMINDER_EVERY, first=10, name="reminders")
    app.job_queue.run_repeating(deliver_outbox, interval=OUTBOX_EVERY, first=5, name="outbox")
    app.job_queue.run_daily(purge_old_data, time=PURGE_AT, name="retention")
