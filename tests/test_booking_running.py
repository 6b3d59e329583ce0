"""Running a session: edits (capacity never below the seats taken, a raise promotes from the waitlist in order)
and attendance on the day (only a confirmed sign-up of this session, by its code typed or scanned)."""
from datetime import timedelta

import pytest

from booking import BookingError, BookingStore, Lectures, NotFound, SignupLimits
from booking.running import SessionRunning
from tests.test_booking_lectures import NOW, new_session


@pytest.fixture
def store(tmp_path):
    store = BookingStore(tmp_path / "booking.db")
    yield store
    store.close()


@pytest.fixture
def lectures(store):
    return Lectures(store, limits=SignupLimits(max_attendees=10, per_phone=100, per_name=100))


@pytest.fixture
def running(store):
    return SessionRunning(store)


def sign(lectures, session, user, attendees=1):
    return lectures.sign_up(session.id, user, "王" + "一二三四五六七八九"[int(user[-1])], f"1381234567{user[-1]}", "家长",
                           attendees, NOW)


def test_lowering_capacity_below_the_seats_taken_is_refused(lectures, running):
    session = new_session(lectures, capacity=5)
    sign(lectures, session, "u1", 2)
    sign(lectures, session, "u2", 2)
    with pytest.raises(BookingError, match="名额不能少于已报名的人数.*4 人"):
        running.edit_session(session.id, "staff:王丽", NOW, capacity=3)
    assert lectures.get_session(session.id).capacity == 5
    edit = running.edit_session(session.id, "staff:王丽", NOW, capacity=4)
    assert edit.changed == ("capacity",) and edit.after.capacity == 4 and not edit.promoted


def test_raising_capacity_promotes_the_waitlist_in_order_and_everyone_else_is_listed_once(lectures, running,
                                                                                          store):
    session = new_session(lectures, capacity=1)
    first = sign(lectures, session, "u1")
    waiting = [sign(lectures, session, f"u{n}") for n in (2, 3, 4)]
    assert {r.status for r in waiting} == {"waitlisted"}
    edit = running.edit_session(session.id, "staff:王丽", NOW, capacity=3, venue="  浦东图书馆 报告厅 ")
    assert [r.ref for r in edit.promoted] == [waiting[0].ref, waiting[1].ref]
    assert {r.ref for r in edit.others} == {first.ref, waiting[2].ref}
    assert set(edit.changed) == {"capacity", "venue"} and edit.after.venue == "浦东图书馆 报告厅"
    entry = store.audit_log(target=f"session:{session.id}")[0]
    assert entry.action == "edit_session" and entry.detail["capacity"] == ["1", "3"]


def test_an_edit_checks_times_and_refuses_a_session_that_started_or_nothing_changed(lectures, running):
    session = new_session(lectures)
    with pytest.raises(BookingError, match="截止时间"):
        running.edit_session(session.id, "cli:x", NOW, deadline=session.starts_at + timedelta(hours=1))
    with pytest.raises(BookingError, match="结束时间"):
        running.edit_session(session.id, "cli:x", NOW, ends_at=session.starts_at)
    with pytest.raises(BookingError, match="没有要修改"):
        running.edit_session(session.id, "cli:x", NOW, venue=session.venue)
    later = session.starts_at + timedelta(days=1)
    edit = running.edit_session(session.id, "cli:x", NOW, starts_at=later, ends_at=later + timedelta(hours=2))
    assert edit.after.starts_at == later and set(edit.changed) == {"starts_at", "ends_at"}
    with pytest.raises(BookingError, match="已开始"):
        running.edit_session(session.id, "cli:x", later + timedelta(minutes=5), capacity=9)


def test_attendance_by_code_only_for_confirmed_sign_ups_of_this_session_on_the_day(lectures, running, store):
    session, other = new_session(lectures, capacity=1), new_session(lectures, capacity=1)
    came = sign(lectures, session, "u1")
    waiting = sign(lectures, session, "u2")
    elsewhere = sign(lectures, other, "u3")
    day = session.starts_at - timedelta(minutes=20)
    with pytest.raises(BookingError, match="当天才能签到"):
        running.mark_attended(session.id, came.ref, True, "staff:王丽", day - timedelta(days=1))
    reg, already = running.mark_attended(session.id, came.ref.lower().replace("-", " "), True, "staff:王丽", day)
    assert reg.attended_at == day and not already
    assert running.mark_attended(session.id, came.ref, True, "staff:王丽", day)[1]  # a second scan: no change
    with pytest.raises(BookingError, match="候补"):
        running.mark_attended(session.id, waiting.ref, True, "staff:王丽", day)
    with pytest.raises(NotFound, match="没有报名编号"):
        running.mark_attended(session.id, elsewhere.ref, True, "staff:王丽", day)
    with pytest.raises(NotFound):
        running.mark_attended(session.id, "PD-2026-0001", True, "staff:王丽", day)
    undone, _ = running.mark_attended(session.id, came.ref, False, "staff:王丽", day)
    assert undone.attended_at is None
    assert [e.action for e in store.audit_log(target=came.ref)][:2] == ["attended_undo", "attended"]


def test_statistics_count_who_came_who_did_not_and_who_waits_for_a_guardian(lectures, running):
    session = new_session(lectures, capacity=10)
    came = sign(lectures, session, "u1", 2)
    sign(lectures, session, "u2", 3)
    lectures.sign_up(session.id, "u3", "小明", "13812345673", "学生", 1, NOW, guardian=("王丽", "13812345674"), age=12)
    day = session.starts_at
    running.mark_attended(session.id, came.ref, True, "staff:王丽", day)
    [during] = lectures.totals_by("street", day)
    assert (during["confirmed"], during["held"], during["attended"], during["no_shows"]) == (5, 1, 2, 0)
    [after] = lectures.totals_by("program_id", session.ends_at + timedelta(hours=1))
    assert (after["attended"], after["no_shows"]) == (2, 3)


def test_editing_capacity_while_people_sign_up_and_cancel_never_overfills(tmp_path):
    """Threads with their own connections: sign-ups, cancellations and capacity edits at once; every seat counted."""
    import threading

    path = tmp_path / "busy.db"
    with BookingStore(path) as store:
        session = new_session(Lectures(store), capacity=10)
    errors: list[Exception] = []

    def person(n: int) -> None:
        with BookingStore(path) as store:
            lectures = Lectures(store, limits=SignupLimits(max_attendees=10, per_phone=100, per_name=100))
            reg = lectures.sign_up(session.id, f"u{n}", "王" + chr(0x4E00 + n), f"139{n:08d}", "家长", 1, NOW)
            if n % 3 == 0:
                lectures.cancel_registration(reg.ref, f"u{n}", NOW)

    def staff(capacity: int) -> None:
        with BookingStore(path) as store:
            try:
                SessionRunning(store).edit_session(session.id, "staff:王丽", NOW, capacity=capacity)
            except BookingError as error:  # below the seats taken at that moment, or no change
                assert "名额" in str(error) or "没有要修改" in str(error)

    def guarded(target, *args):
        try:
            target(*args)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(person, n)) for n in range(1, 41)]
    threads += [threading.Thread(target=guarded, args=(staff, c)) for c in (5, 25, 12, 30, 8, 20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with BookingStore(path) as store:
        lectures = Lectures(store)
        final = lectures.get_session(session.id)
        regs = lectures.attendees(session.id)
    confirmed = [r for r in regs if r.status == "confirmed"]
    assert final.seats_taken == len(confirmed) <= final.capacity
    waiting = [r for r in regs if r.status == "waitlisted"]
    assert not waiting or len(confirmed) == final.capacity  # nobody waits while a seat is free
    assert len(regs) == 40 - len(range(3, 41, 3))  # nobody lost
