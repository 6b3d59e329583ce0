"""A fake Telegram Bot API over real HTTP (aiohttp on 127.0.0.1), for end-to-end tests of the bot.

Point the bot at it with `base_url=server.base_url`. It serves queued updates through getUpdates,
answers the send/edit/menu/webhook methods the bot uses, records every call, and can fail the next
call to a method on purpose (429 flood control, 403 blocked, 400 not modified, 502 bad gateway).

    server = FakeBotAPI(); await server.start()
    server.push(server.text("未保法第75条"))
    [sent] = await server.wait_for("sendMessage")
"""
from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web

TOKEN = "123456789:TEST-fake_token-for-tests"
BOT = {"id": 4242, "is_bot": True, "first_name": "普法助手", "username": "pufa_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
USER = {"id": 1001, "is_bot": False, "first_name": "小明", "language_code": "zh-hans"}
ADMIN = {"id": 2002, "is_bot": False, "first_name": "王老师", "language_code": "zh-hans"}
GROUP = {"id": -1001234567890, "type": "supergroup", "title": "浦东家长群"}

JSON_FIELDS = {"reply_markup", "commands", "scope", "allowed_updates", "entities", "caption_entities",
               "reply_parameters", "link_preview_options"}
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "message_thread_id", "user_id"}
_TAG = re.compile(r"</?(?:b|strong|i|em|u|ins|s|strike|del|code|pre|tg-spoiler|blockquote|a)(?:\s[^<>]*)?>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
LONG_POLL = 0.5  # seconds an empty getUpdates waits; short, so stopping never waits long


@dataclass
class Call:
    """One request the bot made; failed attempts are recorded too (status != 200)."""

    method: str
    params: dict
    status: int = 200
    result: Any = None  # what the fake answered, e.g. the sent message
    at: float = field(default_factory=time.monotonic)  # when the fake answered it

    @property
    def text(self) -> str:
        """The message text as the user sees it (HTML tags removed, entities decoded)."""
        return visible(self.params.get("text", ""), self.params.get("parse_mode"))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every inline button, row by row."""
        rows = (self.params.get("reply_markup") or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass
class Failure:
    status: int
    description: str
    parameters: dict = field(default_factory=dict)
    chat_id: int | None = None  # fail only calls for this chat

    def matches(self, params: dict) -> bool:
        return self.chat_id is None or params.get("chat_id") == self.chat_id


class FakeBotAPI:
    """The Bot API routes the bot uses, plus helpers to build updates and wait for the bot's calls."""

    def __init__(self, token: str = TOKEN, delay: float = 0.0):
        self.token = token
        self.delay = delay  # seconds every method but getUpdates takes to answer, like a distant Bot API
        self.calls: list[Call] = []
        self.updates: deque[dict] = deque()
        self.messages: dict[tuple[int, int], dict] = {}  # (chat_id, message_id) -> message, both directions
        self.commands: dict[str, list[dict]] = {}        # scope as JSON -> commands
        self.webhook: dict = {}
        self.polls = 0
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._callback_ids = itertools.count(1)
        self._arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- server lifecycle -------------------------------------------------------------------
    async def start(self) -> "FakeBotAPI":
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self._arrived.set()  # release a waiting long poll so shutdown is quick
        if self._runner:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # ---- failure injection ------------------------------------------------------------------
    def fail(self, method: str, status: int, description: str, times: int = 1, chat_id: int | None = None,
             **parameters) -> None:
        """Make the next `times` calls to `method` (for `chat_id`, if given) fail with this status and description."""
        for _ in range(times):
            self._failures[method].append(Failure(status, description, parameters, chat_id))

    def flood(self, method: str, retry_after: int = 1) -> None:
        self.fail(method, 429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    def block(self, method: str, chat_id: int | None = None) -> None:
        self.fail(method, 403, "Forbidden: bot was blocked by the user", chat_id=chat_id)

    def not_modified(self, method: str = "editMessageText") -> None:
        self.fail(method, 400, "Bad Request: message is not modified: specified new message content and "
                               "reply markup are exactly the same as a current content and reply markup of the message")

    # ---- what the bot did -------------------------------------------------------------------
    def mark(self) -> int:
        """A position in the call log; pass it as `since` to look only at later calls."""
        return len(self.calls)

    def calls_to(self, method: str, since: int = 0) -> list[Call]:
        """Successful calls to a method after `since`."""
        return [c for c in self.calls[since:] if c.method == method and c.status == 200]

    def attempts(self, method: str, since: int = 0) -> list[Call]:
        """Every call to a method after `since`, failed ones included."""
        return [c for c in self.calls[since:] if c.method == method]

    async def wait_for(self, method: str, count: int = 1, since: int = 0, timeout: float = 5.0) -> list[Call]:
        """Wait until the bot made `count` successful calls to `method` after `since`; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method, since)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [(c.method, c.status) for c in self.calls[since:]]
                raise AssertionError(f"expected {count} × {method} within {timeout}s, got {len(found)}; calls: {seen}")
            await asyncio.sleep(0.01)

    async def drained(self, timeout: float = 5.0) -> None:
        """Wait until the bot has fetched every queued update (it may still be handling the last one)."""
        deadline = time.monotonic() + timeout
        while self.updates and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert not self.updates, f"the bot did not fetch {len(self.updates)} update(s)"

    # ---- updates ----------------------------------------------------------------------------
    def push(self, update: dict) -> dict:
        """Queue an update for getUpdates (it gets the next update_id)."""
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._arrived.set()
        return update

    def message(self, text: str | None = None, *, user: dict = USER, chat: dict | None = None,
                entities: list[dict] | None = None, reply_to: dict | None = None, **extra) -> dict:
        """An incoming message update (private chat with `user` unless `chat` is given)."""
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": user,
                   **extra}
        if text is not None:
            message["text"] = text
        if entities:
            message["entities"] = entities
        if reply_to:
            message["reply_to_message"] = reply_to
        self.messages[(chat["id"], message["message_id"])] = message
        return {"message": message}

    def text(self, text: str, **kwargs) -> dict:
        return self.message(text, **kwargs)

    def command(self, text: str, **kwargs) -> dict:
        """A message starting with /command, with the bot_command entity Telegram adds."""
        head = text.split()[0]
        return self.message(text, entities=[{"type": "bot_command", "offset": 0, "length": len(head)}], **kwargs)

    def group_text(self, text: str, *, mention: bool = False, user: dict = USER, **kwargs) -> dict:
        """A group message; `mention=True` prefixes @botname with a mention entity."""
        entities = None
        if mention:
            handle = f"@{BOT['username']}"
            text = f"{handle} {text}"
            entities = [{"type": "mention", "offset": 0, "length": len(handle)}]
        return self.message(text, user=user, chat=GROUP, entities=entities, **kwargs)

    def photo(self, caption: str | None = None, **kwargs) -> dict:
        photo = [{"file_id": "photo-small", "file_unique_id": "p1", "width": 90, "height": 90},
                 {"file_id": "photo-big", "file_unique_id": "p2", "width": 800, "height": 800}]
        extra = {"caption": caption} if caption else {}
        return self.message(photo=photo, **extra, **kwargs)

    def sticker(self, **kwargs) -> dict:
        sticker = {"file_id": "sticker-1", "file_unique_id": "s1", "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}
        return self.message(sticker=sticker, **kwargs)

    def voice(self, **kwargs) -> dict:
        return self.message(voice={"file_id": "voice-1", "file_unique_id": "v1", "duration": 3}, **kwargs)

    def callback(self, sent: Call | dict, data: str, *, user: dict = USER) -> dict:
        """A button press on a message the bot sent (its send/edit Call, or the message itself)."""
        message = sent.result if isinstance(sent, Call) else sent
        current = self.messages.get((message["chat"]["id"], message["message_id"]), message)
        return {"callback_query": {"id": str(next(self._callback_ids)), "from": user, "chat_instance": "ci-1",
                                   "message": current, "data": data}}

    # ---- webhook delivery -------------------------------------------------------------------
    async def post_to_webhook(self, url: str, update: dict, secret: str | None) -> int:
        """POST an update like Telegram does; return the HTTP status the bot answered."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        update = {"update_id": next(self._update_ids), **update}
        async with ClientSession() as session, session.post(url, json=update, headers=headers) as response:
            return response.status

    # ---- the Bot API ------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        params = await self._params(request)
        if self.delay and method != "getUpdates":
            await asyncio.sleep(self.delay)
        failure = next((f for f in self._failures[method] if f.matches(params)), None)
        if method == "getUpdates" and failure is None:
            self.polls += 1
            return self._ok(await self._get_updates(params))
        if failure is not None:
            self._failures[method].remove(failure)
            self.calls.append(Call(method, params, failure.status))
            return self._error(failure.status, failure.description, failure.parameters)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            self.calls.append(Call(method, params, 404))
            return self._error(404, "Not Found: method not found")
        try:
            result = handler(params)
        except ApiError as exc:
            self.calls.append(Call(method, params, exc.status))
            return self._error(exc.status, exc.description)
        self.calls.append(Call(method, params, result=result))
        return self._ok(result)

    @staticmethod
    async def _params(request: web.Request) -> dict:
        if request.content_type == "application/json":
            raw = await request.json()
        else:
            raw = {**request.query, **(await request.post())}
        params = {}
        for key, value in raw.items():
            if isinstance(value, web.FileField):
                value = {"filename": value.filename, "content_type": value.content_type, "content": value.file.read()}
            elif isinstance(value, str) and key in JSON_FIELDS:
                value = json.loads(value)
            elif isinstance(value, str) and key in INT_FIELDS:
                value = int(value)
            params[key] = value
        return params

    async def _get_updates(self, params: dict) -> list[dict]:
        offset = params.get("offset")
        if offset:
            while self.updates and self.updates[0]["update_id"] < offset:
                self.updates.popleft()
        if not self.updates and params.get("timeout"):
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), min(params["timeout"], LONG_POLL))
            except TimeoutError:
                pass
        return list(self.updates)[: params.get("limit") or 100]

    def _bot_message(self, params: dict, **content) -> dict:
        chat_id = params["chat_id"]
        chat = GROUP if chat_id == GROUP["id"] else {"id": chat_id, "type": "private", "first_name": "用户"}
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": BOT,
                   **content}
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _api_getMe(self, params: dict) -> dict:
        return BOT

    @staticmethod
    def _text(params: dict) -> str:
        text = visible(params.get("text", ""), params.get("parse_mode"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    def _api_sendMessage(self, params: dict) -> dict:
        return self._bot_message(params, text=self._text(params))

    def _api_editMessageText(self, params: dict) -> dict:
        message = self.messages.get((params["chat_id"], params["message_id"]))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        text = self._text(params)
        if message.get("text") == text and message.get("reply_markup") == params.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        message["text"] = text
        message.pop("reply_markup", None)
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        message["edit_date"] = int(time.time())
        return message

    def _api_sendDocument(self, params: dict) -> dict:
        document = params.get("document")
        if not isinstance(document, dict):
            raise ApiError(400, "Bad Request: there is no document in the request")
        return self._bot_message(params, document={"file_id": "doc-1", "file_unique_id": "d1",
                                                   "file_name": document["filename"]})

    def _api_answerCallbackQuery(self, params: dict) -> bool:
        return True

    def _api_setMyCommands(self, params: dict) -> bool:
        self.commands[json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)] = params["commands"]
        return True

    def _api_getMyCommands(self, params: dict) -> list[dict]:
        return self.commands.get(json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True), [])

    def _api_deleteMyCommands(self, params: dict) -> bool:
        self.commands.pop(json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True), None)
        return True

    def _api_setWebhook(self, params: dict) -> bool:
        self.webhook = params
        return True

    def _api_deleteWebhook(self, params: dict) -> bool:
        self.webhook = {}
        return True

    def _api_getWebhookInfo(self, params: dict) -> dict:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    def _api_close(self, params: dict) -> bool:
        return True

    @staticmethod
    def _ok(result) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str, parameters: dict | None = None) -> web.Response:
        body = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)


def visible(text: str, parse_mode: str | None) -> str:
    """What Telegram shows for a text; raise ApiError like Telegram does for unescaped < or & in HTML mode."""
    if parse_mode != "HTML":
        return text
    bare = _TAG.sub("", text)
    if "<" in bare or ">" in bare or "&" in _ENTITY.sub("", bare):
        raise ApiError(400, "Bad Request: can't parse entities: unsupported start tag or unescaped character")
    return html.unescape(bare)


class ApiError(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description
