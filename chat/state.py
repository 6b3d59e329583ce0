"""Conversation state, the question log and feedback, kept in SQLite so a restart loses nothing."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import NamedTuple

from runtime.database import Database, Migration, add_column
from runtime.masking import mask_personal

MIGRATIONS: list[Migration] = [
    ("0001_initial", [  # IF NOT EXISTS: files made before migrations were recorded take the same path
        "CREATE TABLE IF NOT EXISTS states (user TEXT PRIMARY KEY, flow TEXT, step TEXT, data TEXT, updated REAL)",
        """CREATE TABLE IF NOT EXISTS questions (id INTEGER PRIMARY KEY, asked_at REAL, text TEXT, answered INTEGER,
            status TEXT, top_kind TEXT, top_id TEXT, confidence REAL, reviewed INTEGER DEFAULT 0)""",
        "CREATE TABLE IF NOT EXISTS feedback (question_id INTEGER, vote INTEGER, at REAL, PRIMARY KEY (question_id))",
        "CREATE TABLE IF NOT EXISTS settings (user TEXT, key TEXT, value TEXT, PRIMARY KEY (user, key))",
        """CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, user TEXT, reply TEXT, created REAL,
            delivered REAL)""",
    ]),
    ("0002_question_topic", [add_column("questions", "topic", "TEXT")]),  # the topic a question counts under
]


class FlowState(NamedTuple):
    """Where a user is: the flow, its step and the answers so far."""

    flow: str
    step: str
    data: dict


class Queued(NamedTuple):
    """A message waiting in the outbox for another user."""

    id: int
    user: str
    reply: dict


class ChatState:
    """Per-user flow state plus anonymous question statistics (runtime.database: WAL, recorded migrations)."""

    def __init__(self, path: Path):
        self.db = Database(path, MIGRATIONS, name="chat state")

    def close(self) -> None:
        self.db.close()

    def _one(self, sql: str, args: list | tuple = ()) -> dict | None:
        with self.db.read() as conn:
            return conn.execute(sql, list(args)).fetchone()

    def _all(self, sql: str, args: list | tuple = ()) -> list[dict]:
        with self.db.read() as conn:
            return conn.execute(sql, list(args)).fetchall()

    def _run(self, sql: str, args: list | tuple = ()) -> int:
        """One write statement; returns the new row's id (for inserts)."""
        with self.db.write() as conn:
            return conn.execute(sql, list(args)).lastrowid

    def get(self, user: str) -> FlowState | None:
        """The flow a user is in, its step and the answers so far."""
        row = self._one("SELECT flow, step, data FROM states WHERE user = ?", [user])
        return FlowState(row["flow"], row["step"], json.loads(row["data"])) if row else None

    def put(self, user: str, flow: str, step: str, data: dict) -> None:
        self._run("INSERT OR REPLACE INTO states (user, flow, step, data, updated) VALUES (?, ?, ?, ?, ?)",
                  [user, flow, step, json.dumps(data, ensure_ascii=False), time.time()])

    def clear(self, user: str) -> None:
        self._run("DELETE FROM states WHERE user = ?", [user])

    def log_question(self, text: str, answered: bool, status: str, top_kind: str, top_id: str,
                     confidence: float, topic: str = "") -> int:
        """Store a masked question without any user id; returns its id for feedback buttons."""
        return int(self._run(
            "INSERT INTO questions (asked_at, text, answered, status, top_kind, top_id, confidence, topic) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [time.time(), mask_personal(text)[:500], int(answered), status, top_kind, top_id, confidence, topic]))

    def vote(self, question_id: int, vote: int) -> bool:
        """Record 👍 (1) or 👎 (-1); a second vote on the same answer replaces the first."""
        with self.db.write() as conn:
            if not conn.execute("SELECT 1 AS found FROM questions WHERE id = ?", [question_id]).fetchone():
                return False
            conn.execute("INSERT OR REPLACE INTO feedback (question_id, vote, at) VALUES (?, ?, ?)",
                         [question_id, vote, time.time()])
            return True

    def unanswered(self, limit: int = 20) -> list[dict]:
        return self._all("SELECT id, asked_at, text, status FROM questions WHERE answered = 0 "
                         "AND status != 'offtopic' AND reviewed = 0 ORDER BY id DESC LIMIT ?", [limit])

    def mark_reviewed(self, question_ids: list[int]) -> None:
        """Staff have looked at these questions; they leave the review list."""
        with self.db.write() as conn:
            conn.executemany("UPDATE questions SET reviewed = 1 WHERE id = ?", [(i,) for i in question_ids])

    def stats(self, since: float) -> dict:
        """Questions per day, answered share, top answers and feedback since a time."""
        with self.db.read() as conn:
            q = lambda sql: conn.execute(sql, [since])
            counts = q("SELECT count(*) AS total, coalesce(sum(answered), 0) AS answered FROM questions "
                       "WHERE asked_at >= ?").fetchone()
            per_day = q("SELECT date(asked_at, 'unixepoch', '+8 hours') AS day, count(*) AS n FROM questions "
                        "WHERE asked_at >= ? GROUP BY day ORDER BY day").fetchall()
            top = q("SELECT coalesce(topic, top_id) AS what, count(*) AS n FROM questions WHERE asked_at >= ? "
                    "AND answered = 1 GROUP BY coalesce(topic, top_id) ORDER BY n DESC LIMIT 10").fetchall()
            votes = q("SELECT coalesce(sum(vote > 0), 0) AS up, coalesce(sum(vote < 0), 0) AS down FROM feedback "
                      "WHERE at >= ?").fetchone()
        return {"total": counts["total"], "answered": counts["answered"],
                "per_day": [(r["day"], r["n"]) for r in per_day], "top": [(r["what"], r["n"]) for r in top],
                "up": votes["up"], "down": votes["down"]}

    def weekly_topics(self, since: float) -> list[dict]:
        """Questions per ISO week (Monday's date, Shanghai) and topic: rows {week, topic, n}."""
        return self._all("""SELECT date(asked_at, 'unixepoch', '+8 hours', 'weekday 0', '-6 days') AS week,
                                   coalesce(nullif(topic, ''), '（未归类）') AS topic, count(*) AS n
                            FROM questions WHERE asked_at >= ? GROUP BY week, topic ORDER BY week""", [since])

    def outcomes(self, since: float) -> dict[str, int]:
        """How questions ended: answered, not sure (unsure/empty), declined (off-topic)."""
        row = self._one("""SELECT coalesce(sum(answered = 1), 0) AS answered,
                                  coalesce(sum(answered = 0 AND status != 'offtopic'), 0) AS unsure,
                                  coalesce(sum(answered = 0 AND status = 'offtopic'), 0) AS declined
                           FROM questions WHERE asked_at >= ?""", [since])
        return dict(row)

    def votes_by_topic(self, since: float) -> list[dict]:
        """👍 and 👎 per topic: rows {topic, up, down}."""
        return self._all("""SELECT coalesce(nullif(q.topic, ''), '（未归类）') AS topic,
                                   sum(f.vote > 0) AS up, sum(f.vote < 0) AS down
                            FROM feedback f JOIN questions q ON q.id = f.question_id
                            WHERE f.at >= ? GROUP BY 1 ORDER BY count(*) DESC""", [since])

    def to_improve(self, limit: int = 100) -> list[dict]:
        """Questions staff should look at: not answered with confidence (off-topic aside) or voted 👎,
        not yet marked handled; newest first. Rows {id, asked_at, text, status, answered, vote, top_id}."""
        return self._all("""SELECT q.id, q.asked_at, q.text, q.status, q.answered, q.top_kind, q.top_id, f.vote
                            FROM questions q LEFT JOIN feedback f ON f.question_id = q.id
                            WHERE q.reviewed = 0 AND ((q.answered = 0 AND q.status != 'offtopic') OR f.vote < 0)
                            ORDER BY q.id DESC LIMIT ?""", [limit])

    def setting(self, user: str, key: str, default: str | None = None) -> str | None:
        row = self._one("SELECT value FROM settings WHERE user = ? AND key = ?", [user, key])
        return row["value"] if row else default

    def set_setting(self, user: str, key: str, value: str) -> None:
        self._run("INSERT OR REPLACE INTO settings (user, key, value) VALUES (?, ?, ?)", [user, key, value])

    def users_with(self, key: str) -> list[tuple[str, str]]:
        """(user, value) for every user who has this setting, e.g. announcement subscriptions."""
        return [(r["user"], r["value"]) for r in self._all("SELECT user, value FROM settings WHERE key = ?", [key])]

    def clear_setting(self, user: str, key: str) -> None:
        self._run("DELETE FROM settings WHERE user = ? AND key = ?", [user, key])

    def enqueue(self, user: str, reply: dict) -> None:
        """Keep a message for another user until a channel has delivered it (survives restarts)."""
        self._run("INSERT INTO outbox (user, reply, created) VALUES (?, ?, ?)",
                  [user, json.dumps(reply, ensure_ascii=False), time.time()])

    def undelivered(self, channel: str = "", limit: int = 50) -> list[Queued]:
        """Messages not yet delivered, oldest first; `channel` ("tg:") keeps one channel's users."""
        rows = self._all("SELECT id, user, reply FROM outbox WHERE delivered IS NULL AND user LIKE ? "
                         "ORDER BY id LIMIT ?", [channel + "%", limit])
        return [Queued(r["id"], r["user"], json.loads(r["reply"])) for r in rows]

    def delivered(self, message_id: int) -> None:
        self._run("UPDATE outbox SET delivered = ? WHERE id = ?", [time.time(), message_id])

    def forget(self, user: str) -> None:
        """Drop everything kept under this user's key (questions are stored without one)."""
        with self.db.write() as conn:
            for table in ("states", "settings", "outbox"):
                conn.execute(f"DELETE FROM {table} WHERE user = ?", [user])
