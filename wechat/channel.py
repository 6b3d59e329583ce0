"""The WeChat Official Account channel: pushes to /wechat become Events, Replies become WeChat text messages.

    channel = WeChatChannel(assistant, WeChatSettings.from_env())
    channel.mount(app)        # on the web page's aiohttp app: /wechat, /wechat/file/…, and the delivery task

Every push is checked (signature, timestamp, in 安全模式 msg_signature and decryption) and answered within WeChat's
5 seconds: the Assistant runs on a worker thread; if it is done within BUDGET the first part of its answer is the
passive reply, otherwise the reply is `success` and everything follows as customer-service messages. Parts after
the first wait in the Assistant's persistent outbox, which a background task delivers through the API (with the
messages other people's actions leave for WeChat users: waitlist seats, booking decisions, reminders).
WeChat's retries of a push (same MsgId, or sender + CreateTime for events) get the first attempt's answer.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from chat.assistant import Assistant
from chat.outbox import Message, Outcome, deliver_due
from chat.types import Attachment, Event, Reply
from chat.texts import messages_in
from runtime.arrival import ARRIVED
from runtime.ratelimit import SlidingWindow, Verdict
from runtime.turns import Turns
from wechat.api import WeChatApi, WeChatApiError
from wechat.menu import command_of
from wechat.protocol import SUCCESS, Codec, Refused, check_request
from wechat.render import PART_BYTES, Choices, Renderer, has_buttons
from wechat.settings import WeChatSettings

logger = logging.getLogger(__name__)

CHANNEL = "wx:"             # user keys: "wx:<OpenID>"
BUDGET = 4.0                # seconds from a push's arrival to its passive reply; WeChat gives up after 5
WORKERS = 4                 # threads answering WeChat users (each user's turns still one at a time)
SEEN_FOR = 600              # seconds a push is remembered against WeChat's retries (they come within ~15 s)
MAX_PUSH = 64 * 1024        # bytes in one push; a text message is far smaller
OUTBOX_EVERY = 15           # seconds between looks at the outbox when nothing wakes the sender earlier
REMINDERS_EVERY = 300       # seconds between looks for due reminders of WeChat users
REST_DELAY = 0.5            # seconds before the rest of an answer follows, so the passive part arrives first
FILE_MINUTES = 30           # calendar files stay downloadable this long
CHOICES = "wechat_choices"  # chat-state setting: what the user's numbered choices and links mean
WINDOW_CLOSED = (45015, 45047)       # outside the 48-hour window / quota used: wait for the user's next message
UNREACHABLE = (40003, 43004, 43019)  # not a user of this account / unsubscribed / blocked us: give up
MESSAGE_REFUSED = (44002, 44003, 45002, 45008, 47001)  # this message itself is refused (empty, too long, bad form)
FORM_LINKS: dict[str, Callable[[dict], str]] = {  # forms that also exist on the web page, and where
    "lec": lambda data: f"/?start=lec_{data.get('session_id', '')}",
    "sch": lambda data: "/?start=book",
}


class Wording:
    """The channel's own messages (wechat/messages.yaml), falling back to the bot's (content/messages.yaml)."""

    def __init__(self, assistant: Assistant, folder: Path = Path(__file__).parent):
        self.own, self.shared = messages_in(folder), assistant.texts

    def __call__(self, key: str, **values) -> str:
        if key in self.own:
            return self.own[key].format(**values).strip()
        return self.shared(key, **values)


@dataclass
class _Kept:
    attachment: Attachment
    expires: float


class FileStore:
    """Files from replies (.ics) in memory for a while under an unguessable key: the link is the permission,
    since WeChat's browser carries no session of ours."""

    def __init__(self, minutes: int = FILE_MINUTES, total: int = 2000, clock: Callable[[], float] = time.monotonic):
        self.minutes, self.total, self.clock = minutes, total, clock
        self._items: OrderedDict[str, _Kept] = OrderedDict()

    def put(self, attachment: Attachment) -> str:
        now = self.clock()
        for key in [k for k, kept in self._items.items() if kept.expires <= now]:
            del self._items[key]
        while len(self._items) >= self.total:
            self._items.popitem(last=False)
        key = secrets.token_urlsafe(18)
        self._items[key] = _Kept(attachment, now + self.minutes * 60)
        return key

    def get(self, key: str) -> Attachment | None:
        kept = self._items.get(key)
        return kept.attachment if kept is not None and kept.expires > self.clock() else None


class Seen:
    """Pushes already received, with the future of their answer, so a retry gets the same answer."""

    def __init__(self, seconds: float = SEEN_FOR, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = seconds, clock
        self._items: OrderedDict[str, tuple[float, asyncio.Future]] = OrderedDict()

    def get(self, key: str) -> asyncio.Future | None:
        item = self._items.get(key)
        return item[1] if item is not None and item[0] > self.clock() else None

    def put(self, key: str, future: asyncio.Future) -> None:
        now = self.clock()
        while self._items and next(iter(self._items.values()))[0] <= now:
            self._items.popitem(last=False)
        self._items[key] = (now + self.seconds, future)


def push_key(message) -> str:
    """What identifies one push across WeChat's retries: MsgId for messages, sender + CreateTime for events."""
    if message.id:
        return f"{message.source}:{message.id}"
    return f"{message.source}:{message.time}:{getattr(message, 'event', '')}:{getattr(message, 'key', '')}"


class WeChatChannel:
    """One Official Account over one Assistant."""

    def __init__(self, assistant: Assistant, settings: WeChatSettings, *, budget: float = BUDGET,
                 part_bytes: int = PART_BYTES, api: WeChatApi | None = None):
        self.assistant, self.settings, self.budget = assistant, settings, budget
        self.codec = Codec(settings.token, settings.app_id, settings.aes_key, settings.previous_aes_key)
        self.api = api or WeChatApi(settings.api_base_url, settings.app_id, settings.app_secret)
        self.wording = Wording(assistant)
        self.files = FileStore()
        self.renderer = Renderer(settings.menu_links, part_bytes, self._file_line)
        self.seen = Seen()
        self.limiter = SlidingWindow(settings.rate_limit_per_minute)
        # the web page is on this server: a guardian's consent link a child can pass on (chat/consent.py)
        assistant.offer_link("网页", settings.public_url + "/?start={payload}")
        self._executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="wechat")
        self.turns = Turns()  # one user's turns and renderings in order; different users' side by side
        self._wake: asyncio.Event | None = None

    # ---- wiring -----------------------------------------------------------------------------------------
    def mount(self, app: web.Application) -> None:
        """Add the message endpoint, the file links and the delivery task to the web page's application."""
        app.router.add_get("/wechat", self.endpoint)
        app.router.add_post("/wechat", self.endpoint)
        app.router.add_get("/wechat/file/{name}", self.file)
        app.cleanup_ctx.append(self._running)

    async def _running(self, app: web.Application) -> AsyncIterator[None]:
        self._wake = asyncio.Event()
        task = asyncio.create_task(self._deliver_forever())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self.api.close()
        self._executor.shutdown(wait=False)

    async def _run(self, function: Callable, *args) -> Any:
        """Run Assistant and database work on the channel's own worker threads."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def _in_turn(self, user: str, function: Callable, *args) -> Any:
        """Run work that reads and writes one user's state (a turn, the numbers of a rendering) in that user's
        turn: in arrival order, never two at once for the same user."""
        async with self.turns.turn(user):
            return await self._run(function, *args)

    # ---- the endpoint -------------------------------------------------------------------------------------
    async def endpoint(self, request: web.Request) -> web.Response:
        """GET: the server-address check; POST: a message or event. Always within WeChat's 5 seconds."""
        deadline = request.get(ARRIVED, asyncio.get_running_loop().time()) + self.budget  # from arrival
        query = request.query
        try:
            check_request(self.settings.token, query)
            if request.method == "GET":
                if "echostr" not in query:
                    raise Refused(400, "handshake without echostr")
                return web.Response(text=query["echostr"])
            xml, crypto = self.codec.open(await _read(request), query)
            message = self.codec.parse(xml)
        except Refused as refused:
            logger.warning("refused a push to /wechat: %s", refused.reason)
            return web.Response(status=refused.status, text="forbidden" if refused.status == 403 else "bad request")
        reply = await self._once(message, deadline)
        return web.Response(text=self.codec.seal(reply, crypto, query),
                            content_type="text/plain" if reply == SUCCESS else "application/xml")

    async def _once(self, message, deadline: float) -> str:
        """The answer to a push; a retry of it gets the same answer (or `success` while it is still coming)."""
        loop = asyncio.get_running_loop()
        key = push_key(message)
        earlier = self.seen.get(key)
        if earlier is not None:
            try:
                return await asyncio.wait_for(asyncio.shield(earlier), max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                return SUCCESS
        answer: asyncio.Future = loop.create_future()
        self.seen.put(key, answer)
        result = SUCCESS
        try:
            result = await self._answer(message, deadline)
        except Exception:
            logger.exception("WeChat push failed")
            result = self.codec.text_reply(message, self.wording("error"))
        finally:  # a retry never waits for an attempt that was cancelled
            answer.set_result(result)
        return result

    async def _answer(self, message, deadline: float) -> str:
        """Plain reply XML for one push, or `success`."""
        loop = asyncio.get_running_loop()
        user = CHANNEL + message.source
        kind, payload = self._classify(message)
        if kind == "none":
            return SUCCESS
        if kind in ("text", "event", "say"):  # one user cannot flood the bot (or make it flood WeChat)
            verdict = self.limiter.check(user)
            if verdict is Verdict.DROP:
                return SUCCESS
            if verdict is Verdict.WARN:
                return self.codec.text_reply(message, self.wording("too_fast"))
        if kind == "forget":  # unsubscribed: drop the user's chat state; sign-ups and bookings stay for staff
            await self._run(self.assistant.state.forget, user)
            return SUCCESS
        if await self._run(self.assistant.outbox.wake, user):  # writing to us opens the 48-hour window again
            self._wake_soon(0)
        job = asyncio.ensure_future(self._in_turn(user, self._turn, user, kind, payload))
        try:
            parts = await asyncio.wait_for(asyncio.shield(job), max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            logger.info("answer not ready within %.1fs: replying success, the answer follows", self.budget)
            job.add_done_callback(lambda done: self._follow(user, done))
            return SUCCESS
        if not parts:
            return SUCCESS
        self._queue(user, parts[1:])
        return self.codec.text_reply(message, parts[0])

    def _classify(self, message) -> tuple[str, Any]:
        """What a push asks for: ("text", (text, menu id)), ("event", Event), ("say", key), ("forget"|"none", None)."""
        user = CHANNEL + message.source
        if message.type == "text":
            return "text", (message.content or "", str(message._data.get("bizmsgmenuid") or ""))
        if message.type == "voice":
            recognition = (getattr(message, "recognition", None) or "").strip()
            return ("text", (recognition, "")) if recognition else ("say", "voice_unclear")
        if message.type != "event":  # image, location, link, video, shortvideo, file …
            return "say", "non_text"
        event = message.event
        if event in ("subscribe", "subscribe_scan", "scan"):
            scene = str(getattr(message, "scene_id", "") or "")
            return "welcome", Event(user=user, command="start", args=(scene,) if scene else ())
        if event == "unsubscribe":
            return "forget", None
        if event == "click":
            command = command_of(message.key or "")
            return "event", Event.parse_text(user, f"/{command}") if command else Event(user=user, command="start")
        return "none", None  # VIEW, location reports, template results …: nothing to say

    # ---- one turn (on the channel's thread) ------------------------------------------------------------------
    def _turn(self, user: str, kind: str, payload: Any) -> list[str]:
        """Ask the Assistant and render its replies as message parts; remember what the choices mean."""
        state = self.assistant.state
        choices = Choices.loads(state.setting(user, CHOICES))
        if kind == "say":
            replies = [Reply(self.wording(payload))]
        else:
            if kind == "text":
                text, menu_id = payload
                button = choices.button_for(text, menu_id)
                event = Event(user=user, button=button) if button else Event.parse_text(user, text)
            else:
                event = payload
            before = state.get(user)
            replies = self.assistant.handle(event) + self._form_link(user, before)
            if kind == "welcome":
                replies.append(Reply(self.wording("choose_hint")))
        had = bool(choices.numbers or choices.labels)
        choices.start_set()  # numbers and labels mean the buttons of this answer only, as in the terminal
        parts = self.renderer.render(replies, choices)
        if had or any(has_buttons(r) for r in replies):
            state.set_setting(user, CHOICES, choices.dumps())
        return parts

    def _form_link(self, user: str, before: tuple | None) -> list[Reply]:
        """When a form has just begun, offer the same form on the web page."""
        after = self.assistant.state.get(user)
        if not after or after[0] not in FORM_LINKS or after[1] in ("", "review"):
            return []
        if before and before[0] == after[0]:
            return []
        url = self.settings.public_url + FORM_LINKS[after[0]](after[2])
        return [Reply(self.wording("form_web_link", url=url))]

    def _file_line(self, attachment: Attachment) -> str:
        key = self.files.put(attachment)
        url = f"{self.settings.public_url}/wechat/file/{quote(attachment.filename)}?k={key}"
        return self.wording("file_line", filename=attachment.filename, url=url, minutes=self.files.minutes)

    async def file(self, request: web.Request) -> web.Response:
        """A calendar file offered in a message; the key in the query string is the permission."""
        item = self.files.get(request.query.get("k", ""))
        if item is None or quote(item.filename) != quote(request.match_info["name"]):
            return web.Response(status=404, text=self.wording("file_gone", minutes=self.files.minutes),
                                headers={"Cache-Control": "no-store"})
        disposition = f"attachment; filename*=UTF-8''{quote(item.filename)}"
        mime = item.mime + ("; charset=utf-8" if item.mime.startswith("text/") else "")
        return web.Response(body=item.content, headers={"Content-Type": mime, "Content-Disposition": disposition,
                                                        "Cache-Control": "no-store"})

    # ---- customer-service messages -------------------------------------------------------------------------
    def _queue(self, user: str, parts: list[str]) -> None:
        """Put the rest of an answer in the persistent outbox and have it sent shortly."""
        for part in parts:
            self.assistant.ctx.notify(user, Reply(part))
        if parts:
            self._wake_soon(REST_DELAY)

    def _follow(self, user: str, done: asyncio.Future) -> None:
        """A late answer: everything goes as customer-service messages."""
        try:
            parts = done.result()
        except Exception:
            logger.exception("WeChat turn failed")
            parts = [self.wording("error")]
        self._queue(user, parts)

    def _wake_soon(self, delay: float) -> None:
        if self._wake is not None:
            asyncio.get_running_loop().call_later(delay, self._wake.set)

    async def _deliver_forever(self) -> None:
        loop = asyncio.get_running_loop()
        reminded = None
        while True:
            try:
                if reminded is None or loop.time() - reminded >= REMINDERS_EVERY:
                    await self._run(self.queue_reminders)
                    reminded = loop.time()
                await self.deliver()
            except Exception:
                logger.exception("WeChat delivery failed; will try again")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), OUTBOX_EVERY)
            self._wake.clear()

    def queue_reminders(self) -> int:
        """Due reminders for WeChat users go to the outbox (sent if the user's 48-hour window is open)."""
        return self.assistant.queue_reminders(CHANNEL)

    async def deliver(self) -> int:
        """Send what is due in the outbox for WeChat users, each user's messages in order; returns how many."""
        return await deliver_due(self.assistant.outbox, CHANNEL, self._send_queued, blocking=self._run, parallel=4)

    async def _send_queued(self, message: Message) -> Outcome:
        """One outbox message as customer-service messages. A closed 48-hour window waits for the user's next
        message; a user who is gone (unsubscribed, blocked us) is given up on; a message WeChat refuses as such is
        retried a few times; WeChat down, busy (-1) or unreachable never ends a message (only the outbox's age
        limit does), as a mail server that is down never ends an e-mail."""
        parts = await self._in_turn(message.user, self._render_one, message.user, message.reply)
        try:
            for part in parts[message.progress:]:
                await self.api.send_text(message.user[len(CHANNEL):], part)
                message.progress += 1
        except WeChatApiError as error:
            if error.code in UNREACHABLE:
                return Outcome.failed(f"WeChat {error.code}")
            if error.code in WINDOW_CLOSED:
                return Outcome.wait(f"WeChat {error.code}")
            logger.warning("customer-service message not sent: %s", error)
            if error.code in MESSAGE_REFUSED:
                return Outcome.retry(f"WeChat {error.code}")
            return Outcome.transient(f"WeChat {error.code}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            logger.warning("WeChat API unreachable (%s); will try again", type(exc).__name__)
            return Outcome.transient(type(exc).__name__)
        return Outcome.sent()

    def _render_one(self, user: str, reply: Reply) -> list[str]:
        choices = Choices.loads(self.assistant.state.setting(user, CHOICES))
        parts = self.renderer.render([reply], choices)
        if has_buttons(reply):
            self.assistant.state.set_setting(user, CHOICES, choices.dumps())
        return parts


async def _read(request: web.Request) -> bytes:
    """The push body, refused beyond MAX_PUSH (read here: the page's 8 KB limit is for its JSON API)."""
    chunks, total = [], 0
    async for chunk in request.content.iter_chunked(8192):
        total += len(chunk)
        if total > MAX_PUSH:
            raise Refused(413, "push too large")
        chunks.append(chunk)
    return b"".join(chunks)
