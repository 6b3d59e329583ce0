"""Anonymous browser sessions: a random id in an HttpOnly cookie, a CSRF token beside it, files kept briefly."""
from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from chat.types import Attachment
from runtime.keys import keyed_hash

CHANNEL = "web:"                    # user keys of this channel: "web:<session id>"
SESSION_COOKIE = "pf_session"       # HttpOnly: scripts never see who the user is
CSRF_COOKIE = "pf_csrf"             # readable by the page, echoed in X-CSRF-Token
COOKIE_MAX_AGE = 90 * 24 * 3600     # a returning parent keeps /my for about three months
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")  # what new_token() makes
USER = web.RequestKey("user", str)  # the request's user key, set by the sessions middleware
SESSION_KEY = web.AppKey("session_key", bytes)  # the data folder's key for hashing session ids (runtime.keys)


def new_token() -> str:
    """A fresh random session id or CSRF token (192 bits)."""
    return secrets.token_urlsafe(24)


def well_formed(token: str | None) -> bool:
    """True for a value new_token() could have made; anything else is replaced."""
    return bool(token) and _TOKEN.fullmatch(token) is not None


def user_key(session_id: str, key: bytes) -> str:
    """The Assistant's user key for a browser session: a keyed hash of its id (runtime.keys), so the databases
    and their backups never hold a value that would work as a session cookie."""
    return CHANNEL + keyed_hash(key, session_id)


@dataclass
class _Kept:
    user: str
    attachment: Attachment
    expires: float


class AttachmentStore:
    """Files from replies (.ics), in memory for a few minutes under a random id, readable by their session only."""

    def __init__(self, minutes: int = 15, per_user: int = 10, total: int = 2000,
                 clock: Callable[[], float] = time.monotonic):
        self.minutes, self.per_user, self.total, self.clock = minutes, per_user, total, clock
        self._items: OrderedDict[str, _Kept] = OrderedDict()

    def put(self, user: str, attachment: Attachment) -> str:
        """Keep a file for this user; return the id for /api/attachment/<id>."""
        self._sweep()
        mine = [key for key, kept in self._items.items() if kept.user == user]
        for key in mine[:max(0, len(mine) - self.per_user + 1)]:
            del self._items[key]
        while len(self._items) >= self.total:
            self._items.popitem(last=False)
        key = secrets.token_urlsafe(16)
        self._items[key] = _Kept(user, attachment, self.clock() + self.minutes * 60)
        return key

    def get(self, user: str, key: str) -> Attachment | None:
        """The file, if it exists, has not expired and belongs to this user."""
        kept = self._items.get(key)
        if kept is None or kept.user != user or kept.expires <= self.clock():
            return None
        return kept.attachment

    def _sweep(self) -> None:
        now = self.clock()
        for key in [key for key, kept in self._items.items() if kept.expires <= now]:
            del self._items[key]
