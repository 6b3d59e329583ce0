"""What stands between the internet and the Assistant: headers and access log, sessions, limits, CSRF."""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from chat.texts import Texts, messages_in
from runtime.arrival import ARRIVED
from runtime.logs import escape_controls
from runtime.ratelimit import SlidingWindow, Verdict
from web.sessions import CSRF_COOKIE, SESSION_COOKIE, USER, SessionStore, WebSession
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
COOKIE_MAX_AGE = 365 * 24 * 3600    # the browser may keep the cookies; the server decides when a session has ended
SESSION = web.RequestKey("session", WebSession)   # the request's server-side session
SESSION_ID = web.RequestKey("session_id", str)    # its id, as the browser sent it (or as just issued)
ROTATE = web.RequestKey("rotate", bool)           # set by a handler: give this session a new id and CSRF token
SEND = web.RequestKey("send", WebSession)         # a session whose new cookies go out with the response


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


def observe(wording: Wording, settings: WebSettings) -> Callable:
    """Outermost middleware: security headers on every response, errors in Chinese, a new session's cookies (also
    on a refusal), and a data-free access log."""
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.monotonic()
        request[ARRIVED] = asyncio.get_running_loop().time()  # WeChat's 5 seconds count from here
        try:
            response = await handler(request)
        except ApiError as error:
            response = error_response(wording, error.status, error.key, **error.values)
        except web.HTTPException as exc:  # the router's 404/405, the body limit's 413
            response = error_response(wording, exc.status, STATUS_KEYS.get(exc.status, "bad_request"))
        except Exception:
            logger.exception("failed: %s %s", request.method, escape_controls(request.path))
            response = error_response(wording, 500, "error")
        if (sent := request.get(SEND)) is not None:
            set_cookies(response, sent, settings)
        response.headers.update(SECURITY_HEADERS)
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"  # answers may hold a name or a phone number
        # method, path (never the query string), status and duration: nothing a user typed
        logger.info("%s %s %s %.0fms", request.method, escape_controls(request.path), response.status,
                    (time.monotonic() - started) * 1000)
        return response
    return middleware


def set_cookies(response: web.StreamResponse, session: WebSession, settings: WebSettings) -> None:
    """Send a just issued (or replaced) session id and CSRF token."""
    for name, value, httponly in ((SESSION_COOKIE, session.new_id, True), (CSRF_COOKIE, session.new_csrf, False)):
        response.set_cookie(name, value, max_age=COOKIE_MAX_AGE, path="/", samesite="Lax", httponly=httponly,
                            secure=settings.cookie_secure)


def in_scope(request: web.Request) -> bool:
    """The page and its API (not static files, not the WeChat endpoint)."""
    return request.path == "/" or request.path.startswith("/api/")


def addresses(settings: WebSettings) -> Callable:
    """Before any session is looked up or made: a rate limit per client address on the page and its API, and a
    warning (once) when a proxy seems to be in front while WEB_TRUST_PROXY is off."""
    per_ip = SlidingWindow(settings.ip_rate_limit_per_minute)
    warned: list[bool] = []

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not settings.trust_proxy and not warned and behind_a_proxy(request):
            warned.append(True)
            logger.warning("requests from %s carry X-Forwarded-For but WEB_TRUST_PROXY=0: every visitor shares "
                           "that address and its limits (sign-ups, API, staff sign-in); set WEB_TRUST_PROXY=1 if "
                           "this is your own reverse proxy", escape_controls(request.remote or "-"))
        if in_scope(request) and per_ip.check(client_address(request, settings.trust_proxy)) is not Verdict.OK:
            raise ApiError(429, "too_fast")
        return await handler(request)
    return middleware


def sessions(store: SessionStore) -> Callable:
    """Give every page and API request the session the server issued for this browser. A cookie the server did not
    issue (made up, or idle too long) gets a fresh session, whose cookies go out with the response. A handler that
    sets request[ROTATE] (on consent) gets the session a new id and CSRF token, keeping its user."""
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not in_scope(request):
            return await handler(request)
        session_id = request.cookies.get(SESSION_COOKIE, "")
        session = store.find(session_id)
        if session is None:
            session = request[SEND] = store.issue()
            session_id = session.new_id
        request[SESSION], request[SESSION_ID], request[USER] = session, session_id, session.user
        response = await handler(request)
        if request.get(ROTATE):
            request[SEND] = store.rotate(session_id, session)
        return response
    return middleware


def guard(settings: WebSettings) -> Callable:
    """API requests that change something: a body limit, CSRF checks, and a rate limit per session."""
    per_session = SlidingWindow(settings.rate_limit_per_minute)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/api/") or request.method in SAFE_METHODS:
            return await handler(request)
        if (request.content_length or 0) > MAX_BODY:
            raise ApiError(413, "too_large")
        if not same_origin(request) or not csrf_matches(request):
            raise ApiError(403, "forbidden")
        if per_session.check(request[USER]) is not Verdict.OK:
            raise ApiError(429, "too_fast")
        return await handler(request)
    return middleware


def client_address(request: web.Request, trust_proxy: bool) -> str:
    """The peer's address; behind our own reverse proxy (WEB_TRUST_PROXY=1) the address the proxy saw, which is
    the last X-Forwarded-For entry (the proxy appends it; everything before it came from the client and may be
    forged). Only then may the app not be reachable directly: anyone who could reach it could claim any address."""
    if trust_proxy:
        hops = [hop.strip() for value in request.headers.getall("X-Forwarded-For", ()) for hop in value.split(",")]
        if hops:
            try:
                return str(ipaddress.ip_address(hops[-1]))
            except ValueError:
                pass
    return request.remote or "-"


def behind_a_proxy(request: web.Request) -> bool:
    """True when a loopback or private peer forwards a request for someone else (X-Forwarded-For)."""
    if "X-Forwarded-For" not in request.headers:
        return False
    try:
        peer = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False
    return peer.is_loopback or peer.is_private


def same_origin(request: web.Request) -> bool:
    """False when the browser says the request came from another site (Origin or Sec-Fetch-Site)."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.host.lower()


def csrf_matches(request: web.Request) -> bool:
    """The X-CSRF-Token header must be the token the server issued with this session (the page reads it from its
    cookie, which other sites cannot read); a made-up cookie pair matches nothing."""
    return request[SESSION].csrf_matches(request.headers.get("X-CSRF-Token", ""))
