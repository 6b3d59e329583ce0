"""待办 (what waits for the office) and one school booking with its decisions."""
from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from chat.desk import PENDING, PROPOSED, BookingError, display_phone
from chat.types import Reply
from web.desk.base import DESK, FORM, PATH, STAFF, staff_only, tell
from web.desk.templates import render

WEEKDAYS = "一二三四五六日"


@staff_only
def todo(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    office = desk.assistant.office
    groups = {key: [_row(office, b) for b in items] for key, items in office.todo().items()}
    return render(request, "todo.html", groups=groups, problems=desk.mail_problems(), calls=office.to_call_back(),
                  aside=office.set_aside())


@staff_only
def called_back(request: web.Request) -> web.StreamResponse:
    """Staff reached the guardian of a 「同一网络确认」 sign-up by phone."""
    desk, ref = request.app[DESK], request.match_info["ref"]
    try:
        replies = desk.assistant.staff.called_back(request[STAFF].actor, ref, request[FORM].get("agree") != "no")
    except BookingError as error:
        replies = [Reply(str(error), error=True)]
    return tell(request, replies, PATH + "#calls")


def _row(office, b) -> dict:
    dates = "、".join(f"{d.month}月{d.day}日" for d in b.request.preferred_dates)
    return {"ref": b.ref, "school": b.request.school, "program": office.program_title(b.request.program_id),
            "dates": f"{dates} {b.request.time_of_day}", "status": b.decision_text, "reply": b.attention_label or ""}


@staff_only
def booking_page(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    office, ref = desk.assistant.office, request.match_info["ref"]
    try:
        b = office.booking(ref)
    except BookingError as error:
        return render(request, "booking.html", ref=ref, error=str(error))
    r = b.request
    facts = [(desk.t("desk_col_status"), b.decision_text + (f"｜{b.attention_label}" if b.attention_label else "")),
             ("学校", f"{r.school}（{r.street}）"), ("地址", r.address),
             ("联系人", f"{r.contact_name}（{r.contact_role}）"), ("电话", display_phone(r.phone)), ("邮箱", r.email or "—"),
             ("年级与人数", f"{r.grades}，约 {r.head_count} 人"), ("课程", office.program_title(r.program_id)),
             ("主题", "、".join(r.topics) or "—"),
             ("希望日期", "、".join(d.isoformat() for d in r.preferred_dates) + " " + r.time_of_day),
             ("备注", r.notes or "—"), ("学校的说明", b.school_note or "—"),
             (desk.t("desk_booking_plan"), _plan(desk, b)),
             ("提交时间", b.created_at.strftime("%Y-%m-%d %H:%M"))]
    dates = [(d.isoformat(), f"{d.isoformat()}（周{WEEKDAYS[d.weekday()]}）") for d in r.preferred_dates]
    return render(request, "booking.html", ref=b.ref, error="", facts=facts, dates=dates,
                  undecided=b.status == PENDING, proposed=b.status == PROPOSED, attention=b.attention,
                  history=office.history(b))


def _plan(desk, b) -> str:
    """The date as it stands: fixed, proposed and waiting for the school, or none yet."""
    if not b.scheduled_date:
        return "—"
    when = f"{b.scheduled_date.isoformat()} {b.time_text}".strip()
    return desk.t("desk_plan_proposed", when=when) if b.status == PROPOSED else when


@staff_only
def booking_action(request: web.Request) -> web.StreamResponse:
    desk, data = request.app[DESK], request[FORM]
    staff, actor = desk.assistant.staff, request[STAFF].actor
    ref, action = request.match_info["ref"], request.match_info["action"]
    try:
        if action == "approve":
            replies = staff.approve(actor, ref, str(data.get("date", "")) or None)
        elif action == "propose":
            replies = staff.propose(actor, ref, str(data.get("date", "")), str(data.get("note", "")).strip() or None)
        elif action == "decline":
            replies = staff.decline(actor, ref, str(data.get("reason", "")))
        elif action == "withdraw":
            replies = staff.withdraw_proposal(actor, ref)
        elif action == "ack":
            replies = staff.acknowledge(actor, ref)
        else:
            raise web.HTTPNotFound()
    except BookingError as error:
        replies = [Reply(str(error), error=True)]
    return tell(request, replies, f"{PATH}/booking/{quote(ref)}")
