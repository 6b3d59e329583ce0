"""The one way the bot's own SQLite files (bookings, chat state) are opened, migrated and queried.

    MIGRATIONS = [("0001_initial", ["CREATE TABLE …", …]), ("0002_…", [add_column("t", "c", "TEXT")])]
    db = Database(path, MIGRATIONS, name="chat state")
    with db.write() as conn:        # BEGIN IMMEDIATE … COMMIT (ROLLBACK on an exception)
        conn.execute("INSERT …", [...])
    with db.read() as conn:         # one consistent snapshot
        row = conn.execute("SELECT … AS n …").fetchone()["n"]    # rows are dicts: read columns by name

The file is private (0600, and so are its -wal and -shm files), in WAL mode with a busy timeout and `secure_delete`
(deleted content is overwritten with zeros); after deleting personal details call `db.checkpoint()`, which copies
the write-ahead log into the file and truncates it, so the old bytes are gone from every file. Migrations are named,
applied once each inside the write lock, and recorded in the table `_migrations` (name, applied_at). A database made before it kept that record
is brought forward by the same list: write migrations so they also hold on such a file (CREATE … IF NOT EXISTS,
add_column), and the record starts with them.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

Step = str | Callable[[sqlite3.Connection], None]
Migration = tuple[str, Sequence[Step]]


def dict_row(cursor: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
    """Rows as {column: value}, so no code depends on the order of columns."""
    return {col[0]: value for col, value in zip(cursor.description, row)}


def add_column(table: str, column: str, declaration: str) -> Callable[[sqlite3.Connection], None]:
    """A migration step adding a column, which leaves a table that already has it (from older code) alone."""
    def step(conn: sqlite3.Connection) -> None:
        columns = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    step.__name__ = f"add_column_{table}_{column}"
    return step


def _private_folder(folder: Path) -> None:
    """A data folder that existed before (made with a looser umask) is tightened to owner-only too."""
    info = os.stat(folder)
    if hasattr(os, "getuid") and info.st_uid == os.getuid() and info.st_mode & 0o077:
        os.chmod(folder, stat.S_IMODE(info.st_mode) & 0o700)


_RAW_WEB_ID = re.compile(r"web:([A-Za-z0-9_-]{32})")  # a browser's session id, as older code used it for a key


def retire_web_session_ids(table_columns: Sequence[tuple[str, str]]) -> Callable[[sqlite3.Connection], None]:
    """A migration step for files from before web sessions were issued by the server: user keys that were a
    browser's session id itself ("web:<id>") become "web:old-<SHA-256 of the id>", so no database or backup holds
    a value that would work as a session cookie (web.sessions keeps only digests too)."""
    def step(conn: sqlite3.Connection) -> None:
        for table, column in table_columns:
            if not conn.execute("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?",
                                [table]).fetchone():
                continue
            for row in conn.execute(f"SELECT DISTINCT {column} AS user FROM {table} WHERE {column} LIKE 'web:%'"
                                    ).fetchall():
                if match := _RAW_WEB_ID.fullmatch(row["user"]):
                    hidden = "web:old-" + hashlib.sha256(match.group(1).encode()).hexdigest()[:32]
                    conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", [hidden, row["user"]])
    step.__name__ = "retire_web_session_ids"
    return step


class Database:
    """One SQLite connection (WAL, busy timeout, dict rows) shared by the threads of one process."""

    def __init__(self, path: Path | str, migrations: Sequence[Migration], *, name: str = "database",
                 timeout: float = 30.0):
        self.path, self.name, self.migrations = Path(path), name, list(migrations)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _private_folder(self.path.parent)
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        if not hasattr(os, "getuid") or os.stat(self.path).st_uid == os.getuid():
            os.chmod(self.path, 0o600)
        self._lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = dict_row
        self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA secure_delete = ON")
        self._migrate()
        self._private_companions()

    def _private_companions(self) -> None:
        """The -wal and -shm files hold the same data: owner-only too, whatever the umask was."""
        for suffix in ("-wal", "-shm"):
            companion = self.path.with_name(self.path.name + suffix)
            try:
                if not hasattr(os, "getuid") or os.stat(companion).st_uid == os.getuid():
                    os.chmod(companion, 0o600)
            except FileNotFoundError:
                pass

    def checkpoint(self) -> bool:
        """Copy the write-ahead log into the database file and truncate it to zero bytes (after a deletion, so
        nothing deleted stays readable in the -wal file); False if another connection kept it from finishing."""
        with self._lock:
            busy, _, _ = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone().values()
        if busy:
            logger.warning("could not fully checkpoint %s (busy); deleted data leaves the log at the next checkpoint",
                           self.path.name)
        return not busy

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: BEGIN IMMEDIATE takes the write lock before any check is read."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent read snapshot."""
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")

    def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in _migrations, oldest first."""
        with self._lock:
            return [r["name"] for r in self.conn.execute("SELECT name FROM _migrations ORDER BY rowid")]

    def _migrate(self) -> None:
        """Apply the named migrations not yet recorded, all inside one write transaction."""
        wanted = [name for name, _ in self.migrations]
        with self._lock:
            exists = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").fetchone()
            if exists and self.applied_migrations() == wanted:
                return
            with self.write() as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
                done = {r["name"] for r in conn.execute("SELECT name FROM _migrations")}
                for name, steps in self.migrations:
                    if name in done:
                        continue
                    for step in steps:
                        step(conn) if callable(step) else conn.execute(step)
                    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, datetime('now'))", [name])
                    logger.info("applied %s migration %s to %s", self.name, name, self.path)
        self.checkpoint()  # a migration may have deleted data (old delivered messages): not left in the log
