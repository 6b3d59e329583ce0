"""Reply -> the keyword arguments of Telegram send calls: escaped HTML, inline keyboards, long texts split."""
from __future__ import annotations

import html
import io
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import MessageLimit

from chat.types import Button, Reply

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096, counted after entity parsing, in UTF-16 code units
SEPARATORS = ("\n\n", "\n")             # paragraphs first, then lines, then a hard cut


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
    return [part for part in (p.strip("\n") for p in _split(text, limit, SEPARATORS)) if part.strip()]


def _split(text: str, limit: int, separators: tuple[str, ...]) -> list[str]:
    if units(text) <= limit:
        return [text]
    if not separators:
        return _hard_split(text, limit)
    sep, finer = separators[0], separators[1:]
    parts: list[str] = []
    current = ""
    for piece in text.split(sep):
        joined = current + sep + piece if current else piece
        if units(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        pieces = _split(piece, limit, finer)
        parts.extend(pieces[:-1])
        current = pieces[-1]
    parts.append(current)
    return parts


def _hard_split(text: str, limit: int) -> list[str]:
    parts, current, size = [], [], 0
    for char in text:
        width = units(char)
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    return parts + ["".join(current)]


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
