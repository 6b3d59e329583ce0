"""The office's desk on the web, under /staff on the same server as the chat page.

Staff sign in with the account `python bot.py admin staff-add` made; the pages are thin views over the services the
Telegram staff commands and `bot.py admin` use (chat.staff.StaffFlow for every change, chat.desk.OfficeDesk for what
is shown), so each action is the same in every channel and is audited under the staff member's name. Handlers
gather data; the pages are Jinja2 templates in templates/ (web/desk/templates.py renders them, autoescaped).
"""
from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from chat.assistant import Assistant
from web.desk import attendance, bookings, improve, sessions, signin, stats
from web.desk.base import DESK, PATH, Desk
from web.settings import WebSettings


def mount_desk(app: web.Application, assistant: Assistant, settings: WebSettings,
               mail_on: Callable[[], bool] = lambda: False, mail_problems: Callable[[], list] = lambda: []) -> None:
    """Add the /staff pages to the web app; `mail_problems` lists set-aside e-mails (address, reason, attempts)."""
    app[DESK] = Desk(assistant, settings, mail_on, mail_problems)
    r = app.router
    r.add_get(PATH, bookings.todo)
    r.add_get(PATH + "/login", signin.login_page)
    r.add_post(PATH + "/login", signin.login)
    r.add_post(PATH + "/logout", signin.logout)
    r.add_get(PATH + "/setup", signin.setup_page)
    r.add_post(PATH + "/setup", signin.setup)
    r.add_get(PATH + "/booking/{ref}", bookings.booking_page)
    r.add_post(PATH + "/booking/{ref}/{action}", bookings.booking_action)
    r.add_post(PATH + "/called-back/{ref}", bookings.called_back)
    r.add_get(PATH + "/sessions", sessions.sessions_page)
    r.add_post(PATH + "/sessions", sessions.session_create)
    r.add_get(PATH + "/sessions/{id:\\d+}", sessions.session_page)
    r.add_get(PATH + "/sessions/{id:\\d+}/attendees.csv", sessions.session_csv)
    r.add_get(PATH + "/sessions/{id:\\d+}/qr.svg", sessions.session_qr)
    r.add_get(PATH + "/sessions/{id:\\d+}/attendance", attendance.attendance_page)
    r.add_post(PATH + "/sessions/{id:\\d+}/attend", attendance.attend)
    r.add_get(PATH + "/sessions/{id:\\d+}/sheet", attendance.sheet_page)
    r.add_get(PATH + "/checkin/{ref}", attendance.checkin_page)
    r.add_post(PATH + "/sessions/{id:\\d+}/{action}", sessions.session_action)
    r.add_get(PATH + "/stats", stats.stats_page)
    r.add_get(PATH + "/stats/{key}.csv", stats.stats_csv)
    improve.routes(r)
