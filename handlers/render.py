"""Reply -> the keyword arguments of Telegram send calls: escaped HTML, inline keyboards, long texts split."""
from __future__ import annotations

import html
import io
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import MessageLimit

from chat.types import Button, Reply
from runtime.textsplit import split_text as split_parts

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096, counted after entity parsing, in UTF-16 code units


@dataclass
class Outgoing:
    """One Telegram call: `kind` is "text" (send_message/edit_message_text) or "document" (send_document)."""

    kind: str
    kwargs: dict = field(default_factory=dict)


def units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: most emoji count twice)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut text into parts of at most `limit` units, at blank lines, then at line ends, then anywhere."""
    return split_parts(text, limit, units)


def keyboard(buttons: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """Inline keyboard with the same rows as the Reply; None when there are no buttons."""
    rows = [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in buttons if row]
    return InlineKeyboardMarkup(rows) if rows else None


def render(reply: Reply) -> list[Outgoing]:
    """The calls that show one Reply; its buttons go on the last message."""
    calls = [Outgoing("text", {"text": html.escape(part, quote=False)}) for part in split_text(reply.text)]
    if reply.attachment:
        document = InputFile(io.BytesIO(reply.attachment.content), filename=reply.attachment.filename)
        calls.append(Outgoing("document", {"document": document}))
    markup = keyboard(reply.buttons)
    if markup and calls:
        calls[-1].kwargs["reply_markup"] = markup
    return calls
