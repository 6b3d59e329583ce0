"""Desk pages rendered from the Jinja2 templates beside this file, autoescaped: escaping is the default, not a duty.

A handler gathers data and calls render(request, "page.html", **context); every template also sees `t` (the
desk's wording from messages.yaml), `path` (/staff), and for signed-in staff the nav, the CSRF token and the
one-shot notice.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from chat.desk import display_phone, masked_phone
from web.desk.base import CSRF, DESK, PATH, STAFF

ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
ENV.filters.update(phone=display_phone, masked=masked_phone)  # +8613912345678 -> 139 1234 5678 / 139 **** 5678


def render(request: web.Request, template: str, /, *, status: int = 200, **context) -> web.Response:
    """The page `template` as an HTML response (never cached: it shows personal data)."""
    desk = request.app[DESK]
    staff = request.get(STAFF)
    shared = {"t": desk.t, "path": PATH, "staff": staff, "csrf": request.get(CSRF, ""),
              "notice": desk.notices.pop(staff.id, None) if staff else None,
              "mail_off": staff is not None and not desk.mail_on(), "here": ""}
    html = ENV.get_template(template).render({**shared, **context})
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store"})
