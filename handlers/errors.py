"""One error handler for every update, and a log filter that keeps the bot token out of the logs."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from chat.types import Reply
from handlers.deliver import Target, deliver, is_not_modified
from runtime.masking import mask_personal

logger = logging.getLogger(__name__)


def describe(update: object) -> str:
    """A short, privacy-safe summary of an update for the log: ids and masked text only."""
    if update is None:
        return "no update (a scheduled job or the poller)"
    if not isinstance(update, Update):
        return repr(update)[:200]
    user, chat = update.effective_user, update.effective_chat
    message = update.effective_message
    if update.callback_query:
        text = update.callback_query.data
    else:
        text = (message.text or message.caption) if message else None
    return (f"update {update.update_id} chat={chat.type if chat else '-'} user={user.id if user else '-'} "
            f"text={mask_personal(text or '', 200)!r}")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what went wrong and, when it makes sense, tell the user to try again later."""
    error = context.error
    if isinstance(error, Forbidden):
        logger.info("cannot write to the chat (the user blocked the bot or removed it): %s; %s",
                    error.message, describe(update))
        return
    if isinstance(error, BadRequest) and is_not_modified(error):
        return
    if isinstance(error, RetryAfter):
        logger.warning("Telegram flood control still active after retries: %s; %s", error.message, describe(update))
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        logger.warning("network problem talking to Telegram: %s; %s", error.message, describe(update))
        return
    if isinstance(error, Conflict):
        logger.error("another process is polling with the same token: %s", error.message)
        return
    logger.error("failed to handle %s", describe(update), exc_info=error)
    if isinstance(update, Update) and (update.effective_chat or update.effective_user):
        try:
            await deliver(context.bot, Target.of(update), [Reply(context.bot_data["assistant"].texts("error"))])
        except TelegramError as exc:
            logger.info("could not send the error notice either: %s", exc.message)


class RedactToken(logging.Filter):
    """Replace the bot token wherever it would appear in a log line, tracebacks included."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if self.token in message or (record.exc_text and self.token in record.exc_text):
            record.msg, record.args = message.replace(self.token, "<TOKEN>"), ()
            record.exc_text = record.exc_text and record.exc_text.replace(self.token, "<TOKEN>")
        return True


def protect_logs(token: str) -> None:
    """Quiet the HTTP client's request log (its URLs contain the token) and redact the token everywhere."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    redact = RedactToken(token)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactToken) for f in handler.filters):
            handler.addFilter(redact)
