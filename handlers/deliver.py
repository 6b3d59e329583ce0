"""Send rendered replies to a chat; a reply marked `edit` replaces the message its button was on."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from telegram import Bot, Message, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

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
            kwargs = {**target.send_kwargs(first), **call.kwargs}
            if call.kind == "document":
                await bot.send_document(**kwargs)
            else:
                await bot.send_message(**kwargs)
            first = False


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
    return int(number) if channel == "tg" and number.lstrip("-").isdigit() else None


async def notify(bot: Bot, items: list[tuple[str, Reply, Callable[[], None]]]) -> None:
    """Deliver messages meant for other users (staff alerts, promotions); one failure does not stop the rest.

    Each is acknowledged only once Telegram took it (or the user blocked the bot); the rest stay queued
    in the database and the outbox job tries them again."""
    for user, reply, acknowledge in items:
        chat_id = chat_id_of(user)
        if chat_id is None:
            logger.warning("cannot deliver a message to %s: not a Telegram user key", user)
            continue
        try:
            await deliver(bot, Target(chat_id), [reply])
        except Forbidden as exc:
            logger.info("could not notify %s (blocked the bot?): %s", user, exc.message)
        except TelegramError as exc:
            logger.warning("could not notify %s, will retry: %s", user, exc.message)
            continue
        acknowledge()
