"""Guardian consent in the booking domain: holds, one-time codes, confirmation from another account, refusal,
expiry, caps against seat hoarding, and exact seat counts with holds under concurrency."""
import sqlite3
import threading
from datetime import date, datetime, timedelta

import pytest

from booking import BookingError, BookingStore, Lectures, NotFound, SignupLimits, ValidationError
from booking.clock import SHANGHAI
from booking.consent import CONSENT_HOURS, Guardian, code_digest, normalize_code, student_age
from booking.store import MIGRATIONS

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
CHILD, GUARDIAN = "tg:child", "wx:guardian"


@pytest.fixture
def lectures(tmp_path):
    store = BookingStore(tmp_path / "booking.db")
    yield Lectures(store)
    store.close()


def new_session(lectures, capacity=2):
    starts = NOW + timedelta(days=10)
    return lectures.create_session("weibaofa-family", "", starts, starts + timedelta(hours=1), "川沙新镇社区文化活动中心",
                                   "川沙", "家长、学生", capacity, starts - timedelta(days=1), "staff:1", now=NOW)


def child_signs_up(lectures, session, user=CHILD, name="王小明", age=12, now=NOW, phone="13812345678"):
    return lectures.sign_up(session.id, user, name, phone, "学生", 1, now, guardian=("王丽", phone), age=age)


def adult_signs_up(lectures, session, user, n):
    return lectures.sign_up(session.id, user, "张" + chr(0x4E00 + n), f"139{n:08d}", "家长", 1, NOW)


def test_a_child_under_14_only_holds_a_seat_until_a_guardian_confirms(lectures):
    session = new_session(lectures)
    reg = child_signs_up(lectures, session)
    assert reg.status == "held" and reg.awaiting_consent and len(reg.consent_code) == 8
    assert reg.consent_expires_at == NOW + timedelta(hours=CONSENT_HOURS)
    assert reg.guardian_consent_at is None
    assert lectures.get_session(session.id).seats_left == 1  # the seat is held
    assert lectures.due_reminders(session.starts_at - timedelta(hours=2)) == []  # no reminder for a hold
    with sqlite3.connect(lectures.store.path) as conn:  # only a digest of the code is stored
        stored = conn.execute("select consent_code from registrations").fetchone()[0]
    assert stored == code_digest(reg.consent_code) and reg.consent_code not in stored


def test_a_child_cannot_sign_up_without_a_guardian_or_an_age(lectures):
    session = new_session(lectures)
    with pytest.raises(ValidationError, match="监护人"):
        lectures.sign_up(session.id, CHILD, "王小明", "13812345678", "学生", 1, NOW, age=12)
    with pytest.raises(ValidationError, match="监护人"):  # a student of unknown age counts as under 14
        lectures.sign_up(session.id, CHILD, "王小明", "13812345678", "学生", 1, NOW)
    older = lectures.sign_up(session.id, "tg:teen", "王大明", "13812345670", "学生", 1, NOW, age=15)
    assert older.status == "confirmed" and not older.awaiting_consent and older.consent_code == ""


def test_the_child_cannot_confirm_with_their_own_account(lectures):
    reg = child_signs_up(lectures, new_session(lectures))
    with pytest.raises(BookingError, match="自己的手机或账号"):
        lectures.confirm_consent(reg.consent_code, Guardian(CHILD), True, NOW)
    assert lectures.my_registrations(CHILD)[0].status == "held"


def test_the_guardian_confirms_from_another_account_once(lectures):
    session = new_session(lectures)
    reg = child_signs_up(lectures, session)
    seen = lectures.consent_request(reg.consent_code.lower(), NOW)  # typed in lower case: still found
    assert seen.ref == reg.ref and seen.name == "王小明"
    outcome = lectures.confirm_consent(reg.consent_code, Guardian(GUARDIAN), True, NOW + timedelta(hours=1))
    [done] = outcome.registrations
    assert done.status == "confirmed" and done.consent == "given" and done.guardian_user_key == GUARDIAN
    assert done.guardian_consent_at == NOW + timedelta(hours=1)
    with pytest.raises(NotFound):  # one-time
        lectures.confirm_consent(reg.consent_code, Guardian(GUARDIAN), True, NOW)
    assert [r.ref for r in lectures.consented_by(GUARDIAN)] == [reg.ref]


def test_refusal_frees_the_seat_for_the_waitlist_and_blanks_the_details(lectures):
    session = new_session(lectures, capacity=1)
    reg = child_signs_up(lectures, session)
    waiting = adult_signs_up(lectures, session, "tg:w", 1)
    assert waiting.status == "waitlisted"
    outcome = lectures.confirm_consent(reg.consent_code, Guardian(GUARDIAN), False, NOW)
    [refused] = outcome.registrations
    assert refused.status == "cancelled" and refused.consent == "refused"
    assert (refused.name, refused.phone, refused.guardian_name, refused.guardian_phone) == ("", "", "", "")
    assert [p.ref for p in outcome.promoted] == [waiting.ref]
    assert lectures.get_session(session.id).seats_left == 0


def test_unconfirmed_holds_expire_and_free_the_seat(lectures):
    session = new_session(lectures, capacity=1)
    reg = child_signs_up(lectures, session)
    waiting = adult_signs_up(lectures, session, "tg:w", 1)
    assert lectures.expire_consents(NOW + timedelta(hours=47)).registrations == []
    with pytest.raises(NotFound):  # past the hold the code no longer works, even before the sweep ran
        lectures.confirm_consent(reg.consent_code, Guardian(GUARDIAN), True, NOW + timedelta(hours=CONSENT_HOURS))
    outcome = lectures.expire_consents(NOW + timedelta(hours=CONSENT_HOURS))
    assert [(r.ref, r.status, r.consent, r.name) for r in outcome.registrations] == [
        (reg.ref, "cancelled", "expired", "")]
    assert [p.ref for p in outcome.promoted] == [waiting.ref]
    assert lectures.expire_consents(NOW + timedelta(days=3)).registrations == []


def test_a_child_on_the_waitlist_waits_for_consent_before_promotion(lectures):
    session = new_session(lectures, capacity=1)
    first = adult_signs_up(lectures, session, "tg:a", 1)
    child = child_signs_up(lectures, session)
    later = adult_signs_up(lectures, session, "tg:b", 2)
    assert child.status == "waitlisted" and child.status_label == "候补中（待监护人确认）"
    _, promoted = lectures.cancel_registration(first.ref, "tg:a", NOW)
    assert [p.ref for p in promoted] == [later.ref]  # the child without consent is passed over, keeps the place
    lectures.cancel_registration(later.ref, "tg:b", NOW)
    outcome = lectures.confirm_consent(child.consent_code, Guardian(GUARDIAN), True, NOW)
    assert [p.ref for p in outcome.promoted] == [child.ref]


def test_a_new_code_replaces_the_old_one_without_extending_the_hold(lectures):
    reg = child_signs_up(lectures, new_session(lectures))
    renewed = lectures.renew_consent_code(reg.ref, CHILD, NOW + timedelta(hours=10))
    assert renewed.consent_code != reg.consent_code and renewed.consent_expires_at == reg.consent_expires_at
    with pytest.raises(NotFound):
        lectures.consent_request(reg.consent_code, NOW)
    with pytest.raises(NotFound):
        lectures.renew_consent_code(reg.ref, "tg:someone-else", NOW)
    assert lectures.consent_request(renewed.consent_code, NOW).ref == reg.ref


def test_hold_never_outlasts_the_session_start(lectures):
    session = new_session(lectures)
    late = session.starts_at - timedelta(days=1, hours=1)
    reg = child_signs_up(lectures, session, now=late)
    assert reg.consent_expires_at == session.starts_at


@pytest.mark.parametrize("typed,code", [("k7qm4mzp", "K7QM4MZP"), ("确认码：K7QM-4MZP", "K7QM4MZP"),
                                        (" 监护人确认 K7QM 4MZP ", "K7QM4MZP"), ("孩子打游戏", None),
                                        ("K7QM4MZ", None), ("hello123", None), ("/start", None)])
def test_typed_codes(typed, code):
    assert normalize_code(typed) == code


@pytest.mark.parametrize("raw,age", [("12", 12), ("12岁", 12), ("１３", 13), ("2014", 11), ("2012年", 13),
                                     ("今年15周岁", 15)])
def test_student_age_from_an_age_or_a_birth_year(raw, age):
    assert student_age(raw, date(2026, 12, 1)) == age


@pytest.mark.parametrize("raw", ["", "十二", "1900", "2030", "2", "40", "是"])
def test_student_age_refuses_what_is_not_an_age(raw):
    with pytest.raises(ValidationError):
        student_age(raw, date(2026, 12, 1))


def test_caps_per_phone_per_name_and_people_per_sign_up(tmp_path):
    with BookingStore(tmp_path / "b.db") as store:
        lectures = Lectures(store, limits=SignupLimits(max_attendees=3, per_phone=2, per_name=1))
        session = new_session(lectures, capacity=50)
        with pytest.raises(ValidationError, match="最多 3 人"):
            lectures.sign_up(session.id, "tg:1", "王丽", "13900000001", "家长", 4, NOW)
        lectures.sign_up(session.id, "tg:1", "王丽", "13900000001", "家长", 3, NOW)
        with pytest.raises(BookingError, match="已报名"):
            lectures.sign_up(session.id, "tg:2", "王丽", "13900000002", "家长", 1, NOW)
        lectures.sign_up(session.id, "tg:3", "李强", "13900000001", "家长", 1, NOW)
        with pytest.raises(BookingError, match="电话号码"):
            lectures.sign_up(session.id, "tg:4", "赵六", "13900000001", "家长", 1, NOW)
        assert lectures.get_session(session.id).seats_taken == 4


def test_migration_keeps_older_consents(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, steps in MIGRATIONS[:2]:
        for step in steps:
            conn.execute(step)
        conn.execute("INSERT INTO _migrations VALUES (?, datetime('now'))", [name])
    conn.execute("""INSERT INTO sessions (program_id, title, starts_at, ends_at, deadline, venue, street, audience,
                    capacity, created_by, created_at) VALUES ('p', 't', '2026-12-08T10:00:00+08:00',
                    '2026-12-08T11:00:00+08:00', '2026-12-07T10:00:00+08:00', 'v', 's', 'a', 5, 'x', '2026-11-01T10:00:00+08:00')""")
    conn.execute("""INSERT INTO registrations (ref, session_id, user_key, name, phone, role, attendees, status,
                    created_at, guardian_name, guardian_phone, guardian_consent_at)
                    VALUES ('JZ-2026-0001', 1, 'tg:1', '王小明', '+8613812345678', '学生', 1, 'confirmed', '2026-11-01T10:00:00+08:00',
                    '王丽', '+8613812345678', '2026-11-01T10:00:00+08:00')""")
    conn.commit()
    conn.close()
    with BookingStore(path) as store:
        [reg] = Lectures(store).my_registrations("tg:1")
        assert (reg.status, reg.consent, reg.guardian_name) == ("confirmed", "given", "王丽")
        assert "0004_guardian_hold" in store.applied_migrations()


def test_200_concurrent_sign_ups_with_holds_stay_exact(tmp_path):
    """A third are children under 14: held seats count like confirmed ones, never one seat too many."""
    path = tmp_path / "booking.db"
    with BookingStore(path) as store:
        session = new_session(Lectures(store), capacity=50)
    barrier = threading.Barrier(200)
    errors = []

    def worker(i):
        with BookingStore(path) as store:
            lectures = Lectures(store)
            barrier.wait(timeout=30)
            try:
                if i % 3 == 0:
                    child_signs_up(lectures, session, f"tg:{i}", "王" + chr(0x4E00 + i), phone=f"139{i:08d}")
                else:
                    adult_signs_up(lectures, session, f"tg:{i}", i)
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sqlite3.connect(path) as conn:
        counts = dict(conn.execute("select status, count(*) from registrations group by status").fetchall())
    assert counts["confirmed"] + counts["held"] == 50 and counts["waitlisted"] == 150
    with BookingStore(path) as store:  # every hold expires: its seat goes to the waitlist, still exactly 50
        lectures = Lectures(store)
        held = counts["held"]
        outcome = lectures.expire_consents(NOW + timedelta(hours=CONSENT_HOURS))
        assert len(outcome.registrations) == len(range(0, 200, 3))  # every child: held or waiting for consent
        assert lectures.get_session(session.id).seats_taken == 50
        assert len(outcome.promoted) == held


def test_a_browser_session_begun_after_the_hold_cannot_answer_for_the_guardian(lectures):
    reg = child_signs_up(lectures, new_session(lectures))
    later = NOW + timedelta(minutes=5)
    private_tab = Guardian("web:fresh", account_age=60.0, origin="ip:203.0.113.9")  # opened a minute ago
    with pytest.raises(BookingError, match="无痕窗口"):
        lectures.consent_request(reg.consent_code, later, private_tab)
    with pytest.raises(BookingError, match="无痕窗口"):
        lectures.confirm_consent(reg.consent_code, private_tab, True, later)
    assert lectures.my_registrations(CHILD)[0].status == "held"
    older = Guardian("web:parent", account_age=3600.0, origin="ip:203.0.113.9")  # in use before the hold
    [done] = lectures.confirm_consent(reg.consent_code, older, True, later).registrations
    assert done.status == "confirmed" and done.consent_check == ""


def test_an_answer_from_the_holds_own_network_is_flagged_for_a_call_back(lectures):
    session = new_session(lectures)
    reg = lectures.sign_up(session.id, "web:child", "王小明", "13812345678", "学生", 1, NOW,
                           guardian=("王丽", "13912345678"), age=12, origin="ip:198.51.100.4")
    with sqlite3.connect(lectures.store.path) as conn:  # the address itself is not stored
        assert "198.51.100.4" not in str(conn.execute("select * from registrations").fetchall())
    older = Guardian("web:old-tab", account_age=86400.0, origin="ip:198.51.100.4")
    [done] = lectures.confirm_consent(reg.consent_code, older, True, NOW + timedelta(minutes=5)).registrations
    assert done.status == "confirmed" and done.consent_check == "same_network" and done.consent_origin == ""
    assert [r.ref for r in lectures.to_call_back(NOW)] == [reg.ref]
    assert lectures.called_back(reg.ref, "staff:李", NOW).consent_check == "called_back"
    assert lectures.to_call_back(NOW) == []
    with pytest.raises(NotFound):
        lectures.called_back(reg.ref, "staff:李", NOW)
