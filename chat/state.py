"""Conversation state, the question log and feedback, kept in SQLite so a restart loses nothing."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import NamedTuple

from runtime.database import Database, Migration, add_column, retire_web_session_ids
from runtime.masking import mask_personal


def _alerts_by_reference(conn) -> None:
    """Waiting staff alerts from older code hold a school's contact details: keep only the booking reference."""
    for row in conn.execute("SELECT id, reply FROM outbox_next").fetchall():
        match = re.match(r"【新的学校预约 (PD-\d{4}-\d{4,})】", json.loads(row["reply"]).get("text", ""))
        if match:
            conn.execute("UPDATE outbox_next SET reply = ?, ref = ? WHERE id = ?",
                         [json.dumps({"render": "staff_booking", "ref": match.group(1)}), match.group(1), row["id"]])


def _remask_questions(conn) -> None:
    """Questions logged before masking knew a form (「我是张伟」, an address, a QQ id) are masked again."""
    for row in conn.execute("SELECT id, text FROM questions").fetchall():
        masked = mask_personal(row["text"] or "")
        if masked != row["text"]:
            conn.execute("UPDATE questions SET text = ? WHERE id = ?", [masked, row["id"]])


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
    ("0003_outbox_per_message", [  # each message claimed, retried and set aside on its own; delivered rows go
        """CREATE TABLE outbox_next (id INTEGER PRIMARY KEY, user TEXT NOT NULL, reply TEXT NOT NULL,
            ref TEXT NOT NULL DEFAULT '', created REAL NOT NULL, due REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, progress INTEGER NOT NULL DEFAULT 0,
            claim TEXT, claimed_until REAL, set_aside REAL, error TEXT NOT NULL DEFAULT '')""",
        "INSERT INTO outbox_next (id, user, reply, created, due) "
        "SELECT id, user, reply, created, created FROM outbox WHERE delivered IS NULL",
        _alerts_by_reference,
        "DROP TABLE outbox",
        "ALTER TABLE outbox_next RENAME TO outbox",
        "CREATE INDEX outbox_by_user ON outbox (user, id)",
        "CREATE INDEX outbox_by_due ON outbox (set_aside, due)",
    ]),
    ("0004_retire_web_session_ids", [  # no browser's session id stays in the file as a user key
        retire_web_session_ids([("states", "user"), ("settings", "user"), ("outbox", "user")]),
    ]),
    ("0005_remask_questions_2026_12", [_remask_questions]),  # names, schools, addresses, QQ/WeChat ids too
]


QUESTION_CHARS = 500  # a logged question keeps at most this many characters (masked)


class FlowState(NamedTuple):
    """Where a user is: the flow, its step and the answers so far."""

    flow: str
    step: str
    data: dict


class Queued(NamedTuple):
    """A message in the outbox, claimed for delivery (chat.outbox holds the policy, this class the SQL)."""

    id: int
    user: str
    reply: dict       # the reply as JSON, or {"render": kind, "ref": …} for a message rendered at send time
    claim: str        # the claim token: only its holder may report on the message
    attempts: int     # failed attempts so far
    progress: int     # parts of the message already delivered (a retry continues after them)


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
            [time.time(), mask_personal(text, QUESTION_CHARS), int(answered), status, top_kind, top_id, confidence,
             topic]))

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

    def mark_reviewed(self, question_ids: list[int] | tuple[int, int]) -> int:
        """Staff have looked at these questions (a list of ids, or a (first, last) range of unanswered ones);
        they leave the review list. Returns how many left it."""
        with self.db.write() as conn:
            if isinstance(question_ids, tuple):
                return conn.execute("UPDATE questions SET reviewed = 1 WHERE id BETWEEN ? AND ? AND answered = 0 "
                                    "AND reviewed = 0", list(question_ids)).rowcount
            return sum(conn.execute("UPDATE questions SET reviewed = 1 WHERE id = ? AND reviewed = 0", [i]).rowcount
                       for i in question_ids)

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
        """Questions staff should look at: not answered with confidence, declined as off-topic, or voted 👎,
        not yet marked handled; newest first. Rows {id, asked_at, text, status, answered, vote, top_id}."""
        return self._all("""SELECT q.id, q.asked_at, q.text, q.status, q.answered, q.top_kind, q.top_id, f.vote
                            FROM questions q LEFT JOIN feedback f ON f.question_id = q.id
                            WHERE q.reviewed = 0 AND (q.answered = 0 OR f.vote < 0)
                            ORDER BY q.id DESC LIMIT ?""", [limit])

    def question(self, question_id: int) -> dict | None:
        """One logged question {id, asked_at, text, status, answered}, masked as it was stored."""
        return self._one("SELECT id, asked_at, text, status, answered FROM questions WHERE id = ?", [question_id])

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

    def enqueue(self, user: str, reply: dict, ref: str = "", now: float | None = None) -> int:
        """Keep a message for another user until a channel has delivered it (survives restarts)."""
        now = time.time() if now is None else now
        return int(self._run("INSERT INTO outbox (user, reply, ref, created, due) VALUES (?, ?, ?, ?, ?)",
                             [user, json.dumps(reply, ensure_ascii=False), ref, now, now]))

    def claim(self, channel: str, limit: int, now: float, lease: float, token: str, *, user: str | None = None,
              expired_before: float = 0.0) -> list[Queued]:
        """Claim up to `limit` due messages for users of `channel` (or exactly `user`), oldest first.

        One write transaction: two claimers never get the same row. A user's message is claimed only when none of
        that user's earlier messages waits or is claimed elsewhere, so each user gets messages in order while one
        user's trouble holds up nobody else. Rows older than `expired_before` are set aside first."""
        match = "o.user = ?" if user is not None else "substr(o.user, 1, ?) = ?"
        args = [user] if user is not None else [len(channel), channel]
        with self.db.write() as conn:
            if expired_before:
                conn.execute(f"UPDATE outbox AS o SET set_aside = ?, reply = '{{}}', claim = NULL, "
                             f"error = 'expired' || CASE WHEN o.error != '' THEN ' after ' || o.error ELSE '' END, "
                             f"claimed_until = NULL WHERE {match} AND o.set_aside IS NULL AND o.created < ? "
                             f"AND (o.claimed_until IS NULL OR o.claimed_until <= ?)", [now, *args, expired_before, now])
            rows = conn.execute(
                f"""SELECT o.id, o.user, o.reply, o.attempts, o.progress FROM outbox o
                    WHERE {match} AND o.set_aside IS NULL AND o.due <= ?
                      AND (o.claimed_until IS NULL OR o.claimed_until <= ?)
                      AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.user = o.user AND p.id < o.id
                                      AND p.set_aside IS NULL AND (p.due > ? OR p.claimed_until > ?))
                    ORDER BY o.id LIMIT ?""", [*args, now, now, now, now, limit]).fetchall()
            conn.executemany("UPDATE outbox SET claim = ?, claimed_until = ? WHERE id = ?",
                             [(token, now + lease, r["id"]) for r in rows])
        return [Queued(r["id"], r["user"], json.loads(r["reply"]), token, r["attempts"], r["progress"]) for r in rows]

    def outbox_done(self, message_id: int, claim: str) -> None:
        """The message was delivered (or needs no delivery): the row goes."""
        self._run("DELETE FROM outbox WHERE id = ? AND claim = ?", [message_id, claim])

    def outbox_later(self, message_id: int, claim: str, due: float, *, attempts: int, progress: int,
                     error: str = "") -> None:
        """Try the message again at `due` (the claim ends)."""
        self._run("UPDATE outbox SET due = ?, attempts = ?, progress = ?, error = ?, claim = NULL, claimed_until = NULL "
                  "WHERE id = ? AND claim = ?", [due, attempts, progress, error[:300], message_id, claim])

    def outbox_set_aside(self, message_id: int, claim: str, now: float, *, attempts: int, error: str) -> None:
        """Stop trying: keep only who, which reference, how often and why (the text is dropped)."""
        self._run("UPDATE outbox SET set_aside = ?, reply = '{}', attempts = ?, error = ?, claim = NULL, "
                  "claimed_until = NULL WHERE id = ? AND claim = ?", [now, attempts, error[:300], message_id, claim])

    def outbox_release(self, message_id: int, claim: str) -> None:
        """Give a claimed message back untried."""
        self._run("UPDATE outbox SET claim = NULL, claimed_until = NULL WHERE id = ? AND claim = ?",
                  [message_id, claim])

    def outbox_wake(self, user: str, now: float) -> int:
        """Everything waiting for this user is due now (the user is reachable again)."""
        with self.db.write() as conn:
            return conn.execute("UPDATE outbox SET due = ? WHERE user = ? AND set_aside IS NULL AND due > ?",
                                [now, user, now]).rowcount

    def outbox_counts(self, channel: str = "") -> dict:
        """{"waiting": n, "set_aside": n} for users of `channel` (all when empty)."""
        row = self._one("SELECT coalesce(sum(set_aside IS NULL), 0) AS waiting, coalesce(sum(set_aside IS NOT NULL), 0) "
                        "AS set_aside FROM outbox WHERE substr(user, 1, ?) = ?", [len(channel), channel])
        return {"waiting": row["waiting"], "set_aside": row["set_aside"]}

    def outbox_waiting(self, channel: str = "", user: str | None = None) -> list[dict]:
        """Messages not yet delivered nor set aside, oldest first (id, user, ref, created, due, attempts, error)."""
        match, args = ("user = ?", [user]) if user is not None else ("substr(user, 1, ?) = ?", [len(channel), channel])
        return self._all("SELECT id, user, ref, created, due, attempts, error FROM outbox WHERE set_aside IS NULL "
                         f"AND {match} ORDER BY id", args)

    def outbox_set_aside_rows(self, limit: int = 100) -> list[dict]:
        """Messages given up on, newest first (id, user, ref, created, set_aside, attempts, error)."""
        return self._all("SELECT id, user, ref, created, set_aside, attempts, error FROM outbox "
                         "WHERE set_aside IS NOT NULL ORDER BY id DESC LIMIT ?", [limit])

    def outbox_drop_set_aside(self, before: float | None = None) -> int:
        """Delete set-aside records (all, or those set aside before a time)."""
        with self.db.write() as conn:
            return conn.execute("DELETE FROM outbox WHERE set_aside IS NOT NULL AND set_aside < ?",
                                [before if before is not None else float("inf")]).rowcount

    def forget(self, user: str, refs: list[str] | tuple[str, ...] = ()) -> None:
        """Drop everything kept under this user's key (questions are stored without one) and the messages waiting
        for others about the user's records (`refs`: sign-up and booking codes); the deleted bytes are overwritten
        (secure_delete) and the write-ahead log is truncated."""
        with self.db.write() as conn:
            for table in ("states", "settings", "outbox"):
                conn.execute(f"DELETE FROM {table} WHERE user = ?", [user])
            conn.executemany("DELETE FROM outbox WHERE ref = ?", [(ref,) for ref in refs if ref])
        self.db.checkpoint()

    def purge(self, *, questions_before: float, records_before: float) -> dict:
        """The chat side of the retention sweep: questions (and their votes) asked before `questions_before`;
        forms left unfinished and records of undeliverable messages older than `records_before`."""
        with self.db.write() as conn:
            conn.execute("DELETE FROM feedback WHERE question_id IN (SELECT id FROM questions WHERE asked_at < ?)",
                         [questions_before])
            counts = {
                "questions": conn.execute("DELETE FROM questions WHERE asked_at < ?", [questions_before]).rowcount,
                "forms": conn.execute("DELETE FROM states WHERE updated < ?", [records_before]).rowcount,
                "set_aside": conn.execute("DELETE FROM outbox WHERE set_aside IS NOT NULL AND set_aside < ?",
                                          [records_before]).rowcount,
            }
        self.db.checkpoint()
        return counts
