"""A stand-in for WeChat's servers over real HTTP on 127.0.0.1, for end-to-end tests of the WeChat channel.

Two sides, as WeChat has them:
- pushes: it signs every request to the bot's /wechat (signature over token, timestamp, nonce) and in 安全模式
  encrypts the message (AES with the EncodingAESKey, `msg_signature` over the ciphertext), waits at most 5 seconds,
  and checks and decrypts the passive reply as WeChat would;
- API: `cgi-bin/token`, `cgi-bin/message/custom/send` and `cgi-bin/menu/create`, with tokens that expire or are
  replaced, and errors on demand (42001, 40001, 45015 …).

    wx = StandInWeChat(aes_key=AES_KEY); await wx.start()       # wx.api_base_url for WECHAT_API_BASE_URL
    result = await wx.push(bot_url, wx.text(OPENID, "未保法第75条"))
    result.content, await wx.wait_sent(OPENID, 1)
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import aiohttp
import xmltodict
from aiohttp import web
from aiohttp.test_utils import TestServer
from wechatpy.crypto import WeChatCrypto

TOKEN = "pufaTestToken2026"
APP_ID = "wx1234567890abcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNT = "gh_3f2a1b4c5d6e"  # the account's original id (ToUserName)
TIMEOUT = 5.0                # WeChat waits this long for a passive reply
ATTEMPTS = 3                 # and tries this often in all


def _sender(xml: str) -> str:
    match = re.search(r"<FromUserName>(?:<!\[CDATA\[)?([^<\]]*)", xml)
    return match.group(1) if match else ""


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


@dataclass
class PushResult:
    status: int
    body: str
    seconds: float
    attempts: int = 1
    reply: dict | None = None  # the decrypted, parsed passive reply (None for "success" / empty)

    @property
    def content(self) -> str:
        return (self.reply or {}).get("Content", "") or ""


@dataclass
class Sent:
    touser: str
    content: str
    token: str
    at: float = field(default_factory=time.monotonic)


class StandInWeChat:
    def __init__(self, token: str = TOKEN, app_id: str = APP_ID, secret: str = APP_SECRET, aes_key: str = ""):
        self.token, self.app_id, self.secret, self.aes_key = token, app_id, secret, aes_key
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self.valid_tokens: set[str] = set()
        self.tokens_issued = 0
        self.sent: list[Sent] = []
        self.menus: list[dict] = []
        self.fail_next: list[int] = []         # errcodes the next custom/send calls answer with
        self.closed_windows: set[str] = set()  # openids whose 48-hour window is closed (45015)
        self.calls: list[str] = []
        self._msg_ids = itertools.count(24_000_000_000_000_000)
        self._server: TestServer | None = None
        self._session: aiohttp.ClientSession | None = None

    # ---- lifecycle ------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        app.router.add_post("/cgi-bin/menu/create", self._menu_create)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        if self._session:
            await self._session.close()
        if self._server:
            await self._server.close()

    @property
    def api_base_url(self) -> str:
        return str(self._server.make_url("/cgi-bin/"))

    # ---- API side -------------------------------------------------------------------------------------------
    async def _token(self, request: web.Request) -> web.Response:
        self.calls.append("token")
        q = request.query
        if q.get("grant_type") != "client_credential" or q.get("appid") != self.app_id:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if q.get("secret") != self.secret:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = "ACCESS_" + secrets.token_hex(16)
        self.valid_tokens.add(token)
        self.tokens_issued += 1
        return web.json_response({"access_token": token, "expires_in": 7200})

    def expire_tokens(self) -> None:
        """Every token issued so far stops working (as after 2 hours, or after another server fetched one)."""
        self.valid_tokens.clear()

    def _check_token(self, request: web.Request) -> dict | None:
        token = request.query.get("access_token", "")
        if not token.startswith("ACCESS_"):
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if token not in self.valid_tokens:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    async def _custom_send(self, request: web.Request) -> web.Response:
        self.calls.append("custom/send")
        if (error := self._check_token(request)) is not None:
            return web.json_response(error)
        body = await request.json()
        if self.fail_next:
            code = self.fail_next.pop(0)
            return web.json_response({"errcode": code, "errmsg": f"error {code}"})
        if body.get("touser") in self.closed_windows:
            return web.json_response({"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"})
        assert body["msgtype"] == "text" and len(body["text"]["content"].encode()) <= 2048
        self.sent.append(Sent(body["touser"], body["text"]["content"], request.query["access_token"]))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _menu_create(self, request: web.Request) -> web.Response:
        self.calls.append("menu/create")
        if (error := self._check_token(request)) is not None:
            return web.json_response(error)
        self.menus.append(await request.json())
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def sent_to(self, openid: str) -> list[str]:
        return [s.content for s in self.sent if s.touser == openid]

    async def wait_sent(self, openid: str, count: int, timeout: float = 5.0) -> list[str]:
        """The customer-service messages to a user, once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        while len(self.sent_to(openid)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} customer-service messages, got {self.sent_to(openid)}")
            await asyncio.sleep(0.05)
        return self.sent_to(openid)

    # ---- push side: messages as WeChat writes them ---------------------------------------------------------------
    def _xml(self, openid: str, msg_type: str, fields: dict, create_time: int | None = None, msg_id: bool = True) -> str:
        parts = [f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>", f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
                 f"<CreateTime>{create_time or int(time.time())}</CreateTime>",
                 f"<MsgType><![CDATA[{msg_type}]]></MsgType>"]
        parts += [f"<{k}><![CDATA[{v}]]></{k}>" if isinstance(v, str) else f"<{k}>{v}</{k}>" for k, v in fields.items()]
        if msg_id:
            parts.append(f"<MsgId>{next(self._msg_ids)}</MsgId>")
        return "<xml>" + "".join(parts) + "</xml>"

    def text(self, openid: str, content: str, menu_id: str | None = None) -> str:
        fields = {"Content": content}
        if menu_id is not None:
            fields["bizmsgmenuid"] = menu_id
        return self._xml(openid, "text", fields)

    def voice(self, openid: str, recognition: str | None) -> str:
        fields = {"MediaId": "media_voice_1", "Format": "amr"}
        if recognition is not None:
            fields["Recognition"] = recognition
        return self._xml(openid, "voice", fields)

    def image(self, openid: str) -> str:
        return self._xml(openid, "image", {"PicUrl": "http://mmbiz.qpic.cn/x.jpg", "MediaId": "media_img_1"})

    def location(self, openid: str) -> str:
        return self._xml(openid, "location", {"Location_X": "31.2215", "Location_Y": "121.5447", "Scale": 15,
                                              "Label": "上海市浦东新区世纪大道"})

    def link(self, openid: str) -> str:
        return self._xml(openid, "link", {"Title": "一篇文章", "Description": "…", "Url": "https://example.cn/a"})

    def video(self, openid: str, short: bool = False) -> str:
        return self._xml(openid, "shortvideo" if short else "video", {"MediaId": "media_v", "ThumbMediaId": "t"})

    def event(self, openid: str, event: str, key: str | None = None, create_time: int | None = None) -> str:
        fields = {"Event": event}
        if key is not None:
            fields["EventKey"] = key
        return self._xml(openid, "event", fields, create_time, msg_id=False)

    def click(self, openid: str, key: str) -> str:
        return self.event(openid, "CLICK", key)

    # ---- push side: signing, encrypting, sending ------------------------------------------------------------------
    def signed(self, xml: str, *, timestamp: int | None = None, forge: str = "") -> tuple[dict, bytes]:
        """Query parameters and body of one push attempt, as WeChat makes them (fresh nonce each time)."""
        ts, nonce = str(timestamp or int(time.time())), str(secrets.randbelow(10**10))
        query = {"signature": sign(self.token, ts, nonce), "timestamp": ts, "nonce": nonce,
                 "openid": _sender(xml)}
        if forge == "signature":
            query["signature"] = sign("not-the-token", ts, nonce)
        if self.crypto is None:
            return query, xml.encode()
        encrypt = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, ts))["xml"]["Encrypt"]
        if forge == "ciphertext":
            encrypt = encrypt[:-8] + ("A" * 8 if not encrypt.endswith("A" * 8) else "B" * 8)
        query.update(encrypt_type="aes", msg_signature=sign(self.token, ts, nonce, encrypt))
        if forge == "msg_signature":
            query["msg_signature"] = sign("not-the-token", ts, nonce, encrypt)
        body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{escape(encrypt)}]]></Encrypt></xml>"
        return query, body.encode()

    async def push(self, url: str, xml: str, *, retry: bool = True, **signing) -> PushResult:
        """Deliver one push like WeChat: 5 s per attempt, up to 3 attempts when no answer comes."""
        attempts = ATTEMPTS if retry else 1
        started = time.monotonic()
        for attempt in range(1, attempts + 1):
            query, body = self.signed(xml, **signing)
            try:
                async with self._session.post(url, params=query, data=body,
                                              timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as response:
                    text = await response.text()
                    return PushResult(response.status, text, time.monotonic() - started, attempt,
                                      self.read_reply(text, xml) if response.status == 200 else None)
            except asyncio.TimeoutError:
                continue
        return PushResult(0, "", time.monotonic() - started, attempts)

    async def handshake(self, url: str, *, timestamp: int | None = None, forge: str = "") -> tuple[int, str]:
        ts, nonce = str(timestamp or int(time.time())), "1514711492"
        echostr = "7213541063410987654"
        signature = sign("not-the-token" if forge else self.token, ts, nonce)
        async with self._session.get(url, params={"signature": signature, "timestamp": ts, "nonce": nonce,
                                                  "echostr": echostr}) as response:
            return response.status, await response.text()

    def read_reply(self, text: str, pushed: str) -> dict | None:
        """The passive reply as WeChat reads it: `success`/empty is none; in 安全模式 check and decrypt it."""
        if text in ("", "success"):
            return None
        outer = xmltodict.parse(text)["xml"]
        if self.crypto is not None:
            assert "Encrypt" in outer, "安全模式 replies must be encrypted"
            assert outer["MsgSignature"] == sign(self.token, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
            inner = xmltodict.parse(self.crypto.decrypt_message(text, outer["MsgSignature"], outer["TimeStamp"],
                                                                outer["Nonce"]))["xml"]
        else:
            inner = outer
        push = xmltodict.parse(pushed)["xml"]
        assert inner["ToUserName"] == push["FromUserName"] and inner["FromUserName"] == push["ToUserName"]
        assert inner["MsgType"] == "text" and len(inner["Content"].encode()) <= 2048
        return inner
