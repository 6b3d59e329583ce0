"""The office's desk on the web, under /staff on the same server as the chat page.

Staff sign in with the account `python bot.py admin staff-add` made; the pages are thin views over the services the
Telegram staff commands and `bot.py admin` use (chat.staff.StaffFlow for every change, chat.desk.OfficeDesk for what
is shown), so each action is the same in every channel and is audited under the staff member's name.

Sessions: a random token in the `pf_staff` cookie (HttpOnly, SameSite=Strict, path /staff, Secure with
WEB_COOKIE_SECURE), only its hash stored; a new one at every sign-in; ended after WEB_STAFF_IDLE_MINUTES without a
request, at sign-out, and when the account is reset or removed. Every POST needs the session's CSRF token in the
form and a same-origin request. Sign-in is limited per address and locks an account after repeated wrong passwords.
"""
from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import quote

import segno
from aiohttp import web

from chat.assistant import Assistant
from chat.desk import BookingError, Table
from chat.types import Reply, small_number
from runtime.ratelimit import PerUserAndPlace
from web.desk.charts import bar_chart
from web.desk.html import e, field, form, page, select, table
from web.guards import Wording, client_address
from web.guards import same_origin as origin_matches
from web.settings import WebSettings

COOKIE = "pf_staff"
PATH = "/staff"
SIGN_IN_PER_MINUTE = 10  # attempts from one address at one name (an attacker's cannot lock out the others)
SIGN_IN_PER_ADDRESS = 60  # attempts from one address per minute, whatever the names
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Desk:
    """What the handlers share: the assistant, settings, wording, the sign-in limiter and one-shot notices."""

    def __init__(self, assistant: Assistant, settings: WebSettings, mail_on: Callable[[], bool],
                 mail_problems: Callable[[], list]):
        self.assistant, self.settings, self.mail_on, self.mail_problems = assistant, settings, mail_on, mail_problems
        self.wording = Wording(assistant.texts)
        self.sign_ins = PerUserAndPlace(SIGN_IN_PER_MINUTE, SIGN_IN_PER_ADDRESS, window=60.0,
                                        clock=lambda: self.now().timestamp())  # the accounts' own clock
        self.notices: dict[int, tuple[str, bool]] = {}  # staff id -> (text, is_error), shown once
        assistant.desk.accounts.idle = timedelta(minutes=settings.staff_idle_minutes)

    def t(self, key: str, **values) -> str:
        return self.wording(key, **values)

    @property
    def accounts(self):
        return self.assistant.desk.accounts

    def now(self):
        return self.assistant.ctx.now()


DESK = web.AppKey("desk", Desk)
STAFF = web.RequestKey("staff", object)   # the signed-in StaffAccount
CSRF = web.RequestKey("csrf", str)        # its session's CSRF token
FORM = web.RequestKey("form", object)     # a POST's checked form data


def mount_desk(app: web.Application, assistant: Assistant, settings: WebSettings,
               mail_on: Callable[[], bool] = lambda: False, mail_problems: Callable[[], list] = lambda: []) -> None:
    """Add the /staff pages to the web app; `mail_problems` lists set-aside e-mails (address, reason, attempts)."""
    app[DESK] = Desk(assistant, settings, mail_on, mail_problems)
    r = app.router
    r.add_get(PATH, todo)
    r.add_get(PATH + "/login", login_page)
    r.add_post(PATH + "/login", login)
    r.add_post(PATH + "/logout", logout)
    r.add_get(PATH + "/setup", setup_page)
    r.add_post(PATH + "/setup", setup)
    r.add_get(PATH + "/booking/{ref}", booking_page)
    r.add_post(PATH + "/booking/{ref}/{action}", booking_action)
    r.add_get(PATH + "/sessions", sessions_page)
    r.add_post(PATH + "/sessions", session_create)
    r.add_get(PATH + "/sessions/{id:\\d+}", session_page)
    r.add_get(PATH + "/sessions/{id:\\d+}/attendees.csv", session_csv)
    r.add_get(PATH + "/sessions/{id:\\d+}/qr.svg", session_qr)
    r.add_post(PATH + "/sessions/{id:\\d+}/{action}", session_action)
    r.add_get(PATH + "/stats", stats_page)
    r.add_get(PATH + "/stats/{key}.csv", stats_csv)
    r.add_get(PATH + "/improve", improve_page)
    r.add_get(PATH + "/improve.csv", improve_csv)
    r.add_post(PATH + "/improve", improve_handled)


# ---- sessions, sign-in and the checks every page makes --------------------------------------------------
def staff_only(handler: Callable[[web.Request], web.StreamResponse]) -> Handler:
    """Pages for signed-in staff: others go to the sign-in page; POSTs need CSRF token and same origin.

    The page itself runs on a worker thread, so a slow statistics page or export never stalls the chat."""
    async def wrapped(request: web.Request) -> web.StreamResponse:
        desk = request.app[DESK]
        found = desk.accounts.session(request.cookies.get(COOKIE), desk.now())
        if found is None:
            if request.method == "POST":
                return _refused(desk, "desk_signed_out", 401)
            return redirect(PATH + "/login")
        request[STAFF], request[CSRF] = found
        if request.method == "POST":
            data = await request.post()
            if not same_origin(request) or data.get("csrf") != found[1]:
                return _refused(desk, "desk_forbidden", 403)
            request[FORM] = data
        return await asyncio.to_thread(handler, request)
    return wrapped


def same_origin(request: web.Request) -> bool:
    """The form was sent from one of our pages. Browsers send `Origin: null` with form posts from pages whose
    Referrer-Policy is no-referrer (ours), so Sec-Fetch-Site decides where the browser sends it; else the Origin."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    return request.headers.get("Origin") != "null" and origin_matches(request)


def redirect(location: str) -> web.Response:
    """303 See Other: after a POST the browser loads the page with GET."""
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def _refused(desk: Desk, key: str, status: int) -> web.Response:
    return page(desk.t("desk_refused_title"), f'<p class="error">{e(desk.t(key))}</p>'
                f'<p><a href="{PATH}/login">{e(desk.t("desk_to_login"))}</a></p>', status=status)


def _cookie(response: web.StreamResponse, desk: Desk, token: str) -> None:
    response.set_cookie(COOKIE, token, path=PATH, httponly=True, samesite="Strict",
                        secure=desk.settings.cookie_secure)


async def login_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    desk = request.app[DESK]
    notice = f'<p class="error">{e(error)}</p>' if error else ""
    body = (notice + f'<form method="post" action="{PATH}/login" class="card">'
            + field(desk.t("desk_name"), "name", extra=' autocomplete="username"')
            + field(desk.t("desk_password"), "password", kind="password", extra=' autocomplete="current-password"')
            + f'<button>{e(desk.t("desk_sign_in"))}</button></form><p class="muted">{e(desk.t("desk_login_help"))}</p>')
    return page(desk.t("desk_login_title"), body, status=status)


async def login(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    if not same_origin(request):
        return _refused(desk, "desk_forbidden", 403)
    data = await request.post()
    name, address = str(data.get("name", "")).strip()[:30], client_address(request, desk.settings.trust_proxy)
    if not desk.sign_ins.allows(f"{address} {name}", address):
        return await login_page(request, desk.t("desk_too_many"), 429)
    try:  # scrypt takes ~0.1 s: on a worker thread, so a sign-in never stalls the other requests
        account = await asyncio.to_thread(desk.accounts.sign_in, name, str(data.get("password", "")), desk.now(),
                                          "ip:" + address)
    except BookingError as error:
        return await login_page(request, str(error), 401)
    desk.accounts.end_session(request.cookies.get(COOKIE), desk.now())  # rotation: never keep a token from before
    token, _ = desk.accounts.open_session(account, desk.now())
    response = redirect(PATH)
    _cookie(response, desk, token)
    return response


@staff_only
def logout(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    desk.accounts.end_session(request.cookies.get(COOKIE), desk.now())
    response = redirect(PATH + "/login")
    response.del_cookie(COOKIE, path=PATH)
    return response


async def setup_page(request: web.Request) -> web.Response:
    return _setup_form(request, request.query.get("key", ""))


def _setup_form(request: web.Request, key: str, error: str = "", status: int = 200) -> web.Response:
    """The set-up link's page: the key travels in the query string (never logged), then in the form."""
    desk = request.app[DESK]
    try:
        account = desk.accounts.by_setup_key(key, desk.now())
    except BookingError as problem:
        return page(desk.t("desk_setup_title"), f'<p class="error">{e(problem)}</p>', status=404)
    notice = f'<p class="error">{e(error)}</p>' if error else ""
    body = (notice + f'<p>{e(desk.t("desk_setup_for", name=account.name))}</p>'
            f'<form method="post" action="{PATH}/setup" class="card"><input type="hidden" name="key" value="{e(key)}">'
            + field(desk.t("desk_new_password"), "password", kind="password", hint=desk.t("desk_password_rule"),
                    extra=' autocomplete="new-password"')
            + field(desk.t("desk_again"), "again", kind="password", extra=' autocomplete="new-password"')
            + f'<button>{e(desk.t("desk_save_password"))}</button></form>')
    return page(desk.t("desk_setup_title"), body, status=status)


async def setup(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    if not same_origin(request):
        return _refused(desk, "desk_forbidden", 403)
    data = await request.post()
    key, password = str(data.get("key", "")), str(data.get("password", ""))
    if password != data.get("again"):
        return _setup_form(request, key, desk.t("desk_passwords_differ"), 400)
    try:
        desk.accounts.set_password(key, password, desk.now())
    except BookingError as error:
        return _setup_form(request, key, str(error), 400)
    return page(desk.t("desk_setup_title"), f'<p class="ok">{e(desk.t("desk_password_saved"))}</p>'
                f'<p><a href="{PATH}/login">{e(desk.t("desk_to_login"))}</a></p>')


def _nav(request: web.Request, here: str) -> str:
    desk, account = request.app[DESK], request[STAFF]
    links = [("", desk.t("desk_nav_todo")), ("/sessions", desk.t("desk_nav_sessions")),
             ("/stats", desk.t("desk_nav_stats")), ("/improve", desk.t("desk_nav_improve"))]
    items = "".join(f'<a href="{PATH}{href}"{" class=here" if href == here else ""}>{e(text)}</a>'
                    for href, text in links)
    out = form(PATH + "/logout", request[CSRF], f'<button class="link">{e(desk.t("desk_sign_out"))}</button>',
               "inline")
    return f'<nav>{items}<span class="who">{e(account.name)}</span>{out}</nav>'


def _render(request: web.Request, title: str, body: str, here: str) -> web.Response:
    desk = request.app[DESK]
    notice = desk.notices.pop(request[STAFF].id, None)
    shown = f'<p class="{"error" if notice[1] else "ok"}">{e(notice[0])}</p>' if notice else ""
    mail = "" if desk.mail_on() else f'<p class="muted mail-off">{e(desk.t("desk_mail_off"))}</p>'
    return page(title, shown + body + mail, nav=_nav(request, here))


def _tell(request: web.Request, replies: list[Reply], back: str) -> web.StreamResponse:
    """Show what the staff operation said on the next page (errors in red), and go there."""
    desk = request.app[DESK]
    text = "\n".join(r.text for r in replies if r.text)
    desk.notices[request[STAFF].id] = (text, any(r.error for r in replies))
    return redirect(back)


# ---- 待办 and bookings --------------------------------------------------------------------------------------
def _booking_rows(desk: Desk, bookings) -> str:
    rows = []
    for b in bookings:
        link = f'<a href="{PATH}/booking/{quote(b.ref)}">{e(b.ref)}</a>'
        dates = "、".join(f"{d.month}月{d.day}日" for d in b.request.preferred_dates)
        rows.append([link, e(b.request.school), e(desk.assistant.office.program_title(b.request.program_id)),
                     e(dates + " " + b.request.time_of_day), e(b.decision_text),
                     e(b.attention_label or "")])
    return table([desk.t("desk_col_ref"), desk.t("desk_col_school"), desk.t("desk_col_program"),
                  desk.t("desk_col_dates"), desk.t("desk_col_status"), desk.t("desk_col_reply")], rows, raw=True)


@staff_only
def todo(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    groups = desk.assistant.office.todo()
    titles = {"new": desk.t("desk_todo_new"), "countered": desk.t("desk_todo_countered"),
              "waiting": desk.t("desk_todo_waiting"), "replies": desk.t("desk_todo_replies")}
    counts = "".join(f'<a class="count" href="#{key}"><b>{len(items)}</b>{e(titles[key])}</a>'
                     for key, items in groups.items())
    body = [f'<div class="counts">{counts}</div>']
    problems = desk.mail_problems()
    if problems:
        body.append(f'<h2>{e(desk.t("desk_mail_problems", count=len(problems)))}</h2>')
        body.append(table([desk.t("desk_col_address"), desk.t("desk_col_why"), desk.t("desk_col_attempts")],
                          [[address, reason, str(attempts)] for address, reason, attempts in problems]))
    for key, items in groups.items():
        body.append(f'<h2 id="{key}">{e(titles[key])}（{len(items)}）</h2>')
        body.append(_booking_rows(desk, items) if items else f'<p class="muted">{e(desk.t("desk_none"))}</p>')
    return _render(request, desk.t("desk_todo_title"), "".join(body), "")


@staff_only
def booking_page(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    office = desk.assistant.office
    try:
        b = office.booking(request.match_info["ref"])
    except BookingError as error:
        return _render(request, desk.t("desk_booking_title", ref=request.match_info["ref"]),
                       f'<p class="error">{e(error)}</p>', "")
    r, csrf, base = b.request, request[CSRF], f"{PATH}/booking/{quote(b.ref)}"
    facts = [(desk.t("desk_col_status"), b.decision_text + (f"｜{b.attention_label}" if b.attention_label else "")),
             ("学校", f"{r.school}（{r.street}）"), ("地址", r.address),
             ("联系人", f"{r.contact_name}（{r.contact_role}）"), ("电话", r.phone), ("邮箱", r.email or "—"),
             ("年级与人数", f"{r.grades}，约 {r.head_count} 人"), ("课程", office.program_title(r.program_id)),
             ("主题", "、".join(r.topics) or "—"),
             ("希望日期", "、".join(d.isoformat() for d in r.preferred_dates) + " " + r.time_of_day),
             ("备注", r.notes or "—"), ("学校的说明", b.school_note or "—"),
             ("安排", f"{b.scheduled_date or '—'} {b.time_text if b.scheduled_date else ''}"),
             ("提交时间", b.created_at.strftime("%Y-%m-%d %H:%M"))]
    body = ['<dl class="facts">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts) + "</dl>"]
    if b.status == "待审核":
        choices = "".join(f'<label class="choice"><input type="radio" name="date" value="{d.isoformat()}"'
                          f'{" checked" if i == 0 else ""}> {e(d.isoformat())}（周{"一二三四五六日"[d.weekday()]}）</label>'
                          for i, d in enumerate(r.preferred_dates))
        body.append('<div class="actions">')
        body.append(form(base + "/approve", csrf, f'<h2>{e(desk.t("desk_approve"))}</h2>{choices}'
                         f'<button>{e(desk.t("desk_approve_button"))}</button>', "card"))
        body.append(form(base + "/propose", csrf, f'<h2>{e(desk.t("desk_propose"))}</h2>'
                         + field(desk.t("desk_propose_date"), "date", hint=desk.t("desk_propose_date_hint"))
                         + field(desk.t("desk_propose_note"), "note", kind="textarea", required=False,
                                 hint=desk.t("desk_propose_note_hint"))
                         + f'<button>{e(desk.t("desk_propose_button"))}</button>', "card"))
        body.append(form(base + "/decline", csrf, f'<h2>{e(desk.t("desk_decline"))}</h2>'
                         + field(desk.t("desk_decline_reason"), "reason", kind="textarea")
                         + f'<button class="danger">{e(desk.t("desk_decline_button"))}</button>', "card"))
        body.append("</div>")
    if b.attention:
        body.append(form(base + "/ack", csrf, f'<button>{e(desk.t("desk_ack"))}</button>', "card"))
    history = office.history(b)
    body.append(f'<h2>{e(desk.t("desk_history"))}</h2>')
    body.append(table([desk.t("desk_col_when"), desk.t("desk_col_who"), desk.t("desk_col_what")],
                      [[h.at.strftime("%Y-%m-%d %H:%M"), h.who, h.what] for h in history]))
    return _render(request, desk.t("desk_booking_title", ref=b.ref), "".join(body), "")


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
        elif action == "ack":
            replies = staff.acknowledge(actor, ref)
        else:
            raise web.HTTPNotFound()
    except BookingError as error:
        replies = [Reply(str(error), error=True)]
    return _tell(request, replies, f"{PATH}/booking/{quote(ref)}")


# ---- lecture sessions --------------------------------------------------------------------------------------
@staff_only
def sessions_page(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    a = desk.assistant
    rows = [[f'<a href="{PATH}/sessions/{s.id}">#{s.id}</a>', e(s.starts_at.strftime("%Y-%m-%d %H:%M")), e(s.title),
             e(s.venue), e(s.status_label), e(f"{s.seats_taken}/{s.capacity}"), e(s.waitlisted)]
            for s in a.desk.lectures.upcoming_sessions(desk.now())]
    listing = table([desk.t("desk_col_id"), desk.t("desk_col_when"), desk.t("desk_col_title"),
                     desk.t("desk_col_venue"), desk.t("desk_col_status"), desk.t("desk_col_seats"),
                     desk.t("desk_col_waiting")], rows, raw=True) if rows else \
        f'<p class="muted">{e(desk.t("desk_none"))}</p>'
    programs = [(p.title, p.id) for p in a.desk.catalog.public_programs()]
    create = form(PATH + "/sessions", request[CSRF], f'<h2>{e(desk.t("desk_new_session"))}</h2>'
                  + select(desk.t("desk_program"), "program_id", programs)
                  + field(desk.t("desk_session_title"), "title", required=False, hint=desk.t("desk_session_title_hint"))
                  + field(desk.t("desk_session_start"), "starts_at", hint=desk.t("desk_when_hint"))
                  + field(desk.t("desk_session_minutes"), "minutes", "90", kind="number")
                  + field(desk.t("desk_session_venue"), "venue")
                  + field(desk.t("desk_session_street"), "street", hint=desk.t("desk_street_hint"))
                  + field(desk.t("desk_session_audience"), "audience", "家长")
                  + field(desk.t("desk_session_capacity"), "capacity", "50", kind="number")
                  + field(desk.t("desk_session_deadline"), "deadline", hint=desk.t("desk_deadline_hint"))
                  + f'<button>{e(desk.t("desk_create"))}</button>', "card")
    return _render(request, desk.t("desk_sessions_title"), listing + create, "/sessions")


@staff_only
def session_create(request: web.Request) -> web.StreamResponse:
    desk, data = request.app[DESK], request[FORM]
    raw = {name: str(data.get(name, "")) for name in ("program_id", "title", "starts_at", "minutes", "venue",
                                                       "street", "audience", "capacity", "deadline")}
    try:
        replies = desk.assistant.sessions.create(request[STAFF].actor, raw)
    except BookingError as error:
        replies = [Reply(str(error), error=True)]
    return _tell(request, replies, PATH + "/sessions")


def share_links(desk: Desk, session_id: int) -> tuple[str, str]:
    """The web address and (when the bot's username is set) the Telegram deep link of a session."""
    web_link = f"{desk.settings.public_url}/?start=lec_{session_id}"
    tg = f"https://t.me/{desk.settings.bot_username}?start=lec_{session_id}" if desk.settings.bot_username else ""
    return web_link, tg


def _session_id(request: web.Request) -> int:
    """The session number in the path; one no session can have is a 404."""
    number = small_number(request.match_info["id"])
    if number is None:
        raise web.HTTPNotFound()
    return number


@staff_only
def session_page(request: web.Request) -> web.Response:
    desk, session_id = request.app[DESK], _session_id(request)
    lectures = desk.assistant.desk.lectures
    try:
        s = lectures.get_session(session_id)
    except BookingError as error:
        return _render(request, desk.t("desk_session_title_page", id=session_id), f'<p class="error">{e(error)}</p>',
                       "/sessions")
    regs = lectures.attendees(session_id)
    web_link, tg = share_links(desk, session_id)
    facts = [(desk.t("desk_col_when"), f"{s.starts_at:%Y-%m-%d %H:%M}–{s.ends_at:%H:%M}"),
             (desk.t("desk_col_venue"), f"{s.venue}（{s.street}）"), (desk.t("desk_session_audience"), s.audience),
             (desk.t("desk_col_status"), s.status_label), (desk.t("desk_col_seats"), f"{s.seats_taken}/{s.capacity}"),
             (desk.t("desk_col_waiting"), str(s.waitlisted)),
             (desk.t("desk_session_deadline"), f"{s.deadline:%Y-%m-%d %H:%M}")]
    body = ['<dl class="facts">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts) + "</dl>"]
    links = f'<p>{e(desk.t("desk_share_web"))}<br><code>{e(web_link)}</code></p>'
    if tg:
        links += f'<p>{e(desk.t("desk_share_tg"))}<br><code>{e(tg)}</code></p>'
    body.append(f'<h2>{e(desk.t("desk_share"))}</h2><div class="share"><img class="qr" src="{PATH}/sessions/'
                f'{session_id}/qr.svg" alt="{e(desk.t("desk_qr_alt"))}" width="198" height="198"><div>{links}'
                f'<p><a href="{PATH}/sessions/{session_id}/qr.svg" download="lecture-{session_id}-qr.svg">'
                f'{e(desk.t("desk_qr_download"))}</a></p></div></div>')
    body.append(f'<h2>{e(desk.t("desk_attendees"))}</h2>')
    body.append(table([desk.t("desk_col_ref"), desk.t("desk_col_name"), desk.t("desk_col_phone"),
                       desk.t("desk_col_role"), desk.t("desk_col_people"), desk.t("desk_col_status")],
                      [[r.ref, r.name, r.phone, r.role, str(r.attendees), r.status_label] for r in regs])
                if regs else f'<p class="muted">{e(desk.t("desk_none"))}</p>')
    body.append(f'<p><a href="{PATH}/sessions/{session_id}/attendees.csv">{e(desk.t("desk_csv"))}</a></p>')
    if s.status == "open":
        body.append(form(f"{PATH}/sessions/{session_id}/close", request[CSRF],
                         f'<button>{e(desk.t("desk_close_session"))}</button>', "card"))
    if s.status != "cancelled":
        body.append(form(f"{PATH}/sessions/{session_id}/cancel", request[CSRF],
                         f'<label class="choice"><input type="checkbox" name="sure" value="1" required> '
                         f'{e(desk.t("desk_cancel_sure"))}</label>'
                         f'<button class="danger">{e(desk.t("desk_cancel_session"))}</button>', "card"))
    return _render(request, desk.t("desk_session_title_page", id=session_id), "".join(body), "/sessions")


@staff_only
def session_csv(request: web.Request) -> web.Response:
    desk, session_id = request.app[DESK], _session_id(request)
    try:
        replies = desk.assistant.staff.attendees(session_id)
    except BookingError:
        raise web.HTTPNotFound() from None
    file = replies[0].attachment
    return web.Response(body=file.content, headers={
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(file.filename)}"})


@staff_only
def session_qr(request: web.Request) -> web.Response:
    desk, session_id = request.app[DESK], _session_id(request)
    web_link, _ = share_links(desk, session_id)
    out = io.BytesIO()
    segno.make(web_link, error="m").save(out, kind="svg", scale=6, border=4, xmldecl=False, title=web_link)
    return web.Response(body=out.getvalue(), content_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@staff_only
def session_action(request: web.Request) -> web.StreamResponse:
    desk, session_id = request.app[DESK], _session_id(request)
    staff, actor, action = desk.assistant.staff, request[STAFF].actor, request.match_info["action"]
    try:
        if action == "close":
            replies = staff.close_session(actor, session_id)
        elif action == "cancel" and request[FORM].get("sure") == "1":
            replies = staff.cancel_session(actor, session_id)
        else:
            raise web.HTTPNotFound()
    except BookingError as error:
        replies = [Reply(str(error), error=True)]
    return _tell(request, replies, f"{PATH}/sessions/{session_id}")


# ---- statistics and questions to improve ---------------------------------------------------------------------
def chart(table_: Table) -> str:
    return bar_chart(table_.title, table_.categories, table_.series, table_.stacked)


@staff_only
def stats_page(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    parts = []
    for t in desk.assistant.office.tables():
        drawing = chart(t) if not t.empty else f'<p class="muted">{e(desk.t("desk_no_data"))}</p>'
        note = f'<p class="muted">{e(t.note)}</p>' if t.note else ""
        parts.append(f'<section class="card chart-card"><h2>{e(t.title)}</h2>{drawing}{note}'
                     f'<p><a href="{PATH}/stats/{t.key}.csv">{e(desk.t("desk_csv"))}</a></p></section>')
    return _render(request, desk.t("desk_stats_title"), f'<p class="muted">{e(desk.t("desk_stats_span"))}</p>'
                   + "".join(parts), "/stats")


@staff_only
def stats_csv(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    found = desk.assistant.office.table(request.match_info["key"])
    if found is None:
        raise web.HTTPNotFound()
    return web.Response(body=found.csv(), headers={"Content-Type": "text/csv; charset=utf-8",
                                                   "Cache-Control": "no-store",
                                                   "Content-Disposition": f"attachment; filename={found.key}.csv"})


@staff_only
def improve_page(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    items = desk.assistant.office.to_improve()
    if not items:
        body = f'<p class="muted">{e(desk.t("desk_improve_none"))}</p>'
    else:
        rows = []
        for item in items:
            near = "<br>".join(f"<code>{e(faq_id)}</code> {e(question)}" for faq_id, question in item.nearest) or "—"
            rows.append([f'<input type="checkbox" name="id" value="{item.id}" aria-label="{item.id}">',
                         e(item.asked_at.strftime("%m-%d %H:%M")), e(item.text), e(item.why), near])
        body = form(PATH + "/improve", request[CSRF], table(
            ["", desk.t("desk_col_when"), desk.t("desk_col_question"), desk.t("desk_col_why"),
             desk.t("desk_col_nearest")], rows, raw=True) + f'<button>{e(desk.t("desk_mark_handled"))}</button>')
    help_text = f'<p class="muted">{e(desk.t("desk_improve_help"))}</p>'
    export = f'<p><a href="{PATH}/improve.csv">{e(desk.t("desk_improve_export"))}</a></p>'
    return _render(request, desk.t("desk_improve_title"), help_text + export + body, "/improve")


@staff_only
def improve_csv(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    return web.Response(body=desk.assistant.office.improve_csv(), headers={
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
        "Content-Disposition": "attachment; filename=questions-to-improve.csv"})


@staff_only
def improve_handled(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    ids = [n for v in request[FORM].getall("id", []) if (n := small_number(str(v))) is not None]
    count = desk.assistant.office.mark_handled(request[STAFF].actor, ids) if ids else 0
    return _tell(request, [Reply(desk.t("desk_handled", count=count))], PATH + "/improve")
