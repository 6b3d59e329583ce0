"""Anonymous browser sessions, issued and remembered by the server, and files kept briefly.

A browser holds a random session id in an HttpOnly cookie and a CSRF token in a cookie the page reads. Only the
server makes them: an id it did not issue, or one idle for longer than WEB_SESSION_IDLE_DAYS, gets a fresh session
(a made-up cookie pair is never adopted). The server keeps a digest of each id and token (`web.sqlite` in the data
folder) with the session's user key, which is random and unrelated to the id: so an id can be replaced — on consent —
without the user losing their sign-ups, and the ids never appear in the chat or booking databases.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from chat.types import Attachment
from runtime.database import Database, Migration

CHANNEL = "web:"                    # user keys of this channel: "web:<random user id>"
SESSION_COOKIE = "pf_session"       # HttpOnly: scripts never see who the user is
CSRF_COOKIE = "pf_csrf"             # readable by the page, echoed in X-CSRF-Token
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")  # what new_token() makes
USER = web.RequestKey("user", str)  # the request's user key, set by the sessions middleware
TOUCH_EVERY = 3600.0                # seconds between updates of a session's last-seen time
SWEEP_EVERY = 3600.0                # seconds between deletions of idle sessions

MIGRATIONS: list[Migration] = [
    ("0001_sessions", [
        """CREATE TABLE IF NOT EXISTS sessions (digest TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL,
            created REAL NOT NULL, seen REAL NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS sessions_by_seen ON sessions (seen)",
        "CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user)",
    ]),
]


def new_token() -> str:
    """A fresh random session id or CSRF token (192 bits)."""
    return secrets.token_urlsafe(24)


def well_formed(token: str | None) -> bool:
    """True for a value new_token() could have made; anything else is replaced."""
    return bool(token) and _TOKEN.fullmatch(token) is not None


def digest(token: str) -> str:
    """What is stored instead of a session id or CSRF token (random 192-bit values: a plain hash is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class WebSession:
    """A session the server issued: its user key, the digest of its CSRF token, and — when just issued or
    replaced — the new id and token to send as cookies."""

    user: str
    csrf_digest: str
    new_id: str = ""
    new_csrf: str = ""
    created: float = 0.0  # when the user's first session began (kept across rotation): a browser's age

    def csrf_matches(self, token: str) -> bool:
        return well_formed(token) and hmac.compare_digest(digest(token), self.csrf_digest)


class SessionStore:
    """Server-side sessions in their own SQLite file (runtime.database); idle ones expire."""

    def __init__(self, path: Path, idle_days: int = 30, clock: Callable[[], float] = time.time):
        self.db = Database(path, MIGRATIONS, name="web sessions")
        self.idle, self.clock = idle_days * 86400.0, clock
        self._swept = 0.0

    def close(self) -> None:
        self.db.close()

    def find(self, session_id: str | None) -> WebSession | None:
        """The session this cookie names, if the server issued it and it has not been idle too long."""
        if not well_formed(session_id):
            return None
        key, now = digest(session_id), self.clock()
        with self.db.read() as conn:
            row = conn.execute("SELECT user, csrf, created, seen FROM sessions WHERE digest = ?", [key]).fetchone()
        if row is None:
            return None
        if row["seen"] <= now - self.idle:
            with self.db.write() as conn:
                conn.execute("DELETE FROM sessions WHERE digest = ?", [key])
            return None
        if row["seen"] <= now - TOUCH_EVERY:
            with self.db.write() as conn:
                conn.execute("UPDATE sessions SET seen = ? WHERE digest = ?", [now, key])
        return WebSession(row["user"], row["csrf"], created=row["created"])

    def age(self, session: WebSession) -> float:
        """Seconds since the session's user first got a session: a private tab opened just now is 0 seconds old."""
        return max(0.0, self.clock() - session.created)

    def issue(self) -> WebSession:
        """A new session for a new (anonymous) user."""
        self.sweep()
        return self._store(CHANNEL + secrets.token_urlsafe(18))

    def rotate(self, session_id: str, current: WebSession) -> WebSession:
        """Replace the session's id and CSRF token, keeping its user and age (on consent: an id someone else may
        have seen or planted stops working)."""
        with self.db.write() as conn:
            conn.execute("DELETE FROM sessions WHERE digest = ?", [digest(session_id)])
        return self._store(current.user, current.created)

    def sweep(self, force: bool = False) -> int:
        """Delete sessions idle for longer than the idle period (at most once an hour unless forced)."""
        now = self.clock()
        if not force and now - self._swept < SWEEP_EVERY:
            return 0
        self._swept = now
        with self.db.write() as conn:
            return conn.execute("DELETE FROM sessions WHERE seen <= ?", [now - self.idle]).rowcount

    def _store(self, user: str, created: float | None = None) -> WebSession:
        session_id, csrf, now = new_token(), new_token(), self.clock()
        created = now if created is None else created
        with self.db.write() as conn:
            conn.execute("INSERT INTO sessions (digest, user, csrf, created, seen) VALUES (?, ?, ?, ?, ?)",
                         [digest(session_id), user, digest(csrf), created, now])
        return WebSession(user, digest(csrf), session_id, csrf, created)


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
