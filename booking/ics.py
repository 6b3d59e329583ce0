"""RFC 5545 calendar files for a lecture session or a confirmed school booking."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from knowledge.model import Program

from .clock import SHANGHAI, aware
from .errors import BookingError
from .models import APPROVED, CANCELLED, WITHDRAWN, Registration, SchoolBooking, Session

PRODID = "-//Pudong Minors Protection Outreach//Pufa Assistant Booking 1.0//ZH"
UID_DOMAIN = "pufa.pudong.booking"
SLOT_STARTS = {"上午": time(9, 0), "下午": time(14, 0), "全天": time(9, 0)}
FULL_DAY = timedelta(hours=7)

_VTIMEZONE = [
    "BEGIN:VTIMEZONE", "TZID:Asia/Shanghai",
    "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0800", "TZOFFSETTO:+0800", "TZNAME:CST",
    "END:STANDARD", "END:VTIMEZONE",
]


def escape(text: str) -> str:
    """Escape a TEXT value (backslash, semicolon, comma, newline)."""
    return (str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> bytes:
    """Fold one content line at 75 octets without splitting a UTF-8 character."""
    out, current, limit = [], b"", 75
    for ch in line:
        encoded = ch.encode("utf-8")
        if len(current) + len(encoded) > limit:
            out.append(current)
            current, limit = b" ", 75
        current += encoded
    out.append(current)
    return b"\r\n".join(out) + b"\r\n"


def session_ics(session: Session, registration: Registration | None = None,
                now: datetime | None = None) -> bytes:
    """A calendar file for one lecture session (with the sign-up code if a registration is given)."""
    lines = [f"报名编号：{registration.ref}（{registration.attendees}人）"] if registration else []
    lines += [f"地点：{session.venue}（{session.street}）", f"对象：{session.audience}"]
    return _calendar(
        uid=f"session-{session.id}@{UID_DOMAIN}", start=session.starts_at, end=session.ends_at,
        summary=session.title, location=f"{session.venue}（浦东新区{session.street}）",
        description="\n".join(lines), cancelled=session.status == CANCELLED, now=now)


def booking_ics(booking: SchoolBooking, program: Program | None = None, now: datetime | None = None) -> bytes:
    """A calendar file for a confirmed school booking; times follow 上午/下午/全天 and the program length."""
    if booking.status not in (APPROVED, WITHDRAWN) or booking.scheduled_date is None:
        raise BookingError(f"预约 {booking.ref} 尚未确认日期，暂时无法生成日历文件。")
    request = booking.request
    start = datetime.combine(booking.scheduled_date, SLOT_STARTS.get(booking.time_text, time(9)), SHANGHAI)
    length = FULL_DAY if booking.time_text == "全天" else timedelta(minutes=program.duration_minutes if program else 45)
    title = program.title if program else request.program_id
    description = "\n".join([
        f"预约编号：{booking.ref}", f"学校：{request.school}", f"年级：{request.grades}（约{request.head_count}人）",
        f"课程：{title}", "具体时间以学校与主办单位商定为准。",
    ])
    return _calendar(
        uid=f"school-{booking.ref}@{UID_DOMAIN}", start=start, end=start + length,
        summary=f"法治进校园：{title}", location=f"{request.school}（{request.address}）",
        description=description, cancelled=booking.status != APPROVED, now=now)


def _calendar(*, uid: str, start: datetime, end: datetime, summary: str, location: str, description: str,
              cancelled: bool, now: datetime | None) -> bytes:
    stamp = (aware(now) if now else datetime.now(SHANGHAI)).astimezone(timezone.utc)
    event = [
        "BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
        f"DTSTART;TZID=Asia/Shanghai:{aware(start):%Y%m%dT%H%M%S}",
        f"DTEND;TZID=Asia/Shanghai:{aware(end):%Y%m%dT%H%M%S}",
        f"SUMMARY:{escape(summary)}", f"LOCATION:{escape(location)}", f"DESCRIPTION:{escape(description)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}", "TRANSP:OPAQUE",
    ]
    if not cancelled:
        event += ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{escape(summary)}", "TRIGGER:-PT2H", "END:VALARM"]
    event.append("END:VEVENT")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             *_VTIMEZONE, *event, "END:VCALENDAR"]
    return b"".join(fold(line) for line in lines)

