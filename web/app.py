"""The web channel: the same Assistant behind a small JSON API and one mobile page (works in WeChat's browser).

    settings = WebSettings.from_env()             # SettingsError (Chinese) on a bad setting
    app = build_web_app(assistant, settings)      # tests drive this with aiohttp's TestClient
    run_web(assistant, settings)                  # serve until Ctrl+C; closes the assistant at the end

API (all JSON; POSTs need the X-CSRF-Token header echoing the pf_csrf cookie, which the server issued):
    POST /api/start   {start?}   the welcome message and menu; start=book, lec_<id> or consent_<code> opens that flow
    POST /api/message {text}     a question, a form answer or a /command
    POST /api/button  {data}     a pressed button's callback data
    POST /api/inbox   {}         messages queued for this session (e.g. a waitlist seat); taking them marks them read
    GET  /api/attachment/<id>    a file from a reply (.ics), for a few minutes, to its own session only
Each answer is {"replies": [...], "inbox": [...]}, a reply being {text, buttons, edit, error, attachment}.
Nothing a GET does changes state, so a link from another site cannot act for a visitor.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, urlsplit

from aiohttp import web

from chat.assistant import Assistant
from chat.outbox import Outcome
from chat.types import CALLBACK_LIMIT, Event, Reply
from runtime.turns import Turns
from web.desk import mount_desk
from web.guards import MAX_BODY, ROTATE, SESSION, ApiError, Wording, addresses, client_address, guard, observe, sessions
from web.sessions import CHANNEL, USER, AttachmentStore, SessionStore
from web.serving import serve
from web.settings import SettingsError, WebSettings

__all__ = ["SettingsError", "WebSettings", "build_web_app", "run_web", "queue_reminders"]

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
CHORES_EVERY = 300       # seconds between looks for due reminders
PURGE_EVERY = 24 * 3600  # seconds between purges of personal details past the retention period
ASSISTANT = web.AppKey("assistant", Assistant)
FILES = web.AppKey("files", AttachmentStore)
SESSIONS = web.AppKey("sessions", SessionStore)
SETTINGS = web.AppKey("settings", WebSettings)
TURNS = web.AppKey("turns", Turns)
START_PAYLOAD = re.compile(r"[A-Za-z0-9_]{1,32}")  # deep links into a flow, as Telegram's /start payloads
ROTATE_ON = ("privacy:agree:", "gdn:yes")  # consent buttons: the session gets a new id once they are handled


def build_web_app(assistant: Assistant, settings: WebSettings, mail_on: Callable[[], bool] = lambda: False,
                  mail_problems: Callable[[], list] = lambda: []) -> web.Application:
    """The aiohttp Application: page, static files, API and the office's desk (/staff); nothing listens until it
    runs. `mail_on` says whether e-mail is configured (the desk says so when it is not)."""
    wording = Wording(assistant.texts)
    if settings.public_url.startswith("https://") and not settings.cookie_secure:
        logger.warning("WEB_PUBLIC_URL is https but WEB_COOKIE_SECURE=0: session cookies lack the Secure flag and "
                       "may be sent over plain http; set WEB_COOKIE_SECURE=1")
    store = SessionStore(assistant.state.db.path.parent / "web.sqlite", settings.session_idle_days)
    app = web.Application(middlewares=[observe(wording, settings), addresses(settings), sessions(store),
                                       guard(settings)], client_max_size=MAX_BODY)
    app[ASSISTANT], app[FILES], app[SESSIONS], app[SETTINGS] = assistant, AttachmentStore(), store, settings
    app[TURNS] = Turns()
    app.on_cleanup.append(_close_sessions)
    if urlsplit(settings.public_url).hostname not in (None, "127.0.0.1", "localhost", "0.0.0.0", "::1"):
        # a guardian's consent link a child can pass on (chat/consent.py); a local address would help nobody
        assistant.offer_link("网页", settings.public_url + "/?start={payload}")
        assistant.ctx.checkin_url = settings.public_url + "/staff/checkin/{ref}"  # the QR on a confirmation
    app.router.add_get("/", page)
    app.router.add_post("/api/start", start)
    app.router.add_post("/api/message", message)
    app.router.add_post("/api/button", button)
    app.router.add_post("/api/inbox", inbox)
    app.router.add_get("/api/attachment/{key}", attachment)
    app.router.add_static("/static/", STATIC)
    mount_desk(app, assistant, settings, mail_on, mail_problems)
    return app


def run_web(assistant: Assistant, settings: WebSettings,
            mount: Callable[[web.Application], None] | None = None,
            background: tuple[Callable[[], Awaitable[None]], ...] = (), mail_on: Callable[[], bool] = lambda: False,
            mail_problems: Callable[[], list] = lambda: []) -> None:
    """Serve the page on WEB_HOST:WEB_PORT until stopped, with reminders and the daily purge running;
    `mount` adds another channel's routes to the same server (the WeChat account's /wechat), `background`
    runs other channels' loops while it serves (the e-mail sender), whose state the desk shows."""
    app = build_web_app(assistant, settings, mail_on, mail_problems)
    if mount is not None:
        mount(app)
    app.cleanup_ctx.append(_chores)
    for loop in background:
        app.cleanup_ctx.append(_background(loop))
    try:
        serve(app, settings.host, settings.port)
    finally:
        assistant.close()


# ---- handlers: request -> Event -> assistant -> JSON ------------------------------------------------
async def page(request: web.Request) -> web.StreamResponse:
    """The chat page (its cookies are set by the sessions middleware)."""
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def _close_sessions(app: web.Application) -> None:
    app[SESSIONS].close()


async def start(request: web.Request) -> web.Response:
    """The welcome message and main menu, or with {"start": "book"} (the page's /?start=book) a flow opened
    directly: book, lec_12, consent_<code>."""
    payload = (await read_json(request)).get("start") or ""
    args = (payload,) if isinstance(payload, str) and START_PAYLOAD.fullmatch(payload) else ()
    return await respond(request, Event(user=request[USER], command="start", args=args, **account(request)))


async def message(request: web.Request) -> web.Response:
    """Typed text: a question, a form answer, or a /command."""
    text = (await read_json(request)).get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "bad_request")
    return await respond(request, replace(Event.parse_text(request[USER], text), **account(request)))


async def button(request: web.Request) -> web.Response:
    """A pressed button, by its callback data."""
    data = (await read_json(request)).get("data")
    if not isinstance(data, str) or not data or len(data.encode()) > CALLBACK_LIMIT:
        raise ApiError(400, "bad_request")
    response = await respond(request, Event(user=request[USER], button=data, **account(request)))
    if data.startswith(ROTATE_ON):
        request[ROTATE] = True
    return response


async def inbox(request: web.Request) -> web.Response:
    """Messages that waited for this session (a POST: taking them marks them delivered)."""
    await read_json(request)
    return await respond(request, None)


async def attachment(request: web.Request) -> web.Response:
    """A file from an earlier reply, to the session it was made for."""
    item = request.app[FILES].get(request[USER], request.match_info["key"])
    if item is None:
        raise ApiError(404, "attachment_gone", minutes=request.app[FILES].minutes)
    disposition = f"attachment; filename*=UTF-8''{quote(item.filename)}"
    mime = item.mime + ("; charset=utf-8" if item.mime.startswith("text/") else "")
    return web.Response(body=item.content, headers={"Content-Type": mime, "Content-Disposition": disposition})


# ---- helpers -------------------------------------------------------------------------------------
def account(request: web.Request) -> dict:
    """What the page can tell about who sends an event: the client address (a burst of sign-ups from one place
    across sessions; a guardian's answer from the child's own network) and how old the browser session is (a
    private tab opened after a child's hold cannot answer for the guardian)."""
    return {"origin": "ip:" + client_address(request, request.app[SETTINGS].trust_proxy),
            "account_age": request.app[SESSIONS].age(request[SESSION])}


async def read_json(request: web.Request) -> dict:
    """The request body as a JSON object, or a 400/413 in Chinese."""
    if request.content_type != "application/json":
        raise ApiError(400, "bad_request")
    try:
        body = await request.json()
        json.dumps(body, ensure_ascii=False).encode()  # lone surrogates ("\ud800") cannot be text anywhere
    except (ValueError, RecursionError):  # not JSON, not UTF-8, a lone surrogate, nested too deeply
        raise ApiError(400, "bad_request") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request")
    return body


async def respond(request: web.Request, event: Event | None) -> web.Response:
    """Let the assistant handle one event; answer with its replies and whatever waited for this session.

    The Assistant runs on a worker thread (a slow request never stalls the other users), one request per session
    at a time and in arrival order (a form answer never overtakes the one before it)."""
    assistant, user = request.app[ASSISTANT], request[USER]
    async with request.app[TURNS].turn(user):
        replies, waiting = await asyncio.to_thread(_handle, assistant, event, user)
    return web.json_response({"replies": [to_json(request, r) for r in replies],
                              "inbox": [to_json(request, r) for r in waiting]})


def _handle(assistant: Assistant, event: Event | None, user: str) -> tuple[list[Reply], list[Reply]]:
    """(on the worker thread) The replies to the event (if any) and the session's queued messages."""
    replies = assistant.handle(event) if event is not None else []
    return replies, take_inbox(assistant, user)


def take_inbox(assistant: Assistant, user: str) -> list[Reply]:
    """This session's queued messages; each is deleted from the outbox once it is taken for the response."""
    waiting = []
    for message in assistant.outbox.claim(CHANNEL, limit=20, user=user):
        waiting.append(message.reply)
        assistant.outbox.report(message, Outcome.sent())
    return waiting


def to_json(request: web.Request, reply: Reply) -> dict:
    """A reply for the page; an attachment becomes a short-lived link."""
    data = {"text": reply.text, "edit": reply.edit, "error": reply.error, "attachment": None, "calls": reply.calls,
            "buttons": [[{"label": b.label, "data": b.data} for b in row] for row in reply.buttons]}
    if reply.attachment:
        key = request.app[FILES].put(request[USER], reply.attachment)
        data["attachment"] = {"filename": reply.attachment.filename, "url": f"/api/attachment/{key}"}
    return data


# ---- scheduled chores (run_web only) ----------------------------------------------------------------
def queue_reminders(assistant: Assistant) -> int:
    """Put due reminders for web users in their inbox; the Telegram channel sends its own users'."""
    return assistant.queue_reminders(CHANNEL)


async def _chores(app: web.Application) -> AsyncIterator[None]:
    """Reminders every few minutes and the retention purge once a day, while the server runs."""
    task = asyncio.create_task(_repeat(app[ASSISTANT], app[SESSIONS]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _background(loop: Callable[[], Awaitable[None]]):
    """A cleanup context running one loop while the server runs."""
    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return context


async def _repeat(assistant: Assistant, sessions: SessionStore) -> None:
    """Run the chores until cancelled; one failure is logged and tried again next time."""
    loop, purged_at = asyncio.get_running_loop(), None
    while True:
        try:
            await asyncio.to_thread(queue_reminders, assistant)
            sessions.sweep()
            if purged_at is None or loop.time() - purged_at >= PURGE_EVERY:
                logger.info("retention sweep: %s", await asyncio.to_thread(assistant.purge))
                purged_at = loop.time()
        except Exception:
            logger.exception("scheduled chore failed; will try again")
        await asyncio.sleep(CHORES_EVERY)
