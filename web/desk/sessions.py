"""Lecture sessions: the list with the create form, one session (share link and QR, attendees), its actions."""
from __future__ import annotations

import io

import segno
from aiohttp import web

from chat.desk import BookingError
from chat.running import EDIT_FIELDS
from chat.types import Reply, small_number
from web.desk.base import DESK, FORM, PATH, STAFF, csv_response, number_in_path, staff_only, tell
from web.desk.templates import render

FIELDS = ("program_id", "title", "starts_at", "minutes", "venue", "street", "audience", "capacity", "deadline")


@staff_only
def sessions_page(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    lectures = desk.assistant.desk.lectures
    programs = [(p.title, p.id) for p in desk.assistant.desk.catalog.public_programs()]
    return render(request, "sessions.html", sessions=lectures.upcoming_sessions(desk.now()), programs=programs)


@staff_only
def session_create(request: web.Request) -> web.StreamResponse:
    desk, data = request.app[DESK], request[FORM]
    raw = {name: str(data.get(name, "")) for name in FIELDS}
    try:
        replies = desk.assistant.sessions.create(request[STAFF].actor, raw)
    except BookingError as error:
        replies = [Reply(str(error), error=True)]
    return tell(request, replies, PATH + "/sessions")


def share_links(desk, session_id: int) -> tuple[str, str]:
    """The web address and (when the bot's username is set) the Telegram deep link of a session."""
    web_link = f"{desk.settings.public_url}/?start=lec_{session_id}"
    tg = f"https://t.me/{desk.settings.bot_username}?start=lec_{session_id}" if desk.settings.bot_username else ""
    return web_link, tg


@staff_only
def session_page(request: web.Request) -> web.Response:
    desk, session_id = request.app[DESK], number_in_path(request)
    lectures = desk.assistant.desk.lectures
    try:
        s = lectures.get_session(session_id)
    except BookingError as error:
        return render(request, "session.html", session_id=session_id, error=str(error))
    web_link, tg = share_links(desk, session_id)
    regs = lectures.attendees(session_id)
    present = sum(r.attendees for r in regs if r.attended_at)
    facts = [(desk.t("desk_col_when"), f"{s.starts_at:%Y-%m-%d %H:%M}–{s.ends_at:%H:%M}"),
             (desk.t("desk_col_venue"), f"{s.venue}（{s.street}）"), (desk.t("desk_session_audience"), s.audience),
             (desk.t("desk_col_status"), s.status_label), (desk.t("desk_col_seats"), f"{s.seats_taken}/{s.capacity}"),
             (desk.t("desk_col_waiting"), str(s.waitlisted)),
             (desk.t("desk_session_deadline"), f"{s.deadline:%Y-%m-%d %H:%M}"),
             (desk.t("desk_col_present"), desk.t("desk_people_count", count=present))]
    return render(request, "session.html", session_id=session_id, error="", facts=facts, state=s.status,
                  session=s, program=desk.assistant.office.program_title(s.program_id),
                  started=desk.now() >= s.starts_at, minutes=int((s.ends_at - s.starts_at).total_seconds() // 60),
                  web_link=web_link, tg_link=tg, attendees=regs)


@staff_only
def session_csv(request: web.Request) -> web.Response:
    desk, session_id = request.app[DESK], number_in_path(request)
    try:
        replies = desk.assistant.staff.attendees(session_id)
    except BookingError:
        raise web.HTTPNotFound() from None
    file = replies[0].attachment
    return csv_response(file.content, file.filename)


@staff_only
def session_qr(request: web.Request) -> web.Response:
    desk, session_id = request.app[DESK], number_in_path(request)
    web_link, _ = share_links(desk, session_id)
    out = io.BytesIO()
    segno.make(web_link, error="m").save(out, kind="svg", scale=6, border=4, xmldecl=False, title=web_link)
    return web.Response(body=out.getvalue(), content_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@staff_only
def session_action(request: web.Request) -> web.StreamResponse:
    desk, session_id, data = request.app[DESK], number_in_path(request), request[FORM]
    staff, actor, action = desk.assistant.staff, request[STAFF].actor, request.match_info["action"]
    try:
        if action == "close":
            replies = staff.close_session(actor, session_id)
        elif action == "cancel" and data.get("sure") == "1":
            replies = staff.cancel_session(actor, session_id)
        elif action == "edit":
            replies = desk.assistant.running.edit(actor, session_id, {name: str(data.get(name, "")) for name in
                                                                      EDIT_FIELDS})
        elif action == "message" and data.get("step") == "preview":
            return _message_preview(request, session_id, str(data.get("text", "")))
        elif action == "message":
            expected = small_number(str(data.get("expected", "")))
            if expected is None:  # only the preview's send button carries the count it showed
                raise BookingError(desk.t("desk_message_preview_first"))
            replies = desk.assistant.running.message_all(actor, session_id, str(data.get("text", "")), expected)
        else:
            raise web.HTTPNotFound()
    except BookingError as error:
        replies = [Reply(str(error), error=True)]
    return tell(request, replies, f"{PATH}/sessions/{session_id}")


def _message_preview(request: web.Request, session_id: int, text: str) -> web.Response:
    """What each person will read, and how many will get it, before anything is sent."""
    preview, regs = request.app[DESK].assistant.running.message_preview(session_id, text)
    waiting = sum(1 for r in regs if r.status != "confirmed")
    return render(request, "message_preview.html", session_id=session_id, preview=preview, text=text,
                  count=len(regs), waiting=waiting, confirmed=len(regs) - waiting)
