"""PTB callbacks: each turns an update into an Event, asks the Assistant, and delivers its replies."""
from __future__ import annotations

import asyncio
import logging
import re

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ContextTypes, filters

from chat.assistant import Assistant
from chat.types import Event, Reply
from handlers.deliver import Target, deliver
from runtime.ratelimit import Verdict

logger = logging.getLogger(__name__)


class Addressed(filters.MessageFilter):
    """Private chats always; in groups only messages that mention the bot or reply to it."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == bot.id:
            return True
        return f"@{bot.username}".lower() in (message.text or message.caption or "").lower()


ADDRESSED = Addressed(name="Addressed")


def assistant(context: ContextTypes.DEFAULT_TYPE) -> Assistant:
    """The Assistant that build_application put in bot_data."""
    return context.bot_data["assistant"]


def user_key(update: Update) -> str:
    """The channel-neutral user key, e.g. "tg:12345"."""
    return f"tg:{update.effective_user.id}"


def in_group(update: Update) -> bool:
    """Others can read this chat, so no personal details may be collected here."""
    chat = update.effective_chat
    return chat is not None and chat.type != ChatType.PRIVATE


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True for users listed in TELEGRAM_ADMIN_IDS."""
    return update.effective_user.id in context.bot_data["admin_ids"]


async def respond(update: Update, context: ContextTypes.DEFAULT_TYPE, event: Event,
                  origin: Message | None = None) -> None:
    """Ask the assistant about one event and deliver its replies; messages it queued for others (and for this
    user) go out in a delivery round started right after."""
    try:
        # on a worker thread: a slow request (an export, a backup) never stalls the other users' updates
        replies = await asyncio.to_thread(assistant(context).handle, event)
        await deliver(context.bot, Target.of(update), replies, origin)
    finally:
        context.bot_data["courier"].kick(context.application)


async def admitted(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Count a message against the sender's rate limit; say "too fast" once when over it."""
    verdict = context.bot_data["limiter"].check(user_key(update))
    if verdict is Verdict.WARN:
        await deliver(context.bot, Target.of(update), [Reply(assistant(context).texts("too_fast"))])
    return verdict is Verdict.OK


def for_another_bot(text: str, username: str | None) -> bool:
    """True for "/forget@other_bot …": a command addressed to another bot in the same chat."""
    head = (text or "").strip().split(maxsplit=1)[0] if (text or "").strip() else ""
    name = head.partition("@")[2]
    return head.startswith("/") and bool(name) and name.lower() != (username or "").lower()


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pass a /command (known or not) to the assistant; commands for another bot are not ours to answer."""
    text = update.effective_message.text
    if for_another_bot(text, context.bot.username):
        return
    if update.effective_user and await admitted(update, context):
        await respond(update, context, Event.parse_text(user_key(update), text, is_admin(update, context), in_group(update)))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pass a typed question to the assistant, without the @mention that addressed it in a group."""
    if update.effective_user and await admitted(update, context):
        mention = re.compile(re.escape(f"@{context.bot.username}"), re.IGNORECASE)
        text = mention.sub(" ", update.effective_message.text).strip()
        await respond(update, context, Event.parse_text(user_key(update), text, is_admin(update, context), in_group(update)))


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain that only text is understood (photos, voice, stickers, files …)."""
    if update.effective_user and await admitted(update, context):
        await deliver(context.bot, Target.of(update), [Reply(assistant(context).texts("non_text"))])


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge a button press first, then show the assistant's reply (editing in place when it asks to)."""
    query = update.callback_query
    allowed = context.bot_data["limiter"].check(user_key(update)) is Verdict.OK
    try:
        await query.answer(None if allowed else assistant(context).texts("too_fast"))
    except BadRequest as exc:  # e.g. "query is too old" after downtime; the reply below still helps
        logger.info("could not answer callback query: %s", exc.message)
    if not allowed:
        return
    origin = query.message if query.message is not None and query.message.is_accessible else None
    event = Event(user=user_key(update), button=query.data or "", is_admin=is_admin(update, context),
                  public=in_group(update))
    await respond(update, context, event, origin)
