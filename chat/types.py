"""What a channel sends in and gets back: events in, replies with buttons out."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field

CALLBACK_LIMIT = 64  # bytes Telegram allows in callback data


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # namespaced, e.g. "art:3:75" or "ask:faq:family-leave-alone"

    def __post_init__(self):
        if len(self.data.encode()) > CALLBACK_LIMIT:
            raise ValueError(f"callback data too long: {self.data!r}")


@dataclass
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/octet-stream"


@dataclass
class Reply:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    attachment: Attachment | None = None
    edit: bool = False  # replace the message the button was on, instead of sending a new one
    error: bool = False  # the text explains why something was refused (the command line exits non-zero)
    calls: list[str] = field(default_factory=list)  # hotline numbers to offer as tap-to-call where a channel can


MAX_ID = 2 ** 31 - 1  # larger ids in button data or deep links are forged: no record has one


def small_number(text: str, high: int = MAX_ID) -> int | None:
    """A record id or index typed or carried in button data: ASCII digits up to `high`, else None (so "²", "١",
    "-1" and 99999999999999999999 never reach int() or SQLite)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)) or int(text) > high:
        return None
    return int(text)


def without_surrogates(text: str) -> str:
    """Text with lone surrogates (which cannot be encoded, e.g. from forged JSON) replaced by U+FFFD."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def button_parts(data: str) -> tuple[str, list[str]]:
    """(action, arguments) of namespaced callback data like 'lec:join:3'; forged or short data gives ('', [])."""
    parts = (data or "").split(":")
    return (parts[1] if len(parts) > 1 else ""), parts[2:]


def reply_to_json(reply: Reply) -> dict:
    """A reply as JSON, so undelivered messages can wait in the database."""
    data = {"text": reply.text, "buttons": [[[b.label, b.data] for b in row] for row in reply.buttons]}
    if reply.attachment:
        data["attachment"] = {"filename": reply.attachment.filename, "mime": reply.attachment.mime,
                              "content": base64.b64encode(reply.attachment.content).decode()}
    return data


def reply_from_json(data: dict) -> Reply:
    attachment = data.get("attachment")
    return Reply(data["text"], [[Button(label, payload) for label, payload in row] for row in data["buttons"]],
                 Attachment(attachment["filename"], base64.b64decode(attachment["content"]), attachment["mime"])
                 if attachment else None)


@dataclass(frozen=True)
class Event:
    """One thing a user did: typed text, pressed a button, or sent a command."""

    user: str            # stable per-channel user key, e.g. "tg:12345" or "cli:local"
    text: str = ""
    button: str = ""     # callback data of a pressed button
    command: str = ""    # without the slash
    args: tuple[str, ...] = ()
    is_admin: bool = False
    public: bool = False  # said where others can read it (a group chat): no personal details there
    origin: str = ""      # where it came from, for limits across users: the client address on the web page
    account_age: float | None = None  # seconds the account has existed, where the channel can tell (web: the
    #                                   browser session); None: an account tied to a phone (Telegram, WeChat)

    @classmethod
    def parse_text(cls, user: str, text: str, is_admin: bool = False, public: bool = False) -> "Event":
        """Turn '/law 75' into a command event and anything else into text."""
        stripped = (text or "").strip()
        if stripped.startswith("/") and len(stripped) > 1:
            head, *rest = stripped[1:].split()
            return cls(user=user, command=head.split("@")[0].lower(), args=tuple(rest), is_admin=is_admin,
                       public=public)
        return cls(user=user, text=text or "", is_admin=is_admin, public=public)
