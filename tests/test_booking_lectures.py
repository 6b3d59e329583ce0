"""Public lecture sessions: sign-up, waitlist, promotion, cancellation, deadlines, reminders."""
from datetime import datetime, timedelta

import pytest

from booking import BookingError, BookingStore, Lectures, NotFound, SignupLimits, ValidationError
from booking.clock import SHANGHAI

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
PHONE = "13812345678"


@pytest.fixture
def lectures(tmp_path):
    store = BookingStore(tmp_path / "booking.db")
    yield Lectures(store, limits=SignupLimits(max_attendees=10, per_phone=100, per_name=100))  # caps: own tests
    store.close()


def new_session(lectures, capacity=3, starts_in=timedelta(days=10), deadline_before=timedelta(days=1), now=NOW):
    starts = now + starts_in
    return lectures.create_session(
        "weibaofa-family", "", starts, starts + timedelta(minutes=90), "川沙新镇社区文化活动中心", "川沙",
        "家长、学生", capacity, starts - deadline_before, created_by="staff:1", now=now)


def sign(lectures, session, user, attendees=1, now=NOW):
    return lectures.sign_up(session.id, user, "王丽", PHONE, "家长", attendees, now)


def test_create_session_normalises_and_defaults(lectures):
    session = new_session(lectures, capacity=50)
    assert session.street == "川沙新镇" and session.title == "未成年人保护法家庭普法讲座"
    assert session.seats_left == 50 and session.status == "open"
    assert session.starts_at.tzinfo is not None and session.starts_at.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("change,words", [
    ({"ends_at": NOW + timedelta(days=9)}, "结束时间"),
    ({"deadline": NOW + timedelta(days=11)}, "截止时间"),
    ({"capacity": 0}, "名额"),
    ({"capacity": 2001}, "名额"),
    ({"program_id": "nope"}, "未找到讲座项目"),
    ({"program_id": "kaijuan-youyi"}, "供学校预约"),        # school-only: no public sessions, whoever asks
    ({"street": "徐家汇"}, "不是浦东新区"),
    ({"starts_at": NOW - timedelta(days=1), "ends_at": NOW, "deadline": NOW - timedelta(days=2)}, "开始时间已过"),
])
def test_create_session_validation(lectures, change, words):
    args = dict(program_id="weibaofa-family", title="讲座", starts_at=NOW + timedelta(days=10),
                ends_at=NOW + timedelta(days=10, hours=1), venue="花木街道社区中心", street="花木街道",
                audience="家长", capacity=10, deadline=NOW + timedelta(days=9), created_by="staff:1", now=NOW)
    args.update(change)
    with pytest.raises(BookingError) as err:
        lectures.create_session(**args)
    assert words in str(err.value)


def test_naive_datetimes_are_refused(lectures):
    with pytest.raises(ValueError):
        lectures.open_sessions(datetime(2026, 11, 28, 10, 0))


def test_sign_up_confirms_until_full_then_waitlists(lectures):
    session = new_session(lectures, capacity=3)
    assert sign(lectures, session, "a", 2).status == "confirmed"
    assert sign(lectures, session, "b", 1).status == "confirmed"
    assert sign(lectures, session, "c", 1).status == "waitlisted"
    assert sign(lectures, session, "d", 2).status == "waitlisted"
    [listed] = lectures.open_sessions(NOW)
    assert (listed.seats_left, listed.waitlisted) == (0, 2)
    assert [r.status for r in lectures.attendees(session.id)] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]


def test_reference_codes_are_sequential_per_year(lectures):
    session = new_session(lectures, capacity=10, starts_in=timedelta(days=40))
    refs = [sign(lectures, session, f"u{i}").ref for i in range(3)]
    assert refs == ["JZ-2026-0001", "JZ-2026-0002", "JZ-2026-0003"]
    new_year = datetime(2027, 1, 1, 9, 0, tzinfo=SHANGHAI)
    assert sign(lectures, session, "u9", now=new_year).ref == "JZ-2027-0001"


def test_cancel_promotes_waitlist_in_order_as_seats_allow(lectures):
    session = new_session(lectures, capacity=3)
    a, b = sign(lectures, session, "a", 2), sign(lectures, session, "b", 1)
    c, d, e = sign(lectures, session, "c", 2), sign(lectures, session, "d", 1), sign(lectures, session, "e", 1)
    cancelled, promoted = lectures.cancel_registration(b.ref, "b", NOW)
    assert cancelled.status == "cancelled"
    assert [r.ref for r in promoted] == [d.ref]  # c (2 people) does not fit one seat, d does
    assert promoted[0].status == "confirmed" and promoted[0].promoted_at == NOW
    _, promoted = lectures.cancel_registration(a.id, "a", NOW)
    assert [r.ref for r in promoted] == [c.ref]
    statuses = {r.ref: r.status for r in lectures.attendees(session.id)}
    assert statuses == {c.ref: "confirmed", d.ref: "confirmed", e.ref: "waitlisted"}


def test_duplicate_sign_up_refused_until_cancelled(lectures):
    session = new_session(lectures)
    first = sign(lectures, session, "a")
    with pytest.raises(BookingError) as err:
        sign(lectures, session, "a", 2)
    assert "您已报名本场讲座" in str(err.value) and first.ref in str(err.value)
    lectures.cancel_registration(first.ref, "a", NOW)
    assert sign(lectures, session, "a", 2).status == "confirmed"


def test_deadline_closed_and_cancelled_sessions_refuse_sign_ups(lectures):
    session = new_session(lectures)
    with pytest.raises(BookingError, match="截止"):
        sign(lectures, session, "late", now=session.deadline + timedelta(minutes=1))
    assert lectures.open_sessions(session.deadline + timedelta(minutes=1)) == []
    lectures.close_session(session.id, by="staff:1", now=NOW)
    with pytest.raises(BookingError, match="停止报名"):
        sign(lectures, session, "x")
    other = new_session(lectures)
    kept = sign(lectures, other, "y")
    affected = lectures.cancel_session(other.id, by="staff:2", now=NOW, reason="场地维修")
    assert [(r.ref, r.status) for r in affected] == [(kept.ref, "cancelled")]
    with pytest.raises(BookingError, match="已取消"):
        sign(lectures, other, "z")
    actions = [(e.actor, e.action) for e in lectures.store.audit_log()]
    assert ("staff:2", "cancel_session") in actions and ("staff:1", "close_session") in actions


@pytest.mark.parametrize("field,value", [
    ("attendees", 0), ("attendees", 11), ("phone", "123"), ("phone", "010-62345678"), ("name", ""),
    ("name", "abc123"), ("role", "路人"),
])
def test_bad_sign_up_input_is_explained(lectures, field, value):
    session = new_session(lectures)
    args = dict(session_id=session.id, user_key="u", name="王丽", phone=PHONE, role="家长", attendees=1, now=NOW)
    args[field] = value
    with pytest.raises(ValidationError) as err:
        lectures.sign_up(**args)
    assert str(err.value)
    assert lectures.attendees(session.id) == []


def test_cancel_rules(lectures):
    session = new_session(lectures)
    reg = sign(lectures, session, "a")
    with pytest.raises(NotFound):
        lectures.cancel_registration(reg.ref, "someone-else", NOW)
    with pytest.raises(BookingError, match="无法再取消"):
        lectures.cancel_registration(reg.ref, "a", session.starts_at + timedelta(minutes=5))
    lectures.cancel_registration(reg.ref.lower(), "a", NOW)
    with pytest.raises(BookingError, match="已取消"):
        lectures.cancel_registration(reg.ref, "a", NOW)


def test_my_registrations_carry_their_session(lectures):
    early, late = new_session(lectures), new_session(lectures, starts_in=timedelta(days=20))
    sign(lectures, early, "me")
    sign(lectures, late, "me", 3)
    sign(lectures, late, "other")
    mine = lectures.my_registrations("me")
    assert [r.session.id for r in mine] == [late.id, early.id]
    assert mine[0].attendees == 3 and mine[0].phone == "+8613812345678"


def test_due_reminders_within_24h_once(lectures):
    soon = new_session(lectures, capacity=1, starts_in=timedelta(hours=30), deadline_before=timedelta(hours=1))
    later = new_session(lectures, starts_in=timedelta(days=3))
    gone = new_session(lectures, starts_in=timedelta(hours=30), deadline_before=timedelta(hours=1))
    confirmed, waiting = sign(lectures, soon, "a"), sign(lectures, soon, "b")
    sign(lectures, later, "c")
    sign(lectures, gone, "d")
    lectures.cancel_session(gone.id, by="staff:1", now=NOW)
    assert lectures.due_reminders(NOW) == []
    check_at = NOW + timedelta(hours=7)
    due = lectures.due_reminders(check_at)
    assert [(r.ref, s.id) for r, s in due] == [(confirmed.ref, soon.id)]
    assert waiting.status == "waitlisted"
    lectures.mark_reminded(confirmed.id, now=check_at)
    assert lectures.due_reminders(check_at) == []
    assert lectures.due_reminders(soon.starts_at) == []  # started sessions are never due


def test_the_sign_up_button_of_a_missing_or_closed_session_starts_no_form(engine, tmp_path):
    from tests.chat_fixtures import make_assistant, new_session, say

    bot = make_assistant(engine, tmp_path)
    try:
        for data in ("lec:join:999999", "privacy:agree:lec:join:999999"):
            [reply] = say(bot, "tg:1", button=data)
            assert "未找到这场讲座" in reply.text and reply.error, data
            assert bot.state.get("tg:1") is None  # no form was started
        session = new_session(bot)
        bot.desk.lectures.close_session(session.id, "tg:9", session.starts_at - timedelta(days=5))
        [reply] = say(bot, "tg:1", button=f"lec:join:{session.id}")
        assert "停止报名" in reply.text and bot.state.get("tg:1") is None
    finally:
        bot.close()
