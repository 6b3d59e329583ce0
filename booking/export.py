"""CSV exports for office staff that open cleanly in Excel (UTF-8 BOM, CRLF, formula-safe cells)."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any, Iterable

from .catalog import Catalog
from .clock import aware
from .models import Registration, SchoolBooking
from .phones import display_phone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

REGISTRATION_HEADER = ["报名编号", "讲座", "开始时间", "地点", "街道/镇", "姓名", "电话", "身份", "人数",
                       "状态", "报名时间", "递补时间", "取消时间", "监护人", "监护人电话", "监护人同意时间", "签到时间"]
BOOKING_HEADER = ["预约编号", "状态", "学校", "街道/镇", "地址", "联系人", "职务", "电话", "年级", "人数",
                  "课程", "主题", "意向日期", "时段", "备注", "安排日期", "处理人", "处理时间", "原因", "提交时间"]


def safe_cell(value: Any) -> Any:
    """Text for one cell; strings that Excel would run as a formula get a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return aware(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(header: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """Encode rows as Excel-friendly CSV bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def registrations_csv(registrations: Iterable[Registration]) -> bytes:
    """Sign-ups (e.g. Lectures.attendees(session_id)) as a CSV file."""
    rows = []
    for reg in registrations:
        session = reg.session
        rows.append([
            reg.ref, session.title if session else "", session.starts_at if session else "",
            session.venue if session else "", session.street if session else "", reg.name,
            display_phone(reg.phone), reg.role, reg.attendees, reg.status_label, reg.created_at,
            reg.promoted_at, reg.cancelled_at, reg.guardian_name,
            display_phone(reg.guardian_phone) if reg.guardian_phone else "", reg.guardian_consent_at,
            reg.attended_at,
        ])
    return to_csv(REGISTRATION_HEADER, rows)


def school_bookings_csv(bookings: Iterable[SchoolBooking], catalog: Catalog | None = None) -> bytes:
    """School bookings (e.g. Schools.all()) as a CSV file, with program titles from the catalog."""
    catalog = catalog or Catalog.default()
    rows = []
    for booking in bookings:
        request = booking.request
        program = catalog.program(request.program_id)
        rows.append([
            booking.ref, booking.status, request.school, request.street, request.address, request.contact_name,
            request.contact_role, display_phone(request.phone), request.grades, request.head_count,
            program.title if program else request.program_id, "、".join(request.topics),
            "、".join(d.isoformat() for d in request.preferred_dates), request.time_of_day, request.notes,
            booking.scheduled_date, booking.decided_by, booking.decided_at, booking.reason, booking.created_at,
        ])
    return to_csv(BOOKING_HEADER, rows)
