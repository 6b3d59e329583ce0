"""On the day, on a phone, in a real headless Chromium: tick who came, type a code, and the attendance is in the
session's CSV; at phone width 待办 keeps school names readable."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestServer

from tests.chat_fixtures import book_school, make_assistant, new_session
from tests.test_web_browser import CHROMIUM, PHONE, chromium
from tests.test_web_desk import PASSWORD, Clock, staff_account
from tests.test_web_desk_browser import fill, go, shows_text, submit
from web.app import build_web_app
from web.settings import WebSettings

pytestmark = pytest.mark.asyncio


async def test_attendance_ticked_on_a_phone_appears_in_the_csv(engine, tmp_path):
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI is set but /usr/bin/chromium is missing: .ci/run must `apt-get install -y chromium`")
        pytest.skip("no /usr/bin/chromium here (apt-get install chromium); CI runs this test")
    clock = Clock()
    assistant = make_assistant(engine, tmp_path / "data", clock=clock)
    staff_account(assistant)
    book_school(assistant)
    session = new_session(assistant, capacity=10)
    lectures = assistant.desk.lectures
    first = lectures.sign_up(session.id, "tg:1", "李一", "13912345671", "家长", 2, clock.now)
    second = lectures.sign_up(session.id, "tg:2", "王二", "13912345672", "家长", 1, clock.now)
    server = TestServer(build_web_app(assistant, WebSettings()), host="127.0.0.1", port=0)
    await server.start_server()
    url = lambda path: str(server.make_url(path))
    here = f"/staff/sessions/{session.id}"
    try:
        async with chromium(tmp_path / "profile") as page:
            await page.send("Emulation.setDeviceMetricsOverride", width=PHONE[0], height=PHONE[1],
                            deviceScaleFactor=2, mobile=True)
            await go(page, url("/staff"), "登录")
            await fill(page, {"name": "王丽", "password": PASSWORD})
            await submit(page, "document.querySelector('form')", "新的预约（1）")
            cell = await page.js("document.querySelector('table.todo tbody td:nth-child(2)').getBoundingClientRect()"
                                 ".width")
            assert cell >= 150, f"the school name squeezed to {cell}px at phone width"

            clock.now = session.starts_at - timedelta(minutes=15)  # the day: sign in again (the session idled out)
            await go(page, url(here + "/attendance"), "登录")
            await fill(page, {"name": "王丽", "password": PASSWORD})
            await submit(page, "document.querySelector('form')", "待办")
            await go(page, url(here + "/attendance"), "人已到")
            width = await page.js("document.documentElement.scrollWidth")
            assert width <= PHONE[0], f"the attendance page is {width}px wide on a {PHONE[0]}px phone"
            box = await page.js("document.querySelector('button.tick').getBoundingClientRect().width")
            assert box >= 40  # big enough for a thumb
            await page.js("document.querySelector('ul.ticks form button.tick').click()")
            await shows_text(page, "已签到：" + first.ref)
            checkin = "document.querySelector('form.checkin')"
            await fill(page, {"ref": second.ref.lower()}, checkin)
            done = await submit(page, checkin, "已签到：" + second.ref)
            assert "3 / 3" in done.replace("\n", " ")
            csv = await page.js(f"fetch('{here}/attendees.csv').then(r => r.text())")
            rows = {line.split(",")[0]: line for line in csv.lstrip("\ufeff").splitlines()[1:]}
            stamp = clock.now.strftime("%Y-%m-%d %H:%M")
            assert rows[first.ref].endswith(stamp) and rows[second.ref].endswith(stamp)
            sheet = await go(page, url(here + "/sheet"), "签名")
            assert "139 **** 5671" in sheet and "13912345671" not in sheet
    finally:
        await server.close()
        assistant.close()
