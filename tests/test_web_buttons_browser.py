"""Buttons a finger can hit: on a phone-sized page in headless Chromium every button, chip and call link is at
least 44 CSS pixels tall, and a review's confirm button comes first, styled as the main action."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestServer

from tests.chat_fixtures import ADMIN, NOW, make_assistant
from tests.test_web_browser import CHROMIUM, PHONE, chromium
from web.app import build_web_app
from web.settings import WebSettings

pytestmark = pytest.mark.asyncio
HEIGHTS = ("[...document.querySelectorAll('#log button.chip, #log a.call, header button, #send')]"
           ".map(b => [b.textContent, b.getBoundingClientRect().height])")


@pytest.fixture(scope="module")
def assistant(engine, tmp_path_factory):
    helper = make_assistant(engine, tmp_path_factory.mktemp("web_buttons"))
    yield helper
    helper.close()


async def test_every_button_is_at_least_44_px_and_confirm_comes_first(assistant, tmp_path):
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI is set but /usr/bin/chromium is missing")
        pytest.skip("no /usr/bin/chromium here (apt-get install chromium); CI runs this test")
    starts = NOW + timedelta(days=10)
    session = assistant.desk.lectures.create_session(
        program_id="family-education", title="", starts_at=starts, ends_at=starts + timedelta(hours=1),
        venue="浦东图书馆", street="花木", audience="家长", capacity=5, deadline=starts - timedelta(days=1),
        created_by=ADMIN, now=NOW)
    server = TestServer(build_web_app(assistant, WebSettings()), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with chromium(tmp_path / "profile") as page:
            await page.send("Emulation.setDeviceMetricsOverride", width=PHONE[0], height=PHONE[1],
                            deviceScaleFactor=1, mobile=True)
            await page.send("Page.navigate", url=str(server.make_url("/")))
            await page.last_reply("普法助手")
            await page.type("孩子玩游戏充了五千块钱能退吗")
            await page.last_reply("法律依据")
            await page.type("我被锁在门外了 外面在下大雨 我爸不让我进门")
            await page.last_reply("110")
            await page.type(f"/start lec_{session.id}")
            await page.tap_chip(f"c.dataset.data === 'lec:join:{session.id}'", "the sign-up button")
            await page.last_reply("个人信息")
            await page.tap_chip("c.dataset.data.startsWith('privacy:agree:')", "同意")
            await page.last_reply("姓名")
            await page.type("李四")
            await page.tap_chip("c.dataset.data === 'lec:pick:role:0'", "the first role")
            await page.last_reply("电话")
            await page.type("13912345678")
            await page.tap_chip("c.textContent === '1'", "one attendee")
            await page.last_reply("李四")
            heights = await page.js(HEIGHTS)
            assert len(heights) > 10 and any(label.startswith("更多依据") for label, _ in heights)
            low = [(label, h) for label, h in heights if h < 44]
            assert not low, low
            first = await page.js("[...document.querySelectorAll('#log .msg.bot')].pop()"
                                  ".querySelector('button.chip').dataset.data")
            assert first == "lec:ok"
            colour = await page.js("getComputedStyle([...document.querySelectorAll('#log button.chip')]"
                                   ".filter(c => c.dataset.data === 'lec:ok').pop()).color")
            assert colour == "rgb(255, 255, 255)"
    finally:
        await server.close()
