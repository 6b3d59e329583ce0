"""Calendar files: RFC 5545 structure, CRLF, 75-octet folding, escaping, time zone."""
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar

from booking import (BookingError, BookingRequest, Catalog, Registration, SchoolBooking, Session, booking_ics,
                     session_ics)
from booking.clock import SHANGHAI
from booking.ics import fold

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
SESSION = Session(
    id=7, program_id="weibaofa-family", title="未成年人保护法家庭普法讲座：监护人的法定职责、强制报告;网络保护与求助渠道" * 2,
    starts_at=datetime(2026, 12, 15, 14, 0, tzinfo=SHANGHAI), ends_at=datetime(2026, 12, 15, 15, 30, tzinfo=SHANGHAI),
    venue="川沙新镇社区文化活动中心, 三楼", street="川沙新镇", audience="家长、学生", capacity=50,
    deadline=datetime(2026, 12, 14, 18, 0, tzinfo=SHANGHAI), status="open", created_by="staff:1")
REQUEST = BookingRequest(
    school="上海市浦东新区川沙小学", street="川沙新镇", address="浦东新区川沙路100号", contact_name="王丽",
    contact_role="德育主任", phone="+862112345678", grades="四年级", head_count=120, program_id="kaijuan-youyi",
    preferred_dates=(date(2026, 12, 15),), time_of_day="下午")
BOOKING = SchoolBooking(id=1, ref="PD-2026-0042", user_key="tg:1", request=REQUEST, status="已确认",
                        created_at=NOW, scheduled_date=date(2026, 12, 15))


def parse(data: bytes) -> Calendar:
    """Check the physical format (CRLF, lines of at most 75 octets never splitting a character), then read the
    file with an independent RFC 5545 parser."""
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n")[:-1]:
        assert len(line) <= 75, line
        line.decode("utf-8")  # folding never splits a character
    return Calendar.from_ical(data)


def event(calendar: Calendar):
    """The one VEVENT."""
    [vevent] = calendar.walk("VEVENT")
    return vevent


def test_session_calendar_structure():
    calendar = parse(session_ics(SESSION, now=NOW))
    assert calendar.name == "VCALENDAR"
    assert str(calendar["VERSION"]) == "2.0" and "PRODID" in calendar
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Shanghai"
    vevent = event(calendar)
    assert str(vevent["UID"]) == "session-7@pufa.pudong.booking"
    assert vevent["DTSTAMP"].to_ical() == b"20261128T020000Z"
    assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai" and vevent["DTSTART"].to_ical() == b"20261215T140000"
    assert vevent["DTEND"].params["TZID"] == "Asia/Shanghai" and vevent["DTEND"].to_ical() == b"20261215T153000"
    assert vevent.decoded("DTSTART") == SESSION.starts_at and vevent.decoded("DTEND") == SESSION.ends_at
    assert str(vevent["SUMMARY"]).startswith("未成年人保护法家庭普法讲座：监护人的法定职责、强制报告;网络保护")
    assert "川沙新镇社区文化活动中心, 三楼" in str(vevent["LOCATION"])
    assert str(vevent["STATUS"]) == "CONFIRMED" and [c.name for c in vevent.subcomponents] == ["VALARM"]


def test_long_lines_are_folded_and_unfold_to_the_original():
    data = session_ics(SESSION, now=NOW)
    assert b"\r\n " in data
    assert b"\\;" in data  # the semicolon in the title is escaped on the wire
    assert str(event(parse(data))["SUMMARY"]) == SESSION.title
    assert fold("A" * 75) == b"A" * 75 + b"\r\n"
    assert fold("A" * 76) == b"A" * 75 + b"\r\n A\r\n"


def test_registration_code_and_newlines_in_description():
    reg = Registration(id=1, ref="JZ-2026-0007", session_id=7, user_key="u", name="王丽", phone="+8613812345678",
                       role="家长", attendees=2, status="confirmed", created_at=NOW)
    description = str(event(parse(session_ics(SESSION, reg, now=NOW)))["DESCRIPTION"])
    assert description.startswith("报名编号：JZ-2026-0007（2人）\n地点")


def test_cancelled_session_is_marked_cancelled():
    vevent = event(parse(session_ics(replace(SESSION, status="cancelled"), now=NOW)))
    assert str(vevent["STATUS"]) == "CANCELLED" and vevent.subcomponents == []


def test_school_booking_calendar_uses_slot_and_program_length():
    program = Catalog.default().program("kaijuan-youyi")
    vevent = event(parse(booking_ics(BOOKING, program, now=NOW)))
    start = datetime(2026, 12, 15, 14, 0)
    assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert vevent["DTSTART"].to_ical().decode() == f"{start:%Y%m%dT%H%M%S}"
    end = start + timedelta(minutes=program.duration_minutes)
    assert vevent["DTEND"].to_ical().decode() == f"{end:%Y%m%dT%H%M%S}"
    assert str(vevent["UID"]) == "school-PD-2026-0042@pufa.pudong.booking"


def test_undecided_booking_has_no_calendar():
    with pytest.raises(BookingError, match="尚未确认"):
        booking_ics(replace(BOOKING, status="待审核", scheduled_date=None))
