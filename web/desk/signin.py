"""Signing in and out, and the one-time link that sets a password. Sign-in is limited per name and address, and
after repeated wrong passwords each try waits longer (booking.accounts)."""
from __future__ import annotations

import asyncio

from aiohttp import web

from chat.desk import BookingError
from web.desk.base import COOKIE, DESK, PATH, redirect, refused, same_origin, set_cookie, staff_only
from web.desk.templates import render
from web.guards import client_address


async def login_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    return render(request, "login.html", status=status, error=error)


async def login(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    if not same_origin(request):
        return refused(request, "desk_forbidden", 403)
    data = await request.post()
    name, address = str(data.get("name", "")).strip()[:30], client_address(request, desk.settings.trust_proxy)
    if not desk.sign_ins.allows(f"{address} {name}", address):
        return await login_page(request, desk.t("desk_too_many"), 429)
    try:  # scrypt takes ~0.1 s: on a worker thread, so a sign-in never stalls the other requests
        account = await asyncio.to_thread(desk.accounts.sign_in, name, str(data.get("password", "")), desk.now(),
                                          "ip:" + address)
    except BookingError as error:
        return await login_page(request, str(error), 401)
    return _signed_in(request, account)


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
        return render(request, "refused.html", status=404, title=desk.t("desk_setup_title"), message=str(problem))
    return render(request, "setup.html", status=status, account=account, key=key, error=error)


async def setup(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    if not same_origin(request):
        return refused(request, "desk_forbidden", 403)
    data = await request.post()
    key, password = str(data.get("key", "")), str(data.get("password", ""))
    if password != data.get("again"):
        return _setup_form(request, key, desk.t("desk_passwords_differ"), 400)
    try:
        account = desk.accounts.set_password(key, password, desk.now())
    except BookingError as error:
        return _setup_form(request, key, str(error), 400)
    return _signed_in(request, account, desk.t("desk_password_saved"))


def _signed_in(request: web.Request, account, notice: str = "") -> web.StreamResponse:
    """Open a new session for the account (never keep a token from before) and go to 待办."""
    desk = request.app[DESK]
    desk.accounts.end_session(request.cookies.get(COOKIE), desk.now())
    token, _ = desk.accounts.open_session(account, desk.now())
    if notice:
        desk.notices[account.id] = (notice, False)
    response = redirect(PATH)
    set_cookie(response, desk, token)
    return response
