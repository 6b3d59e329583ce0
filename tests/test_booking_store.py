"""The SQLite store: file permissions, WAL, recorded migrations, audit log."""
import os
import sqlite3
import stat

from booking import BookingStore
from booking.store import MIGRATIONS


def test_new_database_is_private_wal_and_migrated(tmp_path):
    path = tmp_path / "sub" / "booking.db"
    with BookingStore(path) as store:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
        with store.write() as tx:
            tx.audit("2026-11-28T10:00:00+08:00", "staff:1", "test", "x")
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and stat.S_IMODE(os.stat(wal).st_mode) == 0o600
        with store.read() as tx:
            assert tx.conn.execute("PRAGMA journal_mode").fetchone()["journal_mode"] == "wal"
            assert tx.conn.execute("PRAGMA busy_timeout").fetchone()["timeout"] >= 5000
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert {"_migrations", "sessions", "registrations", "school_bookings", "audit", "ref_counters"} <= tables


def test_reopening_does_not_reapply_migrations(tmp_path):
    path = tmp_path / "booking.db"
    BookingStore(path).close()
    os.chmod(path, 0o644)
    with BookingStore(path) as store:
        assert len(store.applied_migrations()) == len(MIGRATIONS)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_failed_write_rolls_back(tmp_path):
    with BookingStore(tmp_path / "booking.db") as store:
        try:
            with store.write() as tx:
                tx.audit("2026-11-28T10:00:00+08:00", "staff:1", "test", "x")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert store.audit_log() == []
        with store.write() as tx:
            tx.audit("2026-11-28T10:00:00+08:00", "staff:1", "test", "x", {"k": "值"})
        [entry] = store.audit_log()
        assert (entry.actor, entry.action, entry.target, entry.detail) == ("staff:1", "test", "x", {"k": "值"})
