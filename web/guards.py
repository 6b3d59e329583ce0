"""What stands between the internet and the Assistant: headers and access log, sessions, limits, CSRF."""
from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from chat.texts import Texts, messages_in
from runtime.logs import escape_controls
from runtime.ratelimit import SlidingWindow, Verdict
from web.sessions import (COOKIE_MAX_AGE, CSRF_COOKIE, SESSION_COOKIE, SESSION_KEY, USER, new_token, user_key,
                          well_formed)
from web.settings import WebSettings

logger = logging.getLogger(__name__)

MAX_BODY = 8 * 1024  # bytes in one request body; a question or a form answer is far shorter
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Wording:
    """The web page's own messages (web/messages.yaml), falling back to the bot's (content/messages.yaml)."""

    def __init__(self, shared: Texts, folder: Path = Path(__file__).parent):
        self.own, self.shared = messages_in(folder), shared

    def __call__(self, key: str, **values) -> str:
        if key in self.own:
            return self.own[key].format(**values).strip()
        return self.shared(key, **values)


class ApiError(Exception):
    """A refused request: the HTTP status and the key of the Chinese message shown to the user."""

    def __init__(self, status: int, key: str, **values):
        super().__init__(key)
        self.status, self.key, self.values = status, key, values


STATUS_KEYS = {404: "not_found", 413: "too_large", 429: "too_fast"}  # aiohttp's own refusals, in Chinese


def error_response(wording: Wording, status: int, key: str, **values) -> web.Response:
    """A JSON error with a Chinese message; also for pages, since the browser only ever fetches JSON from us."""
    response = web.json_response({"error": wording(key, **values)}, status=status)
    if status == 429:
        response.headers["Retry-After"] = "10"
    return response


def observe(wording: Wording) -> Callable:
    """Outermost middleware: security headers on every response, errors in Chinese, and a data-free access log."""
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.monotonic()
        try:
            response = await handler(request)
        except ApiError as error:
            response = error_response(wording, error.status, error.key, **error.values)
        except web.HTTPException as exc:  # the router's 404/405, the body limit's 413
            response = error_response(wording, exc.status, STATUS_KEYS.get(exc.status, "bad_request"))
        except Exception:
            logger.exception("failed: %s %s", request.method, escape_controls(request.path))
            response = error_response(wording, 500, "error")
        response.headers.update(SECURITY_HEADERS)
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"  # answers may hold a name or a phone number
        # method, path (never the query string), status and duration: nothing a user typed
        logger.info("%s %s %s %.0fms", request.method, escape_controls(request.path), response.status,
                    (time.monotonic() - started) * 1000)
        return response
    return middleware


def sessions(settings: WebSettings) -> Callable:
    """Give every page and API request a user key; a new browser gets new session and CSRF cookies."""
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != "/" and not request.path.startswith("/api/"):
            return await handler(request)
        session, csrf = request.cookies.get(SESSION_COOKIE), request.cookies.get(CSRF_COOKIE)
        issue = {}
        if not well_formed(session):
            session = issue[SESSION_COOKIE] = new_token()
        if not well_formed(csrf):
            issue[CSRF_COOKIE] = new_token()
        request[USER] = user_key(session, request.app[SESSION_KEY])
        response = await handler(request)
        for name, value in issue.items():
            response.set_cookie(name, value, max_age=COOKIE_MAX_AGE, path="/", samesite="Lax",
                                httponly=name == SESSION_COOKIE, secure=settings.cookie_secure)
        return response
    return middleware


def guard(settings: WebSettings) -> Callable:
    """API requests: a rate limit per address and per session, a body limit, and CSRF checks on changes."""
    per_ip = SlidingWindow(settings.ip_rate_limit_per_minute)
    per_session = SlidingWindow(settings.rate_limit_per_minute)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)
        if per_ip.check(client_address(request, settings.trust_proxy)) is not Verdict.OK:
            raise ApiError(429, "too_fast")
        if request.method not in SAFE_METHODS:
            if (request.content_length or 0) > MAX_BODY:
                raise ApiError(413, "too_large")
            if not same_origin(request) or not csrf_matches(request):
                raise ApiError(403, "forbidden")
            if per_session.check(request[USER]) is not Verdict.OK:
                raise ApiError(429, "too_fast")
        return await handler(request)
    return middleware


def client_address(request: web.Request, trust_proxy: bool) -> str:
    """The peer's address, or behind our own reverse proxy the address it saw (last X-Forwarded-For entry)."""
    if trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.remote or "-"


def same_origin(request: web.Request) -> bool:
    """False when the browser says the request came from another site (Origin or Sec-Fetch-Site)."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.host.lower()


def csrf_matches(request: web.Request) -> bool:
    """Double submit: the X-CSRF-Token header must equal the CSRF cookie, which other sites cannot read."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get("X-CSRF-Token", "")
    return well_formed(cookie) and hmac.compare_digest(header.encode(), cookie.encode())
