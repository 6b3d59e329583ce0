"""The bot's web server with the WeChat channel mounted, and the stand-in WeChat talking to it over HTTP."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

from aiohttp.test_utils import TestServer, unused_port

from tests.wechat_standin import APP_ID, APP_SECRET, TOKEN, PushResult, StandInWeChat
from web.app import build_web_app
from web.settings import WebSettings
from wechat.channel import WeChatChannel
from wechat.settings import WeChatSettings

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@dataclass
class Harness:
    wx: StandInWeChat
    channel: WeChatChannel
    server: TestServer
    public_url: str

    @property
    def url(self) -> str:
        return self.public_url + "/wechat"

    async def send(self, xml: str, **kw) -> PushResult:
        return await self.wx.push(self.url, xml, **kw)

    async def say(self, text: str, openid: str = OPENID, menu_id: str | None = None) -> str:
        """A text message; the passive reply's content."""
        result = await self.send(self.wx.text(openid, text, menu_id))
        assert result.status == 200 and result.seconds < 5, result
        return result.content


@contextlib.asynccontextmanager
async def running(assistant, aes_key: str = "", previous_aes_key: str = "", wx_key: str | None = None,
                  **channel_options):
    """The web app with /wechat mounted on 127.0.0.1, and a stand-in WeChat (its own key may differ)."""
    wx = StandInWeChat(aes_key=aes_key if wx_key is None else wx_key)
    await wx.start()
    port = unused_port()
    public_url = f"http://127.0.0.1:{port}"
    settings = WeChatSettings(token=TOKEN, app_id=APP_ID, app_secret=APP_SECRET, public_url=public_url,
                              aes_key=aes_key, previous_aes_key=previous_aes_key, api_base_url=wx.api_base_url)
    channel = WeChatChannel(assistant, settings, **channel_options)
    app = build_web_app(assistant, WebSettings())
    channel.mount(app)
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield Harness(wx, channel, server, public_url)
    finally:
        await server.close()
        await wx.close()
