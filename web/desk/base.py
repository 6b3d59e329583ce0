"""What every desk page shares: the Desk state, the request keys, the staff-only guard, redirects and notices.

Sessions: a random token in the `pf_staff` cookie (HttpOnly, SameSite=Strict, path /staff, Secure with
WEB_COOKIE_SECURE), only its hash stored; a new one at every sign-in; ended after WEB_STAFF_IDLE_MINUTES without a
request, at sign-out, and when the account is reset or removed. Every POST needs the session's CSRF token in the
form and a same-origin request.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import quote

from aiohttp import web

from chat.assistant import Assistant
from chat.types import Reply, small_number
from runtime.ratelimit import PerUserAndPlace
from web.guards import Wording
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


def staff_only(handler: Callable[[web.Request], web.StreamResponse]) -> Handler:
    """Pages for signed-in staff: others go to the sign-in page; POSTs need CSRF token and same origin.

    The page itself runs on a worker thread, so a slow statistics page or export never stalls the chat."""
    async def wrapped(request: web.Request) -> web.StreamResponse:
        desk = request.app[DESK]
        found = desk.accounts.session(request.cookies.get(COOKIE), desk.now())
        if found is None:
            if request.method == "POST":
                return refused(request, "desk_signed_out", 401)
            return redirect(PATH + "/login")
        request[STAFF], request[CSRF] = found
        if request.method == "POST":
            data = await request.post()
            if not same_origin(request) or data.get("csrf") != found[1]:
                return refused(request, "desk_forbidden", 403)
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


def refused(request: web.Request, key: str, status: int) -> web.Response:
    from web.desk.templates import render  # here, not at the top: templates.py imports this module's keys
    return render(request, "refused.html", status=status, message=request.app[DESK].t(key))


def set_cookie(response: web.StreamResponse, desk: Desk, token: str) -> None:
    response.set_cookie(COOKIE, token, path=PATH, httponly=True, samesite="Strict",
                        secure=desk.settings.cookie_secure)


def tell(request: web.Request, replies: list[Reply], back: str) -> web.StreamResponse:
    """Show what the staff operation said on the next page (errors in red), and go there."""
    desk = request.app[DESK]
    text = "\n".join(r.text for r in replies if r.text)
    desk.notices[request[STAFF].id] = (text, any(r.error for r in replies))
    return redirect(back)


def number_in_path(request: web.Request, name: str = "id") -> int:
    """A record number in the path; one no record can have is a 404."""
    number = small_number(request.match_info[name])
    if number is None:
        raise web.HTTPNotFound()
    return number


def csv_response(body: bytes, filename: str) -> web.Response:
    """A CSV download (never cached); the name may be Chinese."""
    return web.Response(body=body, headers={
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
