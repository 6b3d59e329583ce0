"""On the day: tick who came on a phone, check in by the code typed or scanned, and the printable sign-in sheet."""
from __future__ import annotations

from aiohttp import web

from chat.desk import BookingError
from chat.types import Reply
from web.desk.base import DESK, FORM, PATH, STAFF, number_in_path, staff_only, tell
from web.desk.templates import render

SHEET_BLANK_ROWS = 5  # for people who come without signing up


def _session_and_expected(request: web.Request):
    """The session in the path (404 if there is none) and the sign-ups expected at it."""
    desk, session_id = request.app[DESK], number_in_path(request)
    try:
        session = desk.assistant.desk.lectures.get_session(session_id)
    except BookingError:
        raise web.HTTPNotFound() from None
    return session, desk.assistant.desk.running.expected(session_id)


@staff_only
def attendance_page(request: web.Request) -> web.Response:
    session, regs = _session_and_expected(request)
    return render(request, "attendance.html", session=session, attendees=regs,
                  present=sum(r.attendees for r in regs if r.attended_at), expected=sum(r.attendees for r in regs))


@staff_only
def attend(request: web.Request) -> web.StreamResponse:
    """A tick, an untick or a code typed in: the answer shows on the attendance page."""
    desk, session_id, data = request.app[DESK], number_in_path(request), request[FORM]
    try:
        replies = desk.assistant.running.attended(request[STAFF].actor, session_id, str(data.get("ref", "")),
                                                  came=data.get("came") != "0")
    except BookingError as error:
        replies = [Reply(str(error), error=True)]
    return tell(request, replies, f"{PATH}/sessions/{session_id}/attendance")


@staff_only
def checkin_page(request: web.Request) -> web.Response:
    """Where the QR code on a confirmation leads a staff member's phone camera: the sign-up, and one button."""
    desk = request.app[DESK]
    try:
        reg = desk.assistant.desk.running.registration(request.match_info["ref"])
    except BookingError as error:
        return render(request, "checkin.html", status=404, error=str(error))
    return render(request, "checkin.html", error="", reg=reg)


@staff_only
def sheet_page(request: web.Request) -> web.Response:
    """A4 sign-in sheet: name, masked phone, number of people and a column to sign."""
    session, regs = _session_and_expected(request)
    return render(request, "sheet.html", session=session, attendees=regs, people=sum(r.attendees for r in regs),
                  blank_rows=SHEET_BLANK_ROWS)
