"""Capacity and decisions stay exact when many threads or processes write to one SQLite file."""
import multiprocessing
import sqlite3
import threading
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from booking import AlreadyDecided, BookingRequest, BookingStore, Lectures, Schools
from booking.clock import SHANGHAI

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
SEATS, PEOPLE = 50, 200


def make_session(path):
    with BookingStore(path) as store:
        starts = NOW + timedelta(days=10)
        return Lectures(store).create_session(
            "family-education", "家庭教育讲座", starts, starts + timedelta(hours=1), "浦东图书馆报告厅", "花木街道",
            "家长", SEATS, starts - timedelta(days=1), created_by="staff:1", now=NOW).id


def person(user_key: str) -> tuple[str, str]:
    """A distinct name and phone number for each of the 200 people (the per-phone and per-name caps hold)."""
    n = int(user_key.split(":")[1])
    return "王" + chr(0x4E00 + n), f"139{n:08d}"


def sign_up_once(path, session_id, user_key):
    name, phone = person(user_key)
    with BookingStore(path) as store:
        return Lectures(store).sign_up(session_id, user_key, name, phone, "家长", 1, NOW)


def check_outcome(path, session_id):
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT user_key, status, ref FROM registrations WHERE session_id = ?", [session_id]).fetchall()
    conn.close()
    statuses = [status for _, status, _ in rows]
    assert len(rows) == PEOPLE
    assert len({user for user, _, _ in rows}) == PEOPLE
    assert len({ref for _, _, ref in rows}) == PEOPLE
    assert (statuses.count("confirmed"), statuses.count("waitlisted")) == (SEATS, PEOPLE - SEATS)
    assert sorted(ref for _, _, ref in rows) == [f"JZ-2026-{n:04d}" for n in range(1, PEOPLE + 1)]


def test_200_threads_fill_exactly_50_seats(tmp_path):
    path = tmp_path / "booking.db"
    session_id = make_session(path)
    barrier = threading.Barrier(PEOPLE)
    results, errors = [], []

    def worker(i):
        barrier.wait(timeout=30)
        try:
            results.append(sign_up_once(path, session_id, f"tg:{i}"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(PEOPLE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [r.status for r in results].count("confirmed") == SEATS
    check_outcome(path, session_id)


def _process_worker(path, session_id, first, count, barrier):
    barrier.wait(timeout=30)
    for i in range(first, first + count):
        sign_up_once(path, session_id, f"tg:{i}")


def test_4_processes_fill_exactly_50_seats(tmp_path):
    path = tmp_path / "booking.db"
    session_id = make_session(path)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    share = PEOPLE // 4
    procs = [ctx.Process(target=_process_worker, args=(str(path), session_id, n * share, share, barrier))
             for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        if p.is_alive():
            p.terminate()
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    check_outcome(path, session_id)


@pytest.mark.parametrize("round_", range(5))
def test_two_staff_deciding_at_once_give_one_decision(tmp_path, round_):
    path = tmp_path / "booking.db"
    request = BookingRequest(
        school="浦东新区花木小学", street="花木街道", address="浦东新区花木路1号", contact_name="李明",
        contact_role="校长", phone="13812345678", grades="三年级", head_count=80, program_id="shaonian-jingxiao",
        preferred_dates=(date(2026, 12, 15),))
    with BookingStore(path) as store:
        ref = Schools(store).submit(replace(request), "tg:1", NOW).ref
    barrier = threading.Barrier(2)
    outcomes = {}

    def staff(name, action, reason):
        with BookingStore(path) as store:
            barrier.wait(timeout=30)
            try:
                outcomes[name] = Schools(store).decide(ref, action, name, NOW, reason=reason)
            except AlreadyDecided as exc:
                outcomes[name] = exc

    threads = [threading.Thread(target=staff, args=("staff:a", "approve", None)),
               threading.Thread(target=staff, args=("staff:b", "decline", "讲师不足"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [v for v in outcomes.values() if not isinstance(v, AlreadyDecided)]
    lost = [v for v in outcomes.values() if isinstance(v, AlreadyDecided)]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0].booking.status == won[0].status and lost[0].booking.decided_by == won[0].decided_by
    with BookingStore(path) as store:
        assert Schools(store).get(ref).status == won[0].status
        assert len([e for e in store.audit_log(target=ref) if e.action.startswith("decide")]) == 1
