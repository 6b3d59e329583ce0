"""School bookings: submission, staff decisions (exactly once), school replies, reminders."""
from dataclasses import replace
from datetime import date, datetime

import pytest

from booking import AlreadyDecided, BookingError, BookingRequest, BookingStore, NotFound, Schools, ValidationError
from booking.clock import SHANGHAI

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
REQUEST = BookingRequest(
    school="上海市浦东新区川沙小学", street="川沙", address="浦东新区川沙路100号", contact_name="王丽",
    contact_role="德育主任", phone="021-12345678", grades="四年级", head_count=120, program_id="kaijuan-youyi",
    topics=("预防校园欺凌",), preferred_dates=(date(2026, 12, 15), date(2026, 12, 17)), time_of_day="上午",
    notes="",
)


@pytest.fixture
def schools(tmp_path):
    store = BookingStore(tmp_path / "booking.db")
    yield Schools(store)
    store.close()


def test_submit_normalises_and_numbers(schools):
    booking = schools.submit(REQUEST, "tg:1", NOW)
    assert booking.ref == "PD-2026-0001" and booking.status == "待审核"
    assert booking.request.street == "川沙新镇" and booking.request.phone == "+862112345678"
    assert booking.request.preferred_dates == (date(2026, 12, 15), date(2026, 12, 17))
    second = schools.submit(replace(REQUEST, grades="五年级"), "tg:1", NOW)
    assert second.ref == "PD-2026-0002"
    assert [b.ref for b in schools.pending()] == ["PD-2026-0001", "PD-2026-0002"]
    assert schools.get("pd-2026-0002").request.grades == "五年级"


def test_submit_rechecks_fields(schools):
    with pytest.raises(ValidationError, match="至少提前7天"):
        schools.submit(replace(REQUEST, preferred_dates=(date(2026, 11, 30),)), "tg:1", NOW)
    with pytest.raises(ValidationError):
        schools.submit(replace(REQUEST, head_count=0), "tg:1", NOW)
    assert schools.pending() == []


def test_same_open_request_is_not_submitted_twice(schools):
    first = schools.submit(REQUEST, "tg:1", NOW)
    with pytest.raises(BookingError) as err:
        schools.submit(REQUEST, "tg:1", NOW)
    assert first.ref in str(err.value)


def test_approve_defaults_to_first_preferred_date_and_only_once(schools):
    ref = schools.submit(REQUEST, "tg:1", NOW).ref
    approved = schools.decide(ref, "approve", "staff:7", NOW)
    assert (approved.status, approved.scheduled_date, approved.decided_by) == ("已确认", date(2026, 12, 15), "staff:7")
    with pytest.raises(AlreadyDecided) as err:
        schools.decide(ref, "decline", "staff:8", NOW, reason="太忙")
    assert err.value.booking.status == "已确认" and "staff:7" in str(err.value)
    assert schools.get(ref).status == "已确认"
    [entry] = schools.store.audit_log(target=ref)
    assert (entry.actor, entry.action, entry.detail["date"]) == ("staff:7", "decide:approve", "2026-12-15")
    assert schools.pending() == []


def test_approve_with_explicit_date(schools):
    ref = schools.submit(REQUEST, "tg:1", NOW).ref
    assert schools.decide(ref, "approve", "staff:7", NOW, date="2026-12-17").scheduled_date == date(2026, 12, 17)


def test_late_approval_skips_passed_preferred_dates(schools):
    ref = schools.submit(REQUEST, "tg:1", NOW).ref
    on_16th = datetime(2026, 12, 16, 9, 0, tzinfo=SHANGHAI)
    assert schools.decide(ref, "approve", "staff:7", on_16th).scheduled_date == date(2026, 12, 17)
    late = schools.submit(replace(REQUEST, grades="五年级"), "tg:1", NOW).ref
    with pytest.raises(BookingError, match="propose"):
        schools.decide(late, "approve", "staff:7", datetime(2026, 12, 20, 9, 0, tzinfo=SHANGHAI))


def test_propose_then_school_accepts_or_rejects(schools):
    ref = schools.submit(REQUEST, "tg:1", NOW).ref
    with pytest.raises(BookingError, match="新的日期"):
        schools.decide(ref, "propose", "staff:7", NOW)
    proposed = schools.decide(ref, "propose", "staff:7", NOW, date=date(2026, 12, 22))
    assert (proposed.status, proposed.scheduled_date) == ("已改期待确认", date(2026, 12, 22))
    with pytest.raises(NotFound):
        schools.accept_proposal(ref, "tg:other", NOW)
    assert schools.accept_proposal(ref, "tg:1", NOW).status == "已确认"
    other = schools.submit(replace(REQUEST, grades="六年级"), "tg:1", NOW).ref
    schools.decide(other, "propose", "staff:7", NOW, date="12月23日")
    assert schools.reject_proposal(other, "tg:1", NOW).status == "已取消"


def test_decline_needs_a_reason(schools):
    ref = schools.submit(REQUEST, "tg:1", NOW).ref
    with pytest.raises(BookingError, match="原因"):
        schools.decide(ref, "decline", "staff:7", NOW)
    declined = schools.decide(ref, "decline", "staff:7", NOW, reason="该时段讲师已满")
    assert declined.status == "已婉拒" and declined.reason == "该时段讲师已满"


def test_unknown_ref_and_action(schools):
    with pytest.raises(NotFound, match="PD-2026-9999"):
        schools.get("PD-2026-9999")
    ref = schools.submit(REQUEST, "tg:1", NOW).ref
    with pytest.raises(BookingError):
        schools.decide(ref, "maybe", "staff:7", NOW)
    with pytest.raises(ValidationError):
        schools.decide(ref, "approve", "staff:7", NOW, date="2026-11-01")


def test_for_user_and_withdraw(schools):
    ref = schools.submit(REQUEST, "tg:1", NOW).ref
    schools.submit(replace(REQUEST, school="浦东新区花木小学", street="花木"), "tg:2", NOW)
    assert [b.ref for b in schools.for_user("tg:1")] == [ref]
    assert schools.withdraw(ref, "tg:1", NOW).status == "已取消"
    with pytest.raises(AlreadyDecided):
        schools.decide(ref, "approve", "staff:7", NOW)


def test_due_school_reminders_three_days_before(schools):
    ref = schools.submit(REQUEST, "tg:1", NOW).ref
    schools.submit(replace(REQUEST, grades="五年级"), "tg:1", NOW)  # stays pending: never reminded
    schools.decide(ref, "approve", "staff:7", NOW)  # 2026-12-15
    assert schools.due_school_reminders(datetime(2026, 12, 11, 9, 0, tzinfo=SHANGHAI)) == []
    due_at = datetime(2026, 12, 12, 9, 0, tzinfo=SHANGHAI)
    assert [b.ref for b in schools.due_school_reminders(due_at)] == [ref]
    schools.mark_school_reminded(ref, now=due_at)
    assert schools.due_school_reminders(due_at) == []
    assert schools.get(ref).reminded_at == due_at
    assert schools.due_school_reminders(datetime(2026, 12, 16, 9, 0, tzinfo=SHANGHAI)) == []
