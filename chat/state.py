"""Conversation state, the question log and feedback, kept in SQLite so a restart loses nothing."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path

from runtime.masking import mask_personal

_SCHEMA = """
create table if not exists states (user text primary key, flow text, step text, data text, updated real);
create table if not exists questions (id integer primary key, asked_at real, text text, answered integer,
    status text, top_kind text, top_id text, confidence real, reviewed integer default 0, topic text);
create table if not exists feedback (question_id integer, vote integer, at real, primary key (question_id));
create table if not exists settings (user text, key text, value text, primary key (user, key));
create table if not exists outbox (id integer primary key, user text, reply text, created real, delivered real);
"""
class ChatState:
    """Per-user flow state plus anonymous question statistics."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._conn.execute("pragma journal_mode=wal")
        self._conn.execute("pragma busy_timeout=5000")
        self._conn.executescript(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("pragma table_info(questions)")}
        if "topic" not in columns:  # databases from before topics were logged
            self._conn.execute("alter table questions add column topic text")
        os.chmod(path, 0o600)

    def close(self) -> None:
        self._conn.close()

    def get(self, user: str) -> tuple[str, str, dict] | None:
        """The flow a user is in, its step and the answers so far."""
        row = self._conn.execute("select flow, step, data from states where user = ?", (user,)).fetchone()
        return (row[0], row[1], json.loads(row[2])) if row else None

    def put(self, user: str, flow: str, step: str, data: dict) -> None:
        with self._lock:
            self._conn.execute("insert or replace into states values (?, ?, ?, ?, ?)",
                               (user, flow, step, json.dumps(data, ensure_ascii=False), time.time()))

    def clear(self, user: str) -> None:
        with self._lock:
            self._conn.execute("delete from states where user = ?", (user,))

    def log_question(self, text: str, answered: bool, status: str, top_kind: str, top_id: str,
                     confidence: float, topic: str = "") -> int:
        """Store a masked question without any user id; returns its id for feedback buttons."""
        with self._lock:
            cur = self._conn.execute(
                "insert into questions (asked_at, text, answered, status, top_kind, top_id, confidence, topic) "
                "values (?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), mask_personal(text)[:500], int(answered), status, top_kind, top_id, confidence, topic))
            return int(cur.lastrowid)

    def vote(self, question_id: int, vote: int) -> bool:
        """Record 👍 (1) or 👎 (-1); a second vote on the same answer replaces the first."""
        with self._lock:
            exists = self._conn.execute("select 1 from questions where id = ?", (question_id,)).fetchone()
            if not exists:
                return False
            self._conn.execute("insert or replace into feedback values (?, ?, ?)", (question_id, vote, time.time()))
            return True

    def unanswered(self, limit: int = 20) -> list[dict]:
        rows = self._conn.execute(
            "select id, asked_at, text, status from questions where answered = 0 and status != 'offtopic' "
            "and reviewed = 0 order by id desc limit ?", (limit,)).fetchall()
        return [{"id": r[0], "asked_at": r[1], "text": r[2], "status": r[3]} for r in rows]

    def mark_reviewed(self, question_ids: list[int]) -> None:
        """Staff have looked at these questions; they leave the review list."""
        with self._lock:
            self._conn.executemany("update questions set reviewed = 1 where id = ?", [(i,) for i in question_ids])

    def stats(self, since: float) -> dict:
        """Questions per day, answered share, top answers and feedback since a time."""
        q = self._conn.execute
        total, answered = q("select count(*), coalesce(sum(answered), 0) from questions where asked_at >= ?",
                            (since,)).fetchone()
        per_day = q("select date(asked_at, 'unixepoch', '+8 hours') d, count(*) from questions where asked_at >= ? "
                    "group by d order by d", (since,)).fetchall()
        top = q("select coalesce(topic, top_id), count(*) n from questions where asked_at >= ? and answered = 1 "
                "group by coalesce(topic, top_id) order by n desc limit 10", (since,)).fetchall()
        votes = q("select coalesce(sum(vote > 0), 0), coalesce(sum(vote < 0), 0) from feedback where at >= ?",
                  (since,)).fetchone()
        return {"total": total, "answered": answered, "per_day": per_day, "top": top,
                "up": votes[0], "down": votes[1]}

    def setting(self, user: str, key: str, default: str | None = None) -> str | None:
        row = self._conn.execute("select value from settings where user = ? and key = ?", (user, key)).fetchone()
        return row[0] if row else default

    def set_setting(self, user: str, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute("insert or replace into settings values (?, ?, ?)", (user, key, value))

    def users_with(self, key: str) -> list[tuple[str, str]]:
        """(user, value) for every user who has this setting, e.g. announcement subscriptions."""
        return [tuple(r) for r in self._conn.execute("select user, value from settings where key = ?", (key,))]

    def clear_setting(self, user: str, key: str) -> None:
        with self._lock:
            self._conn.execute("delete from settings where user = ? and key = ?", (user, key))

    def enqueue(self, user: str, reply: dict) -> None:
        """Keep a message for another user until a channel has delivered it (survives restarts)."""
        with self._lock:
            self._conn.execute("insert into outbox (user, reply, created) values (?, ?, ?)",
                               (user, json.dumps(reply, ensure_ascii=False), time.time()))

    def undelivered(self, channel: str = "", limit: int = 50) -> list[tuple[int, str, dict]]:
        """Messages not yet delivered, oldest first; `channel` ("tg:") keeps one channel's users."""
        rows = self._conn.execute("select id, user, reply from outbox where delivered is null and user like ? "
                                  "order by id limit ?", (channel + "%", limit)).fetchall()
        return [(r[0], r[1], json.loads(r[2])) for r in rows]

    def delivered(self, message_id: int) -> None:
        with self._lock:
            self._conn.execute("update outbox set delivered = ? where id = ?", (time.time(), message_id))

    def forget(self, user: str) -> None:
        """Drop everything kept under this user's key (questions are stored without one)."""
        with self._lock:
            self._conn.execute("delete from states where user = ?", (user,))
            self._conn.execute("delete from settings where user = ?", (user,))
            self._conn.execute("delete from outbox where user = ?", (user,))
