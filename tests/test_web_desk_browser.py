"""The office's desk in a real headless Chromium: sign in, approve on the second preferred date, propose with a note,
see the school's answer, create a session with an everyday date, open the statistics and see the charts.

`UPDATE_SCREENSHOT=1 python -m pytest tests/test_web_desk_browser.py` also refreshes web/README-desk-todo.png and
web/README-desk-stats.png (with fonts-noto-cjk installed).
"""
from __future__ import annotations

import base64
import json
import os
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestServer

from chat.types import Event
from runtime.settings import REPO
from tests.chat_fixtures import NOW, book_school, make_assistant, take_outbox
from tests.test_web_browser import CHROMIUM, chromium, png_size
from web.app import build_web_app
from web.settings import WebSettings

pytestmark = pytest.mark.asyncio
SCREEN = (1024, 860)
PASSWORD = "浦东新区未保办的工作台"


@pytest.fixture
def assistant(engine, tmp_path):
    helper = make_assistant(engine, tmp_path / "data")
    yield helper
    helper.close()


async def go(page, url: str, shows: str) -> str:
    await page.send("Page.navigate", url=url)
    return await shows_text(page, shows)


async def shows_text(page, text: str) -> str:
    try:
        return await page.until(f"document.readyState === 'complete' && document.body && "
                            f"document.body.innerText.includes({json.dumps(text)}) && document.body.innerText",
                            f"a page showing {text!r}")
    except AssertionError:
        raise AssertionError(f"no {text!r} on the page; it shows:\n"
                             + str(await page.js("document.body && document.body.innerText"))[:1500]) from None


async def fill(page, values: dict[str, str], form: str = "document") -> None:
    for name, value in values.items():
        await page.js(f"{form}.querySelector('[name={json.dumps(name)}]').value = {json.dumps(value)}")


async def submit(page, form: str, shows: str) -> str:
    await page.js(f"{form}.querySelector('button').click()")
    return await shows_text(page, shows)


async def test_the_desk_in_a_real_browser(assistant, tmp_path):
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI is set but /usr/bin/chromium is missing: .ci/run must `apt-get install -y chromium`")
        pytest.skip("no /usr/bin/chromium here (apt-get install chromium); CI runs this test")
    _, key = assistant.desk.accounts.add("王丽", "", "cli:test", NOW)
    assistant.desk.accounts.set_password(key, PASSWORD, NOW)
    book_school(assistant, "tg:3")   # preferred 12月20日、12月22日
    book_school(assistant, "tg:4")
    book_school(assistant, "tg:7")
    questions = ("孩子在学校被欺负怎么办", "网吧能让未成年人进吗", "股票怎么买", "孩子沉迷游戏充值能退吗",
                 "父母离婚孩子归谁", "老师可以体罚学生吗", "未成年人打工有什么规定", "孩子被网上的人骗了钱怎么办")
    for n, text in enumerate(questions):
        [answer] = assistant.handle(Event(user="tg:5", text=text))
        votes = [b.data for row in answer.buttons for b in row if b.data.startswith("fb:")]
        if votes:
            assistant.handle(Event(user="tg:5", button=votes[n % 3 == 2]))  # mostly 有帮助, some 没帮助
    take_outbox(assistant)
    server = TestServer(build_web_app(assistant, WebSettings()), host="127.0.0.1", port=0)
    await server.start_server()
    url = lambda path: str(server.make_url(path))
    try:
        async with chromium(tmp_path / "profile") as page:
            await page.send("Runtime.enable")
            await page.send("Log.enable")
            await page.send("Emulation.setDeviceMetricsOverride", width=SCREEN[0], height=SCREEN[1],
                            deviceScaleFactor=1, mobile=False)
            await go(page, url("/staff"), "登录")  # redirected to the sign-in page
            await fill(page, {"name": "王丽", "password": PASSWORD})
            todo = await submit(page, "document.querySelector('form')", "新的预约（3）")
            assert "PD-2026-0001" in todo and "PD-2026-0002" in todo

            # approve the first booking on its second preferred date
            await go(page, url("/staff/booking/PD-2026-0001"), "经过")
            await page.js("document.querySelectorAll('input[name=date][type=radio]')[1].click()")
            done = await submit(page, "document.querySelector('form[action$=\"/approve\"]')", "已处理预约")
            assert "已确认（2026年12月22日）" in done
            assert assistant.desk.schools.get("PD-2026-0001").scheduled_date.isoformat() == "2026-12-22"

            # propose another date for the second, with a note
            propose = "document.querySelector('form[action$=\"/propose\"]')"
            await go(page, url("/staff/booking/PD-2026-0002"), "建议改期")
            await fill(page, {"date": "12月23日下午", "note": "16和18号讲师都排满了"}, propose)
            await submit(page, propose, "已改期待确认")
            [(_, told)] = [(u, r) for u, r in take_outbox(assistant) if u == "tg:4"]
            assert "讲师都排满了" in told.text

            # the school proposes other dates in its chat; the desk shows the answer
            assistant.handle(Event(user="tg:4", button="sch:counter:PD-2026-0002"))
            assistant.handle(Event(user="tg:4", text="12月29日上午，23号学校考试"))
            todo = await go(page, url("/staff"), "学校另提了日期（1）")
            assert "PD-2026-0002" in todo
            shot = base64.b64decode((await page.send("Page.captureScreenshot", format="png"))["data"])
            assert png_size(shot) == SCREEN
            if os.environ.get("UPDATE_SCREENSHOT"):
                (REPO / "web" / "README-desk-todo.png").write_bytes(shot)
            detail = await go(page, url("/staff/booking/PD-2026-0002"), "学校")
            assert "23号学校考试" in detail and "另提了日期" in detail

            # a session with an everyday date
            create = "document.querySelector('form[action=\"/staff/sessions\"]')"
            await go(page, url("/staff/sessions"), "新建场次")
            await fill(page, {"starts_at": "12月19日下午2点", "venue": "浦东图书馆报告厅", "street": "花木",
                              "deadline": "12月18日晚上6点", "capacity": "60"}, create)
            listed = await submit(page, create, "已创建场次")
            assert "2026-12-19 14:00" in listed
            session = assistant.desk.lectures.upcoming_sessions(NOW)[0]
            assistant.desk.lectures.sign_up(session.id, "tg:6", "李四", "13912345678", "家长", 3, NOW)
            shown = await go(page, url(f"/staff/sessions/{session.id}"), "分享")
            assert f"/?start=lec_{session.id}" in shown
            assert await page.until("document.querySelector('img.qr').naturalWidth > 0", "the QR code")

            # statistics: the charts are there and drawn
            stats = await go(page, url("/staff/stats"), "每周提问数")
            assert "花木" in stats
            charts = await page.js("[...document.querySelectorAll('svg.chart')].map(s => s.querySelectorAll('rect').length)")
            assert len(charts) >= 4 and all(n > 0 for n in charts)
            await page.send("Emulation.setDeviceMetricsOverride", width=SCREEN[0], height=1500,
                            deviceScaleFactor=1, mobile=False)
            shot = base64.b64decode((await page.send("Page.captureScreenshot", format="png"))["data"])
            if os.environ.get("UPDATE_SCREENSHOT"):
                (REPO / "web" / "README-desk-stats.png").write_bytes(shot)

            problems = [e for e in page.events if e["method"] == "Runtime.exceptionThrown" or (
                e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
                and "favicon" not in e["params"]["entry"].get("url", ""))]
            assert not problems, problems  # no Content-Security-Policy violations either
    finally:
        await server.close()
