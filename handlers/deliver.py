"""Send rendered replies to a chat; a reply marked `edit` replaces the message its button was on."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot, Message, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application

from chat.outbox import Outbox, Outcome, deliver_due
from chat.outbox import Message as Queued
from chat.types import Reply
from handlers.render import Outgoing, render

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """Where replies go: the chat, its forum topic, and in groups the message to quote."""

    chat_id: int
    thread_id: int | None = None
    quote_id: int | None = None

    @classmethod
    def of(cls, update: Update) -> "Target":
        """Reply in the update's chat; in groups quote the user's message so it is clear who is answered."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None:  # a button on an inline message: answer in the private chat
            return cls(update.effective_user.id)
        thread = message.message_thread_id if isinstance(message, Message) and message.is_topic_message else None
        quote = message.message_id if update.message and chat.type != ChatType.PRIVATE else None
        return cls(chat.id, thread, quote)

    def send_kwargs(self, first: bool) -> dict:
        """chat_id and topic for every message; the quote only on the first one."""
        kwargs: dict = {"chat_id": self.chat_id}
        if self.thread_id is not None:
            kwargs["message_thread_id"] = self.thread_id
        if first and self.quote_id is not None:
            kwargs["reply_parameters"] = ReplyParameters(self.quote_id, allow_sending_without_reply=True)
        return kwargs


async def deliver(bot: Bot, target: Target, replies: list[Reply], origin: Message | None = None) -> None:
    """Show the replies in order; `origin` is the message whose button was pressed, if it can be edited."""
    first = True
    for reply in replies:
        calls = render(reply)
        if reply.edit and origin is not None and calls and calls[0].kind == "text":
            if await _edit(bot, origin, calls[0]):
                calls = calls[1:]
        for call in calls:
            await _send(bot, call, {**target.send_kwargs(first), **call.kwargs})
            first = False


async def _send(bot: Bot, call: Outgoing, kwargs: dict) -> None:
    if call.kind == "document":
        await bot.send_document(**kwargs)
    else:
        await bot.send_message(**kwargs)


async def _edit(bot: Bot, origin: Message, call: Outgoing) -> bool:
    """Edit the message in place; False when Telegram refuses and a new message must be sent instead."""
    try:
        await bot.edit_message_text(chat_id=origin.chat_id, message_id=origin.message_id, **call.kwargs)
    except BadRequest as exc:
        if is_not_modified(exc):
            return True
        logger.info("could not edit message %s, sending a new one: %s", origin.message_id, exc.message)
        return False
    return True


def is_not_modified(exc: BadRequest) -> bool:
    """True for the harmless 'message is not modified' (same text and keyboard pressed twice)."""
    return "message is not modified" in exc.message.lower()


CHANNEL = "tg:"  # user keys this channel can deliver to


def chat_id_of(user: str) -> int | None:
    """The private chat of a user key like "tg:12345"; None for keys of other channels."""
    channel, _, number = user.partition(":")
    digits = number.removeprefix("-")
    return int(number) if channel == "tg" and digits.isascii() and digits.isdigit() else None


async def send_queued(bot: Bot, message: Queued) -> Outcome:
    """Send one outbox message to its user's private chat, continuing after the parts already sent.

    Blocked, deactivated or unknown chats and other refusals (400/403) are permanent; flood control (429),
    network trouble and Telegram's own errors are worth another try."""
    chat_id = chat_id_of(message.user)
    if chat_id is None:
        return Outcome.failed("not a Telegram user key")
    target = Target(chat_id)
    try:
        for call in render(message.reply)[message.progress:]:
            await _send(bot, call, {**target.send_kwargs(False), **call.kwargs})
            message.progress += 1
    except RetryAfter as exc:
        wait = exc.retry_after
        return Outcome.retry(exc.message, after=wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
    except (Forbidden, BadRequest) as exc:
        return Outcome.failed(exc.message)
    except TelegramError as exc:
        return Outcome.retry(exc.message)
    return Outcome.sent()


class Courier:
    """Delivers the outbox's messages for Telegram users: a round starts after each update that may have queued
    some and from the outbox job; rounds never overlap in this process, and claims keep other processes apart."""

    def __init__(self, outbox: Outbox):
        self.outbox = outbox
        self._task: asyncio.Task | None = None
        self._again = False

    def kick(self, app: Application) -> None:
        """Start a delivery round soon (or one more after the current one); not while the bot is stopping (what is
        queued waits in the database for the next start)."""
        if not app.running:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = app.create_task(self._rounds(app.bot), name="outbox")

    async def _rounds(self, bot: Bot) -> None:
        while True:
            self._again = False
            await self.run(bot)
            if not self._again:
                return

    async def run(self, bot: Bot) -> int:
        """One delivery round: every due message for Telegram users; returns how many were delivered."""
        try:
            return await deliver_due(self.outbox, CHANNEL, lambda message: send_queued(bot, message))
        except Exception:  # the database, say: the next round tries again
            logger.exception("outbox delivery round failed")
            return 0
