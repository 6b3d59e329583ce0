"""The few WeChat API calls the channel makes, with the access token fetched, cached and refreshed.

An asyncio client on aiohttp (wechatpy's client blocks on `requests` and repeats forever while WeChat keeps
answering 40001). One token per process, refreshed 5 minutes before it expires, by one caller at a time; a call
answered 40001/40014/42001 (token invalid, not the latest, or expired) gets a fresh token and is tried once more.
URLs carry the AppSecret or the token, so they are never logged.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import aiohttp

logger = logging.getLogger(__name__)

TOKEN_ERRORS = (40001, 40014, 42001)  # invalid credential / invalid token / token expired
REFRESH_BEFORE = 300                   # seconds before expiry a token is replaced
TIMEOUT = aiohttp.ClientTimeout(total=10)
HINTS = {
    40001: "AppSecret 不对，或 access_token 已失效",
    40013: "AppID 不对",
    40125: "AppSecret 不对",
    40164: "本服务器的 IP 不在公众号后台的「IP白名单」里",
    45009: "接口调用次数已达今日上限",
    45015: "用户 48 小时内没有与公众号互动（或已取消关注），不能再发客服消息",
    45047: "客服消息条数已用完，需等用户再次发消息",
    48001: "公众号没有这个接口的权限（需认证的服务号）",
    40054: "菜单中的网址不合规",
    40016: "菜单按钮数量不对",
}


def _code(result: dict) -> int:
    try:
        return int(result.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        return -1


class WeChatApiError(Exception):
    """WeChat answered with an errcode (0 is success)."""

    def __init__(self, code: int, message: str = ""):
        self.code, self.message = code, message
        hint = HINTS.get(code)
        super().__init__(f"微信接口错误 {code}：{message}" + (f"（{hint}）" if hint else ""))


class WeChatApi:
    """Token handling plus custom/send and menu/create against `base_url` (…/cgi-bin/)."""

    def __init__(self, base_url: str, app_id: str, app_secret: str, clock: Callable[[], float] = time.time):
        self.base_url, self.app_id, self._secret, self.clock = base_url, app_id, app_secret, clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock: asyncio.Lock | None = None
        self._session: aiohttp.ClientSession | None = None
        self.fetches = 0  # tokens fetched so far (tests and logs)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    # ---- token ----------------------------------------------------------------------------------------
    async def token(self, stale: str | None = None) -> str:
        """A valid access token; `stale` is one WeChat just refused, so a new one is fetched unless another
        caller already replaced it."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            usable = self._token and self.clock() < self._expires - REFRESH_BEFORE
            if usable and self._token != stale:
                return self._token
            params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
            result = await self._get_json("token", params)
            if not result.get("access_token"):
                raise WeChatApiError(int(result.get("errcode", -1)), str(result.get("errmsg", "")))
            self._token = str(result["access_token"])
            self._expires = self.clock() + int(result.get("expires_in", 7200))
            self.fetches += 1
            logger.info("fetched a WeChat access token (valid %ss)", result.get("expires_in", 7200))
            return self._token

    # ---- calls ----------------------------------------------------------------------------------------
    async def call(self, endpoint: str, payload: dict) -> dict:
        """POST JSON to an API endpoint with the token; once more with a new token after 40001/40014/42001."""
        token = await self.token()
        result = await self._post_json(endpoint, token, payload)
        if _code(result) in TOKEN_ERRORS:
            logger.info("WeChat refused the access token (%s); fetching a new one", _code(result))
            result = await self._post_json(endpoint, await self.token(stale=token), payload)
        if _code(result):
            raise WeChatApiError(_code(result), str(result.get("errmsg", "")))
        return result

    async def send_text(self, openid: str, content: str) -> None:
        """A customer-service text message (allowed within 48 h of the user's last message)."""
        await self.call("message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": content}})

    async def create_menu(self, menu: dict) -> None:
        """Publish the custom menu ({"button": [...]})."""
        await self.call("menu/create", menu)

    # ---- HTTP -----------------------------------------------------------------------------------------
    async def _get_json(self, endpoint: str, params: dict) -> dict:
        async with self._http().get(self.base_url + endpoint, params=params) as response:
            return await self._json(response, endpoint)

    async def _post_json(self, endpoint: str, token: str, payload: dict) -> dict:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")  # WeChat wants raw UTF-8, not \\u escapes
        async with self._http().post(self.base_url + endpoint, params={"access_token": token}, data=body,
                                     headers={"Content-Type": "application/json; charset=utf-8"}) as response:
            return await self._json(response, endpoint)

    @staticmethod
    async def _json(response: aiohttp.ClientResponse, endpoint: str) -> dict:
        if response.status != 200:
            raise WeChatApiError(-response.status, f"HTTP {response.status} from {endpoint}")
        try:
            data = await response.json(content_type=None)
        except ValueError:
            raise WeChatApiError(-1, f"not JSON from {endpoint}") from None
        if not isinstance(data, dict):
            raise WeChatApiError(-1, f"not a JSON object from {endpoint}")
        return data
