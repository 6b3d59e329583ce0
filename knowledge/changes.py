"""The desk's drafts and its change log (desk-content/changes.sqlite): who proposed, previewed, published, undid.

A change is a phrasing attached to an entry or a new entry. It is a draft until published; a published change keeps
the entry as the bot knew it before and after, and can be undone once.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from runtime.database import Database, Migration

PHRASING, ENTRY = "phrasing", "entry"
DRAFT, PUBLISHED, UNDONE, DISCARDED = "draft", "published", "undone", "discarded"

MIGRATIONS: list[Migration] = [
    ("0001_changes", [
        """CREATE TABLE changes (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, entry_id TEXT NOT NULL,
            payload TEXT NOT NULL, question_id INTEGER, author TEXT NOT NULL, created_at REAL NOT NULL,
            status TEXT NOT NULL DEFAULT 'draft', previewed_by TEXT, previewed_at REAL,
            published_by TEXT, published_at REAL, before TEXT, after TEXT, undone_by TEXT, undone_at REAL)""",
    ]),
]


@dataclass
class Change:
    id: int
    kind: str              # phrasing | entry
    entry_id: str
    payload: dict          # phrasing: {"text"}; entry: the entry in content's format
    question_id: int | None
    author: str
    created_at: float
    status: str
    previewed_by: str | None
    published_by: str | None
    published_at: float | None
    before: dict | None    # the entry as the bot answered with it before publishing (None: it did not exist)
    after: dict | None
    undone_by: str | None
    undone_at: float | None


class ChangeStore:
    def __init__(self, path: Path):
        self.db = Database(path, MIGRATIONS, name="desk changes")

    def close(self) -> None:
        self.db.close()

    def add(self, kind: str, entry_id: str, payload: dict, author: str, question_id: int | None = None) -> int:
        with self.db.write() as conn:
            return conn.execute("INSERT INTO changes (kind, entry_id, payload, question_id, author, created_at) "
                                "VALUES (?, ?, ?, ?, ?, ?)", [kind, entry_id, _json(payload), question_id, author,
                                                              time.time()]).lastrowid

    def get(self, change_id: int) -> Change | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT * FROM changes WHERE id = ?", [change_id]).fetchone()
        return _change(row) if row else None

    def listed(self, *statuses: str, limit: int = 100) -> list[Change]:
        marks = ",".join("?" * len(statuses))
        with self.db.read() as conn:
            rows = conn.execute(f"SELECT * FROM changes WHERE status IN ({marks}) ORDER BY id DESC LIMIT ?",
                                [*statuses, limit]).fetchall()
        return [_change(r) for r in rows]

    def edit(self, change_id: int, entry_id: str, payload: dict) -> bool:
        """A draft's new wording; an earlier preview no longer counts."""
        with self.db.write() as conn:
            return conn.execute("UPDATE changes SET entry_id = ?, payload = ?, previewed_by = NULL, "
                                "previewed_at = NULL WHERE id = ? AND status = 'draft'",
                                [entry_id, _json(payload), change_id]).rowcount == 1

    def previewed(self, change_id: int, payload: dict, actor: str) -> None:
        """The actor saw what this exact wording would answer (a later edit clears it)."""
        with self.db.write() as conn:
            conn.execute("UPDATE changes SET previewed_by = ?, previewed_at = ? WHERE id = ? AND status = 'draft' "
                         "AND payload = ?", [actor, time.time(), change_id, _json(payload)])

    def publish(self, change_id: int, actor: str, before: dict | None, after: dict | None) -> bool:
        """Draft -> published, once: a second publish of the same draft changes nothing."""
        with self.db.write() as conn:
            return conn.execute("UPDATE changes SET status = 'published', published_by = ?, published_at = ?, "
                                "before = ?, after = ? WHERE id = ? AND status = 'draft'",
                                [actor, time.time(), _json(before), _json(after), change_id]).rowcount == 1

    def close_change(self, change_id: int, actor: str, status: str, was: str) -> bool:
        """published -> undone, or draft -> discarded (not handled after all), once."""
        with self.db.write() as conn:
            return conn.execute("UPDATE changes SET status = ?, undone_by = ?, undone_at = ? WHERE id = ? "
                                "AND status = ?", [status, actor, time.time(), change_id, was]).rowcount == 1


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _change(row: dict) -> Change:
    loads = lambda v: None if v is None else json.loads(v)  # noqa: E731
    return Change(row["id"], row["kind"], row["entry_id"], loads(row["payload"]), row["question_id"], row["author"],
                  row["created_at"], row["status"], row["previewed_by"], row["published_by"], row["published_at"],
                  loads(row["before"]), loads(row["after"]), row["undone_by"], row["undone_at"])
