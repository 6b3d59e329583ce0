"""SQLite storage for bookings: its migrations and every SQL statement (opened the way runtime.database opens)."""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from runtime.database import Database, Migration, add_column, retire_web_session_ids

from .models import AuditEntry, Registration, SchoolBooking, Session

MIGRATIONS: list[Migration] = [
    ("0001_initial", [
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            program_id TEXT NOT NULL, title TEXT NOT NULL,
            starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, deadline TEXT NOT NULL,
            venue TEXT NOT NULL, street TEXT NOT NULL, audience TEXT NOT NULL,
            capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 2000),
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),
            created_by TEXT NOT NULL, created_at TEXT NOT NULL, purged_at TEXT)""",
        "CREATE INDEX sessions_by_start ON sessions (status, starts_at)",
        """CREATE TABLE registrations (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            session_id INTEGER NOT NULL REFERENCES sessions (id),
            user_key TEXT NOT NULL, name TEXT NOT NULL, phone TEXT NOT NULL, role TEXT NOT NULL,
            attendees INTEGER NOT NULL CHECK (attendees BETWEEN 1 AND 10),
            status TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
            created_at TEXT NOT NULL, cancelled_at TEXT, cancel_reason TEXT,
            promoted_at TEXT, reminded_at TEXT, purged_at TEXT)""",
        """CREATE UNIQUE INDEX registrations_one_active ON registrations (session_id, user_key)
            WHERE status != 'cancelled'""",
        "CREATE INDEX registrations_by_session ON registrations (session_id, status, id)",
        "CREATE INDEX registrations_by_user ON registrations (user_key)",
        """CREATE TABLE ref_counters (
            prefix TEXT NOT NULL, year INTEGER NOT NULL, last INTEGER NOT NULL,
            PRIMARY KEY (prefix, year))""",
        """CREATE TABLE school_bookings (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE, user_key TEXT NOT NULL,
            school TEXT NOT NULL, street TEXT NOT NULL, address TEXT NOT NULL,
            contact_name TEXT NOT NULL, contact_role TEXT NOT NULL, phone TEXT NOT NULL,
            grades TEXT NOT NULL, head_count INTEGER NOT NULL, program_id TEXT NOT NULL,
            topics TEXT NOT NULL, preferred_dates TEXT NOT NULL, time_of_day TEXT NOT NULL,
            notes TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('待审核', '已确认', '已改期待确认', '已婉拒', '已取消')),
            decision TEXT, decided_by TEXT, decided_at TEXT, scheduled_date TEXT, reason TEXT,
            last_date TEXT NOT NULL,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL, reminded_at TEXT, purged_at TEXT)""",
        "CREATE INDEX school_bookings_by_status ON school_bookings (status, created_at)",
        "CREATE INDEX school_bookings_by_user ON school_bookings (user_key)",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,
            action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}')""",
        "CREATE INDEX audit_by_target ON audit (target, id)",
    ]),
    ("0002_guardian_consent", [  # a student under 14 signs up with a guardian's name, phone and consent
        "ALTER TABLE registrations ADD COLUMN guardian_name TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE registrations ADD COLUMN guardian_phone TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE registrations ADD COLUMN guardian_consent_at TEXT",
    ]),
    ("0003_office_desk", [  # the web desk: staff accounts and sessions, the school's answers, e-mail
        add_column("school_bookings", "email", "TEXT NOT NULL DEFAULT ''"),
        add_column("school_bookings", "scheduled_time", "TEXT"),
        add_column("school_bookings", "attention", "TEXT"),
        add_column("school_bookings", "school_note", "TEXT NOT NULL DEFAULT ''"),
        """CREATE TABLE IF NOT EXISTS staff (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, email TEXT NOT NULL DEFAULT '',
            password_hash TEXT NOT NULL DEFAULT '', setup_hash TEXT, setup_expires TEXT,
            failed INTEGER NOT NULL DEFAULT 0, locked_until TEXT, last_sign_in TEXT,
            created_at TEXT NOT NULL, created_by TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS staff_sessions (
            token_hash TEXT PRIMARY KEY, staff_id INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
            csrf TEXT NOT NULL, created_at TEXT NOT NULL, last_seen TEXT NOT NULL)""",
    ]),
    ("0004_guardian_hold", [  # a seat held until a guardian consents from their own account (booking.consent)
        """CREATE TABLE registrations_new (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            session_id INTEGER NOT NULL REFERENCES sessions (id),
            user_key TEXT NOT NULL, name TEXT NOT NULL, phone TEXT NOT NULL, role TEXT NOT NULL,
            attendees INTEGER NOT NULL CHECK (attendees BETWEEN 1 AND 10),
            status TEXT NOT NULL CHECK (status IN ('confirmed', 'held', 'waitlisted', 'cancelled')),
            created_at TEXT NOT NULL, cancelled_at TEXT, cancel_reason TEXT,
            promoted_at TEXT, reminded_at TEXT, purged_at TEXT,
            guardian_name TEXT NOT NULL DEFAULT '', guardian_phone TEXT NOT NULL DEFAULT '',
            guardian_consent_at TEXT,
            consent TEXT NOT NULL DEFAULT '' CHECK (consent IN ('', 'pending', 'given', 'refused', 'expired')),
            consent_code TEXT, consent_expires_at TEXT, guardian_user_key TEXT NOT NULL DEFAULT '')""",
        """INSERT INTO registrations_new (id, ref, session_id, user_key, name, phone, role, attendees, status,
              created_at, cancelled_at, cancel_reason, promoted_at, reminded_at, purged_at, guardian_name,
              guardian_phone, guardian_consent_at, consent)
           SELECT id, ref, session_id, user_key, name, phone, role, attendees, status, created_at, cancelled_at,
              cancel_reason, promoted_at, reminded_at, purged_at, guardian_name, guardian_phone, guardian_consent_at,
              CASE WHEN guardian_consent_at IS NOT NULL THEN 'given' ELSE '' END
           FROM registrations""",
        "DROP TABLE registrations",
        "ALTER TABLE registrations_new RENAME TO registrations",
        """CREATE UNIQUE INDEX registrations_one_active ON registrations (session_id, user_key)
            WHERE status != 'cancelled'""",
        "CREATE INDEX registrations_by_session ON registrations (session_id, status, id)",
        "CREATE INDEX registrations_by_user ON registrations (user_key)",
        "CREATE UNIQUE INDEX registrations_by_consent_code ON registrations (consent_code)",
        "CREATE INDEX registrations_awaiting_consent ON registrations (consent, consent_expires_at)",
        "CREATE INDEX registrations_by_guardian ON registrations (guardian_user_key)",
    ]),
    ("0005_retire_web_session_ids", [  # no browser's session id stays in the file as a user key
        retire_web_session_ids([("registrations", "user_key"), ("registrations", "guardian_user_key"),
                                ("school_bookings", "user_key")]),
    ]),
    ("0006_consent_proof", [  # what a guardian's answer proved: the hold's client address, staff call-backs
        add_column("registrations", "consent_origin", "TEXT NOT NULL DEFAULT ''"),
        add_column("registrations", "consent_check", "TEXT NOT NULL DEFAULT ''"),
        "CREATE INDEX IF NOT EXISTS registrations_to_call_back ON registrations (consent_check)",
    ]),
    ("0007_attendance", [  # who came to a session (ticked or scanned on the day), and by whom
        add_column("registrations", "attended_at", "TEXT"),
        add_column("registrations", "attended_by", "TEXT"),
    ]),
    ("0008_staff_known_addresses", [  # where each staff member signed in before: others' failures never lock them out
        add_column("staff", "known_addresses", "TEXT NOT NULL DEFAULT '[]'"),
    ]),
]

SEATED = "('confirmed', 'held')"  # statuses that take seats

_SESSION_SELECT = """
    SELECT s.*,
      COALESCE((SELECT SUM(attendees) FROM registrations r
                WHERE r.session_id = s.id AND r.status IN ('confirmed', 'held')), 0) AS seats_taken,
      (SELECT COUNT(*) FROM registrations r
       WHERE r.session_id = s.id AND r.status = 'waitlisted') AS waitlisted
    FROM sessions s"""


class BookingStore:
    """The bookings database (runtime.database: WAL, busy timeout, recorded migrations); open one per thread or
    process, or share one. Every SQL statement is a named query of Tx."""

    def __init__(self, path: Path | str, *, timeout: float = 30.0):
        self.db = Database(path, MIGRATIONS, name="booking", timeout=timeout)
        self.path = self.db.path

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> "BookingStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator["Tx"]:
        """One atomic write: BEGIN IMMEDIATE takes the write lock before any check is read."""
        with self.db.write() as conn:
            yield Tx(conn)

    @contextmanager
    def read(self) -> Iterator["Tx"]:
        """A consistent read snapshot."""
        with self.db.read() as conn:
            yield Tx(conn)

    def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in _migrations, oldest first."""
        return self.db.applied_migrations()

    def audit_note(self, actor: str, action: str, target: str, detail: dict, now) -> None:
        """Record a staff action that changes nothing here (e.g. questions marked handled in the chat state)."""
        from .clock import to_db

        with self.write() as tx:
            tx.audit(to_db(now), actor, action, target, detail)

    def audit_log(self, limit: int = 100, target: str | None = None) -> list[AuditEntry]:
        """Latest staff actions, newest first, optionally for one target (e.g. PD-2026-0001)."""
        sql, args = "SELECT * FROM audit", []
        if target is not None:
            sql, args = sql + " WHERE target = ?", [target]
        with self.read() as tx:
            return [AuditEntry.from_row(r) for r in tx._all(sql + " ORDER BY id DESC LIMIT ?", [*args, limit])]


class Tx:
    """Named queries run inside one transaction opened by BookingStore.write() or read()."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def _all(self, sql: str, args: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return self.conn.execute(sql, list(args)).fetchall()

    def _one(self, sql: str, args: Iterable[Any] = ()) -> dict[str, Any] | None:
        return self.conn.execute(sql, list(args)).fetchone()

    def _insert(self, table: str, values: dict[str, Any]) -> int:
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        return self.conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(values.values())).lastrowid

    def _update(self, table: str, key: str, key_value: Any, values: dict[str, Any]) -> None:
        sets = ", ".join(f"{col} = ?" for col in values)
        self.conn.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", [*values.values(), key_value])

    # reference codes and audit

    def next_ref(self, prefix: str, year: int) -> str:
        """Next code in a per-year sequence, e.g. JZ-2026-0007 (call inside write())."""
        self.conn.execute("""INSERT INTO ref_counters (prefix, year, last) VALUES (?, ?, 1)
                             ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1""", [prefix, year])
        row = self._one("SELECT last FROM ref_counters WHERE prefix = ? AND year = ?", [prefix, year])
        return f"{prefix}-{year}-{row['last']:04d}"

    def audit(self, at: str, actor: str, action: str, target: str, detail: dict | None = None) -> None:
        """Record who did what to which record, and when."""
        self._insert("audit", {"at": at, "actor": actor, "action": action, "target": target,
                               "detail": json.dumps(detail or {}, ensure_ascii=False, default=str)})

    # sessions

    def insert_session(self, values: dict[str, Any]) -> int:
        return self._insert("sessions", values)

    def session(self, session_id: int) -> Session | None:
        row = self._one(_SESSION_SELECT + " WHERE s.id = ?", [session_id])
        return Session.from_row(row) if row else None

    def open_sessions(self, now: str) -> list[Session]:
        rows = self._all(_SESSION_SELECT + " WHERE s.status = 'open' AND s.deadline >= ? ORDER BY s.starts_at, s.id",
                         [now])
        return [Session.from_row(r) for r in rows]

    def upcoming_sessions(self, now: str) -> list[Session]:
        rows = self._all(_SESSION_SELECT + " WHERE s.ends_at >= ? ORDER BY s.starts_at, s.id", [now])
        return [Session.from_row(r) for r in rows]

    def update_session(self, session_id: int, values: dict[str, Any]) -> None:
        self._update("sessions", "id", session_id, values)

    def set_session_status(self, session_id: int, status: str) -> None:
        self._update("sessions", "id", session_id, {"status": status})

    def seats_taken(self, session_id: int) -> int:
        """Seats of confirmed sign-ups and of sign-ups held for a guardian's consent."""
        row = self._one(f"""SELECT COALESCE(SUM(attendees), 0) AS n FROM registrations
                            WHERE session_id = ? AND status IN {SEATED}""", [session_id])
        return row["n"]

    # registrations

    def insert_registration(self, values: dict[str, Any]) -> int:
        return self._insert("registrations", values)

    def update_registration(self, reg_id: int, values: dict[str, Any]) -> None:
        self._update("registrations", "id", reg_id, values)

    def registration(self, reg_id: int | None = None, ref: str | None = None) -> Registration | None:
        row = self._one("SELECT * FROM registrations WHERE " + ("id = ?" if ref is None else "ref = ?"),
                        [reg_id if ref is None else ref])
        return self._with_sessions([row])[0] if row else None

    def active_registration(self, session_id: int, user_key: str) -> Registration | None:
        row = self._one("""SELECT * FROM registrations
                           WHERE session_id = ? AND user_key = ? AND status != 'cancelled'""", [session_id, user_key])
        return Registration.from_row(row) if row else None

    def registrations_of_user(self, user_key: str) -> list[Registration]:
        return self._with_sessions(self._all("""
            SELECT r.* FROM registrations r JOIN sessions s ON s.id = r.session_id
            WHERE r.user_key = ? ORDER BY s.starts_at DESC, r.id DESC""", [user_key]))

    def registrations_of_session(self, session_id: int, statuses: Iterable[str]) -> list[Registration]:
        statuses = list(statuses)
        marks = ", ".join("?" for _ in statuses)
        return self._with_sessions(self._all(f"""
            SELECT * FROM registrations WHERE session_id = ? AND status IN ({marks})
            ORDER BY CASE status WHEN 'confirmed' THEN 0 WHEN 'held' THEN 1 WHEN 'waitlisted' THEN 2 ELSE 3 END, id""",
            [session_id, *statuses]))

    def awaiting_consent(self, code_digest: str) -> Registration | None:
        """The active sign-up a guardian's code stands for (expired or not)."""
        row = self._one("""SELECT * FROM registrations WHERE consent_code = ? AND consent = 'pending'
                           AND status != 'cancelled'""", [code_digest])
        return self._with_sessions([row])[0] if row else None

    def expired_consents(self, now: str) -> list[Registration]:
        return self._with_sessions(self._all("""
            SELECT * FROM registrations WHERE consent = 'pending' AND status != 'cancelled'
              AND consent_expires_at <= ? ORDER BY id""", [now]))

    def to_call_back(self, now: str) -> list[Registration]:
        """Active sign-ups of sessions not yet begun whose guardian answered from the hold's own network."""
        return self._with_sessions(self._all("""
            SELECT r.* FROM registrations r JOIN sessions s ON s.id = r.session_id
            WHERE r.consent_check = 'same_network' AND r.status != 'cancelled' AND s.starts_at > ?
            ORDER BY s.starts_at, r.id""", [now]))

    def consented_by(self, guardian_key: str) -> list[Registration]:
        return self._with_sessions(self._all("""
            SELECT * FROM registrations WHERE guardian_user_key = ? ORDER BY id""", [guardian_key]))

    def forget_guardian(self, guardian_key: str) -> int:
        """Unlink a guardian's account from the consents they gave (the consents themselves stand)."""
        return self.conn.execute("UPDATE registrations SET guardian_user_key = '' WHERE guardian_user_key = ?",
                                 [guardian_key]).rowcount

    def count_active(self, session_id: int, *, phone: str | None = None, name: str | None = None) -> int:
        """Active sign-ups of a session with this contact phone (or this name)."""
        column, value = ("phone", phone) if phone is not None else ("name", name)
        row = self._one(f"""SELECT COUNT(*) AS n FROM registrations WHERE session_id = ? AND status != 'cancelled'
                            AND {column} = ?""", [session_id, value])
        return row["n"]

    def future_registrations_of_user(self, user_key: str, now: str) -> list[Registration]:
        return self._with_sessions(self._all("""
            SELECT r.* FROM registrations r JOIN sessions s ON s.id = r.session_id
            WHERE r.user_key = ? AND r.status != 'cancelled' AND s.starts_at > ? ORDER BY r.id""",
            [user_key, now]))

    def due_reminders(self, now: str, until: str) -> list[Registration]:
        return self._with_sessions(self._all("""
            SELECT r.* FROM registrations r JOIN sessions s ON s.id = r.session_id
            WHERE r.status = 'confirmed' AND r.reminded_at IS NULL AND s.status != 'cancelled'
              AND s.starts_at > ? AND s.starts_at <= ? ORDER BY s.starts_at, r.id""", [now, until]))

    def forget_registrations(self, user_key: str, at: str) -> int:
        return self.conn.execute("""
            UPDATE registrations SET name = '', phone = '', guardian_name = '', guardian_phone = '',
              user_key = 'forgotten:' || id, purged_at = ?
            WHERE user_key = ?""", [at, user_key]).rowcount

    def purge_registrations(self, ended_before: str, at: str) -> int:
        return self.conn.execute("""
            UPDATE registrations SET name = '', phone = '', guardian_name = '', guardian_phone = '',
              user_key = 'purged:' || id, purged_at = ?
            WHERE purged_at IS NULL
              AND session_id IN (SELECT id FROM sessions WHERE ends_at < ?)""", [at, ended_before]).rowcount

    def _with_sessions(self, rows: list[dict[str, Any]]) -> list[Registration]:
        ids = sorted({r["session_id"] for r in rows})
        sessions = {}
        if ids:
            marks = ", ".join("?" for _ in ids)
            found = self._all(_SESSION_SELECT + f" WHERE s.id IN ({marks})", ids)
            sessions = {r["id"]: Session.from_row(r) for r in found}
        return [Registration.from_row(r, sessions.get(r["session_id"])) for r in rows]

    # school bookings

    def insert_school_booking(self, values: dict[str, Any]) -> int:
        return self._insert("school_bookings", values)

    def update_school_booking(self, ref: str, values: dict[str, Any]) -> None:
        self._update("school_bookings", "ref", ref, values)

    def school_booking(self, ref: str) -> SchoolBooking | None:
        row = self._one("SELECT * FROM school_bookings WHERE ref = ?", [ref])
        return SchoolBooking.from_row(row) if row else None

    def open_school_bookings(self) -> list[SchoolBooking]:
        """What the office still has to act on or look at: undecided, awaiting the school, unseen answers."""
        rows = self._all("""SELECT * FROM school_bookings WHERE status IN ('待审核', '已改期待确认')
                            OR attention IS NOT NULL ORDER BY created_at, id""")
        return [SchoolBooking.from_row(r) for r in rows]

    def school_bookings(self, *, status: str | None = None, user_key: str | None = None) -> list[SchoolBooking]:
        where, args = [], []
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if user_key is not None:
            where.append("user_key = ?")
            args.append(user_key)
        sql = "SELECT * FROM school_bookings" + (" WHERE " + " AND ".join(where) if where else "")
        return [SchoolBooking.from_row(r) for r in self._all(sql + " ORDER BY created_at, id", args)]

    def open_duplicate(self, user_key: str, school: str, program_id: str, grades: str,
                       today: str) -> SchoolBooking | None:
        row = self._one("""SELECT * FROM school_bookings WHERE user_key = ? AND school = ? AND program_id = ?
                           AND grades = ? AND status IN ('待审核', '已改期待确认') AND last_date >= ?
                           ORDER BY id LIMIT 1""", [user_key, school, program_id, grades, today])
        return SchoolBooking.from_row(row) if row else None

    def due_school_reminders(self, today: str, until: str) -> list[SchoolBooking]:
        rows = self._all("""SELECT * FROM school_bookings WHERE status = '已确认' AND reminded_at IS NULL
                            AND scheduled_date >= ? AND scheduled_date <= ? ORDER BY scheduled_date, id""",
                         [today, until])
        return [SchoolBooking.from_row(r) for r in rows]

    def forget_school_bookings(self, user_key: str, at: str) -> int:
        """Blank a user's bookings; one that never took place (withdrawn, declined) loses its school name and
        address too, where a personal name may have been typed (the 街镇 stays for the statistics)."""
        return self.conn.execute("""
            UPDATE school_bookings SET contact_name = '', phone = '', notes = '', email = '', school_note = '',
              school = CASE WHEN status = '已确认' THEN school ELSE '' END,
              address = CASE WHEN status = '已确认' THEN address ELSE '' END,
              user_key = 'forgotten:' || id, purged_at = ?, updated_at = ?
            WHERE user_key = ?""", [at, at, user_key]).rowcount

    def school_refs_to_purge(self, ended_before: str) -> list[str]:
        """The bookings purge_school_bookings(ended_before) is about to blank."""
        return [r["ref"] for r in self._all("SELECT ref FROM school_bookings WHERE purged_at IS NULL AND last_date < ?",
                                            [ended_before])]

    def scrub_audit_notes(self, targets: list[str]) -> int:
        """Drop the free-text notes (the school's, staff's) from the audit entries of these records; who did what
        and when stays."""
        return sum(self.conn.execute("UPDATE audit SET detail = json_remove(detail, '$.note') WHERE target = ? "
                                     "AND json_extract(detail, '$.note') IS NOT NULL", [ref]).rowcount
                   for ref in targets)

    def purge_school_bookings(self, ended_before: str, at: str) -> int:
        return self.conn.execute("""
            UPDATE school_bookings SET contact_name = '', phone = '', notes = '', email = '', school_note = '',
              user_key = 'purged:' || id, purged_at = ?, updated_at = ?
            WHERE purged_at IS NULL AND last_date < ?""", [at, at, ended_before]).rowcount

    # statistics

    def signup_totals(self, column: str, now: str) -> list[dict[str, Any]]:
        """Per programme or per 街镇: sessions; people confirmed, held for a guardian's consent, present, and not
        come (sessions that have ended and where attendance was taken); waitlisted sign-ups."""
        if column not in ("program_id", "street"):
            raise ValueError(column)
        return self._all(f"""
            SELECT s.{column} AS key, count(DISTINCT s.id) AS sessions,
              coalesce(sum(CASE WHEN r.status = 'confirmed' THEN r.attendees END), 0) AS confirmed,
              coalesce(sum(CASE WHEN r.status = 'held' THEN r.attendees END), 0) AS held,
              coalesce(sum(r.status = 'waitlisted'), 0) AS waitlisted,
              coalesce(sum(CASE WHEN r.status = 'confirmed' AND r.attended_at IS NOT NULL THEN r.attendees END), 0)
                AS attended,
              coalesce(sum(CASE WHEN r.status = 'confirmed' AND r.attended_at IS NULL AND s.ends_at < ?
                                 AND s.id IN (SELECT session_id FROM registrations WHERE attended_at IS NOT NULL)
                                THEN r.attendees END), 0) AS no_shows
            FROM sessions s LEFT JOIN registrations r ON r.session_id = s.id
            WHERE s.status != 'cancelled' GROUP BY s.{column} ORDER BY confirmed DESC, key""", [now])

    def bookings_by_month(self) -> list[dict[str, Any]]:
        """School bookings per month they came in (YYYY-MM) and status."""
        return self._all("""SELECT substr(created_at, 1, 7) AS month, status, count(*) AS n FROM school_bookings
                            GROUP BY month, status ORDER BY month""")

    # staff accounts and their web sessions

    def insert_staff(self, values: dict[str, Any]) -> int:
        return self._insert("staff", values)

    def update_staff(self, staff_id: int, values: dict[str, Any]) -> None:
        self._update("staff", "id", staff_id, values)

    def staff_row(self, *, name: str | None = None, staff_id: int | None = None,
                  setup_hash: str | None = None) -> dict[str, Any] | None:
        column, value = (("name", name) if name is not None else ("id", staff_id) if staff_id is not None
                         else ("setup_hash", setup_hash))
        return self._one(f"SELECT * FROM staff WHERE {column} = ?", [value])

    def staff_rows(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM staff ORDER BY name")

    def delete_staff(self, staff_id: int) -> None:
        self.conn.execute("DELETE FROM staff_sessions WHERE staff_id = ?", [staff_id])
        self.conn.execute("DELETE FROM staff WHERE id = ?", [staff_id])

    def insert_staff_session(self, values: dict[str, Any]) -> None:
        self._insert("staff_sessions", values)

    def staff_session(self, token_hash: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM staff_sessions WHERE token_hash = ?", [token_hash])

    def touch_staff_session(self, token_hash: str, at: str) -> None:
        self._update("staff_sessions", "token_hash", token_hash, {"last_seen": at})

    def end_staff_sessions(self, *, token_hash: str | None = None, staff_id: int | None = None,
                           idle_before: str | None = None) -> int:
        if token_hash is not None:
            return self.conn.execute("DELETE FROM staff_sessions WHERE token_hash = ?", [token_hash]).rowcount
        if staff_id is not None:
            return self.conn.execute("DELETE FROM staff_sessions WHERE staff_id = ?", [staff_id]).rowcount
        return self.conn.execute("DELETE FROM staff_sessions WHERE last_seen < ?", [idle_before]).rowcount
