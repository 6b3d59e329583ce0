"""Privacy hooks: forget_user and purge_past really blank the rows."""
import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from booking import BookingDesk, BookingRequest
from booking.clock import SHANGHAI

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
REQUEST = BookingRequest(
    school="浦东新区花木小学", street="花木街道", address="浦东新区花木路1号", contact_name="李明",
    contact_role="校长", phone="13812345678", grades="三年级", head_count=80, program_id="shaonian-jingxiao",
    preferred_dates=(date(2026, 12, 15),), notes="请联系李老师 13900001111")


@pytest.fixture
def desk(tmp_path):
    desk = BookingDesk(tmp_path / "booking.db")
    yield desk
    desk.close()


def session(desk, starts, capacity=2, now=NOW):
    return desk.lectures.create_session(
        "family-education", "", starts, starts + timedelta(hours=1), "花木街道社区中心", "花木", "家长",
        capacity, starts - timedelta(hours=2), created_by="staff:1", now=now)


def rows(desk, sql, args=()):
    conn = sqlite3.connect(desk.store.path)
    conn.row_factory = sqlite3.Row
    result = [dict(r) for r in conn.execute(sql, args)]
    conn.close()
    return result


def test_forget_user_cancels_promotes_and_blanks(desk):
    long_ago = NOW - timedelta(days=30)
    past = session(desk, NOW - timedelta(days=20), now=long_ago)
    desk.lectures.sign_up(past.id, "tg:me", "王丽", "13812345678", "家长", 1, long_ago)
    future = session(desk, NOW + timedelta(days=5))
    mine = desk.lectures.sign_up(future.id, "tg:me", "王丽", "13812345678", "家长", 2, NOW)
    theirs = desk.lectures.sign_up(future.id, "tg:you", "张伟", "13900001111", "家长", 1, NOW)
    booking = desk.schools.submit(REQUEST, "tg:me", NOW)
    assert theirs.status == "waitlisted"

    promoted = desk.forget_user("tg:me", NOW)

    assert [(r.ref, r.status) for r in promoted] == [(theirs.ref, "confirmed")]
    regs = rows(desk, "SELECT * FROM registrations WHERE ref != ?", [theirs.ref])
    assert len(regs) == 2
    for reg in regs:
        assert (reg["name"], reg["phone"]) == ("", "")
        assert reg["user_key"].startswith("forgotten:")
    assert {r["ref"]: r["status"] for r in regs}[mine.ref] == "cancelled"
    [school] = rows(desk, "SELECT * FROM school_bookings")
    assert (school["contact_name"], school["phone"], school["notes"], school["status"]) == ("", "", "", "已取消")
    assert school["ref"] == booking.ref and (school["school"], school["address"]) == ("", "")  # a name typed there
    assert school["street"] == REQUEST.street  # the 街镇 stays for the statistics
    assert desk.lectures.my_registrations("tg:me") == [] and desk.schools.for_user("tg:me") == []
    [other] = rows(desk, "SELECT * FROM registrations WHERE ref = ?", [theirs.ref])
    assert (other["name"], other["user_key"]) == ("张伟", "tg:you")
    audit = rows(desk, "SELECT * FROM audit WHERE action = 'forget_user'")
    assert len(audit) == 1 and "tg:me" not in audit[0]["detail"]


def test_purge_past_blanks_only_old_records(desk):
    old_now = NOW - timedelta(days=200)
    old = session(desk, NOW - timedelta(days=100), now=old_now)
    recent = session(desk, NOW - timedelta(days=10), now=old_now)
    desk.lectures.sign_up(old.id, "tg:a", "王丽", "13812345678", "家长", 1, old_now)
    desk.lectures.sign_up(recent.id, "tg:a", "王丽", "13812345678", "家长", 1, old_now)
    old_booking = desk.schools.submit(
        replace(REQUEST, preferred_dates=(date(2026, 6, 1),)), "tg:b", old_now)
    new_booking = desk.schools.submit(REQUEST, "tg:b", NOW)

    purged = desk.purge_past(NOW, days=90)

    assert (purged.registrations, purged.school_bookings) == (1, 1)
    regs = {r["session_id"]: r for r in rows(desk, "SELECT * FROM registrations")}
    assert (regs[old.id]["name"], regs[old.id]["phone"]) == ("", "")
    assert regs[old.id]["user_key"].startswith("purged:")
    assert (regs[recent.id]["name"], regs[recent.id]["user_key"]) == ("王丽", "tg:a")
    bookings = {b["ref"]: b for b in rows(desk, "SELECT * FROM school_bookings")}
    assert (bookings[old_booking.ref]["contact_name"], bookings[old_booking.ref]["phone"]) == ("", "")
    assert bookings[new_booking.ref]["contact_name"] == "李明"
    assert desk.purge_past(NOW, days=90).registrations == 0  # idempotent
