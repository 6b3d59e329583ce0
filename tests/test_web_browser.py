"""The chat page in a real headless Chromium (Debian's package), driven over the DevTools protocol.

Needs /usr/bin/chromium (`apt-get install chromium`). Without it the test is skipped, except in CI (CI=true),
where it fails. `UPDATE_SCREENSHOT=1 python -m pytest tests/test_web_browser.py` also refreshes
web/README-screenshot.png (install fonts-noto-cjk first, or the Chinese shows as boxes).
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import struct
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from runtime.settings import REPO
from tests.chat_fixtures import ADMIN, NOW, make_assistant
from web.app import build_web_app
from web.settings import WebSettings

CHROMIUM = Path("/usr/bin/chromium")
PHONE = (390, 844)  # CSS pixels of a common phone screen
SCREENSHOT = REPO / "web" / "README-screenshot.png"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0", f"--window-size={PHONE[0]},{PHONE[1]}", "about:blank"]
WAIT = 10.0  # seconds any one step may take

pytestmark = pytest.mark.asyncio


class Page:
    """One browser tab over the DevTools protocol: commands by id, events collected for later checks."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse):
        self.socket, self.next_id, self.waiting, self.events = socket, 0, {}, []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            data = json.loads(message.data)
            if "id" in data:
                future = self.waiting.pop(data["id"], None)
                if future and not future.done():
                    future.set_result(data)
            else:
                self.events.append(data)

    async def send(self, method: str, **params) -> dict:
        self.next_id += 1
        future = self.waiting[self.next_id] = asyncio.get_running_loop().create_future()
        await self.socket.send_json({"id": self.next_id, "method": method, "params": params})
        data = await asyncio.wait_for(future, WAIT)
        if "error" in data:
            raise AssertionError(f"{method}: {data['error']}")
        return data["result"]

    async def js(self, expression: str):
        """Evaluate an expression in the page and return its (JSON) value; promises are awaited."""
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def until(self, expression: str, what: str):
        """Wait until an expression is truthy; fail with the conversation so far."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            value = await self.js(expression)
            if value:
                return value
            await asyncio.sleep(0.05)
        shown = await self.js("[...document.querySelectorAll('#log .msg')].map(m => m.innerText).join('\\n---\\n')")
        raise AssertionError(f"timed out waiting for {what}; the page shows:\n{shown[-2000:]}")

    async def tap(self, finder: str, what: str) -> None:
        """Tap the element an expression finds, at its centre, like a finger (mouse events)."""
        point = await self.until(f"""(() => {{ const el = {finder};
            if (!el || document.getElementById('send')?.disabled !== false) return null;
            el.scrollIntoView({{block: 'center'}}); const r = el.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2]; }})()""", what)
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", type=kind, x=point[0], y=point[1], button="left", clickCount=1)

    async def type(self, text: str) -> None:
        """Type into the message box and tap 发送."""
        await self.tap("document.getElementById('text')", "the message box")
        await self.send("Input.insertText", text=text)
        await self.tap("document.getElementById('send')", "the send button")

    async def tap_chip(self, test: str, what: str) -> None:
        """Tap the newest button chip for which the JS test on `c` holds."""
        await self.tap(f"[...document.querySelectorAll('#log button.chip')].filter(c => {test}).pop()", what)

    async def last_reply(self, contains: str) -> str:
        """Wait for the newest bot message to contain a text; return that message's text."""
        return await self.until(f"""(() => {{ const all = document.querySelectorAll('#log .msg.bot:not(.typing)');
            const last = all[all.length - 1]; const text = last ? last.querySelector('.text').textContent : '';
            return document.getElementById('send')?.disabled === false && text.includes({json.dumps(contains)}) && text; }})()""",
                                f"a reply containing {contains!r}")


@contextlib.asynccontextmanager
async def chromium(profile: Path):
    """Start Debian's Chromium headless and yield a Page on its first tab; stop it afterwards."""
    log_path = profile.parent / "chromium.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(CHROMIUM), *FLAGS[:-1], f"--user-data-dir={profile}", FLAGS[-1]],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        deadline, found = time.monotonic() + 15, None
        while not found:
            found = re.search(rb"DevTools listening on (ws://[^\s]+)", log_path.read_bytes())
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"Chromium did not start:\n{log_path.read_text(errors='replace')[-2000:]}")
            await asyncio.sleep(0.05)
        port = re.search(rb"ws://[^:/]+:(\d+)/", found.group(1)).group(1).decode()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                target = next(t for t in await response.json() if t["type"] == "page")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as socket:
                page = Page(socket)
                try:
                    yield page
                finally:
                    page.reader.cancel()
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="module")
def assistant(engine, tmp_path_factory):
    helper = make_assistant(engine, tmp_path_factory.mktemp("web_browser"))
    yield helper
    helper.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


async def test_ask_read_the_article_and_sign_up_in_a_real_browser(assistant, tmp_path):
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI is set but /usr/bin/chromium is missing: .ci/run must `apt-get install -y chromium`")
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
            await page.send("Runtime.enable")
            await page.send("Log.enable")
            await page.send("Emulation.setDeviceMetricsOverride", width=PHONE[0], height=PHONE[1],
                            deviceScaleFactor=1, mobile=True)
            await page.send("Page.navigate", url=str(server.make_url("/")))
            await page.last_reply("普法助手")

            # a question, its answer with the legal basis, and the article behind a 查看原文 chip
            await page.type("孩子在学校被欺负怎么办")
            answer = await page.last_reply("法律依据")
            assert "\n" in answer  # line breaks survive
            label = await page.js("[...document.querySelectorAll('#log button.chip')]"
                                  ".map(c => c.textContent).filter(t => t.startsWith('查看原文')).pop()")
            assert label, "no 查看原文 button under the answer"
            await page.tap_chip("c.textContent.startsWith('查看原文')", "a 查看原文 button")
            article = await page.last_reply("第" + label.split("第", 1)[1].rstrip("之一二三"))
            assert len(article) > 40
            shot = base64.b64decode((await page.send("Page.captureScreenshot", format="png"))["data"])
            assert png_size(shot) == PHONE
            (SCREENSHOT if os.environ.get("UPDATE_SCREENSHOT") else tmp_path / "page.png").write_bytes(shot)

            # what the server says is shown as text, never as markup
            await page.type("<img src=x onerror=alert(1)>")
            await page.last_reply("")
            assert await page.js("document.querySelector('#log img') === null")
            assert await page.js("[...document.querySelectorAll('.msg.me')].pop().textContent.startsWith('<img')")

            # danger now: crisis help with tap-to-call links, 110 first, and no 👍/👎 under it
            await page.type("我被锁在门外了 外面在下大雨 我爸不让我进门")
            await page.last_reply("110")
            calls = await page.js("[...[...document.querySelectorAll('#log .msg.bot')].pop()"
                                  ".querySelectorAll('a.call')].map(a => a.getAttribute('href'))")
            assert calls and calls[0] == "tel:110", calls
            assert await page.js("![...[...document.querySelectorAll('#log .msg.bot')].pop()"
                                 ".querySelectorAll('button.chip')].some(c => c.dataset.data.startsWith('fb:'))")

            # a lecture sign-up: consent, name, role, phone, attendees, confirm
            await page.type("/lectures")
            await page.tap_chip(f"c.dataset.data === 'lec:view:{session.id}'", "the lecture in the list")
            await page.last_reply("浦东图书馆")
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
            await page.tap_chip("c.dataset.data === 'lec:ok'", "提交")
            confirmed = await page.last_reply("JZ-")
            assert re.search(r"JZ-\d{4}-\d{4}", confirmed)
            calendar = await page.js("fetch(document.querySelector('#log a.file').href).then(r => r.text())")
            assert calendar.startswith("BEGIN:VCALENDAR")
            assert await page.until("document.querySelector('#log img.qr')?.naturalWidth > 0", "the check-in QR code")

            problems = [e for e in page.events if e["method"] == "Runtime.exceptionThrown" or (
                e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
                and "favicon" not in e["params"]["entry"].get("url", ""))]
            assert not problems, problems  # no script errors, no Content-Security-Policy violations
    finally:
        await server.close()
