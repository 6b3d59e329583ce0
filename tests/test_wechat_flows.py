"""Families and schools inside WeChat, against a stand-in WeChat over HTTP: long answers split across the passive
reply and customer-service messages, the access token, subscribe and menu clicks, voice, a lecture sign-up (with a
guardian's consent), a school booking, privacy, and messages that other people's actions leave for WeChat users."""
from __future__ import annotations

import asyncio
import hashlib
import os
import re
import sys
import time
from datetime import timedelta

import pytest
from aiohttp import ClientSession, CookieJar

from chat.outbox import Outcome
from chat.types import Event, Reply
from knowledge.config import REPO
from runtime.yamlfile import ContentError
from tests.test_chat_flows import ADMIN, NOW, SCHOOL_ANSWERS, make_assistant
from tests.wechat_fixtures import running
from tests.wechat_standin import AES_KEY, APP_ID, APP_SECRET, TOKEN
from wechat.menu import load_menu
from wechat.render import PART_BYTES

pytestmark = pytest.mark.asyncio
LINK = re.compile(r'<a href="weixin://bizmsgmenu\?msgmenucontent=([^&"]*)&msgmenuid=(\d+)">([^<]*)</a>')
NUMBERED = re.compile(r"(\d+)\. <a href=\"weixin://bizmsgmenu\?[^\"]*\">([^<]*)</a>")


def openid(name: str) -> str:
    return "o" + hashlib.sha1(name.encode()).hexdigest()[:27]


@pytest.fixture(scope="module")
def assistant(engine, tmp_path_factory):
    helper = make_assistant(engine, tmp_path_factory.mktemp("wechat-flows"))
    yield helper
    helper.close()


def new_session(assistant, starts=NOW + timedelta(days=10), capacity=5, audience="家长"):
    return assistant.desk.lectures.create_session(
        program_id="family-education", title="", starts_at=starts, ends_at=starts + timedelta(hours=1),
        venue="浦东图书馆", street="花木", audience=audience, capacity=capacity,
        deadline=starts - timedelta(hours=2), created_by=ADMIN, now=NOW)


class Chat:
    """One WeChat user talking to the bot: what they read is the passive reply plus the customer-service
    messages that follow it."""

    def __init__(self, bot, assistant, name: str):
        self.bot, self.assistant, self.openid = bot, assistant, openid(name)
        self.user = "wx:" + self.openid
        self.last = ""
        self.passive = ""

    async def send(self, xml: str) -> str:
        before = len(self.bot.wx.sent_to(self.openid))
        result = await self.bot.send(xml)
        assert result.status == 200 and result.attempts == 1 and result.seconds < 5, result
        self.passive = result.content
        await self.settled()
        self.last = "\n\n".join([result.content] + self.bot.wx.sent_to(self.openid)[before:]).strip()
        return self.last

    async def settled(self, timeout: float = 5.0) -> None:
        """Wait until nothing for this user waits in the outbox."""
        deadline = time.monotonic() + timeout
        while self.assistant.outbox.waiting(user=self.user):
            assert time.monotonic() < deadline, "customer-service messages were not sent"
            await asyncio.sleep(0.05)

    async def say(self, text: str, menu_id: str | None = None) -> str:
        return await self.send(self.bot.wx.text(self.openid, text, menu_id))

    async def tap(self, label_part: str) -> str:
        """Tap the link whose label contains `label_part`: WeChat sends its msgmenucontent with bizmsgmenuid."""
        for content, menu_id, label in LINK.findall(self.last):
            if label_part in label:
                return await self.say(content, menu_id)
        raise AssertionError(f"no link {label_part!r} in:\n{self.last}")

    def number_of(self, label_part: str) -> str:
        for number, label in NUMBERED.findall(self.last):
            if label_part in label:
                return number
        raise AssertionError(f"no numbered choice {label_part!r} in:\n{self.last}")

    async def click(self, key: str) -> str:
        return await self.send(self.bot.wx.click(self.openid, key))


# ---- answers, long and short ---------------------------------------------------------------------------------
async def test_a_long_answer_is_split_across_the_passive_reply_and_customer_service_messages(assistant):
    async with running(assistant, aes_key=AES_KEY) as bot:
        chat = Chat(bot, assistant, "long")
        full = assistant.handle(Event(user="cli:x", command="hotline"))[0].text
        assert len(full.encode()) > PART_BYTES  # the hotline list is longer than one WeChat message
        shown = await chat.say("/hotline")
        sent = bot.wx.sent_to(chat.openid)
        assert chat.passive and len(chat.passive.encode()) <= PART_BYTES and len(sent) >= 1
        assert all(len(part.encode()) <= PART_BYTES for part in sent)
        for paragraph in full.split("\n\n"):
            assert paragraph.strip() in shown
        assert shown.index(full.split("\n\n")[0]) < shown.index(full.split("\n\n")[-1])  # in order
        assert bot.wx.tokens_issued == 1
        await chat.say("孩子在学校被欺负怎么办")  # the answer, then its article links as a second message
        assert "法律依据" in chat.passive and "查看原文" in bot.wx.sent_to(chat.openid)[-1]
        assert bot.wx.tokens_issued == 1  # the token is cached between messages


async def test_expired_and_invalid_tokens_are_replaced_and_the_message_sent_once(assistant):
    async with running(assistant) as bot:
        chat = Chat(bot, assistant, "token")
        await chat.say("/hotline")
        count = len(bot.wx.sent_to(chat.openid))
        bot.wx.expire_tokens()  # 42001 for the cached token
        await chat.say("/hotline")
        assert bot.wx.tokens_issued == 2 and len(bot.wx.sent_to(chat.openid)) == 2 * count
        bot.wx.fail_next = [40001]  # "invalid credential … not latest": another server fetched a token
        await chat.say("/hotline")
        assert bot.wx.tokens_issued == 3 and len(bot.wx.sent_to(chat.openid)) == 3 * count
        assert len({s.content for s in bot.wx.sent[-count:]}) == count  # no part twice


async def test_a_closed_48_hour_window_keeps_messages_until_the_user_writes_again(assistant):
    async with running(assistant) as bot:
        chat = Chat(bot, assistant, "window")
        bot.wx.closed_windows.add(chat.openid)
        result = await bot.send(bot.wx.text(chat.openid, "/hotline"))
        assert result.content
        deadline = time.monotonic() + 5
        while not any(row["error"].startswith("WeChat 450") for row in assistant.outbox.waiting(user=chat.user)):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert assistant.outbox.waiting(user=chat.user)  # kept in the persistent outbox
        bot.wx.closed_windows.clear()
        await chat.say("你好")
        assert not assistant.outbox.waiting(user=chat.user)
        assert any("12345" in m or "12355" in m or "110" in m for m in bot.wx.sent_to(chat.openid))


# ---- subscribe, menu, voice, other messages --------------------------------------------------------------------
async def test_subscribe_welcomes_with_tappable_choices(assistant):
    async with running(assistant) as bot:
        chat = Chat(bot, assistant, "subscribe")
        welcome = await chat.send(bot.wx.event(chat.openid, "subscribe", ""))
        assert "普法助手" in welcome and "回复前面的数字" in welcome
        labels = [label for _, _, label in LINK.findall(welcome)]
        assert any("讲座" in label for label in labels) and any("热线" in label for label in labels)
        hotline = await chat.tap("热线")
        assert "110" in hotline
        topics_id = next(menu_id for _, menu_id, label in LINK.findall(welcome) if "主题" in label)
        assert "主题" in await chat.say("📚浏览主题", topics_id)  # a link on an older message still works
        hotline = await chat.click("cmd:hotline")
        assert "1. " not in hotline
        typed = await chat.say("1")  # the numbers of the welcome no longer apply: "1" is just text
        assert typed and "请直接输入您的问题" not in typed
        later = int(time.time()) + 1  # another event (not a retry of the first): another CreateTime
        await chat.send(bot.wx.event(chat.openid, "subscribe", "", create_time=later))
        assert "请直接输入您的问题" in await chat.say("1")  # now it is the welcome's first choice  # now it is the welcome's first choice


async def test_menu_clicks_are_the_same_commands(assistant):
    async with running(assistant) as bot:
        chat = Chat(bot, assistant, "menu")
        direct = assistant.handle(Event(user="cli:menu", command="hotline"))[0].text
        assert direct.split("\n")[0] in await chat.click("cmd:hotline")
        assert "法" in await chat.click("cmd:law")
        assert "/lectures" in await chat.click("cmd:help")
        privacy = await chat.click("cmd:privacy")
        assert "个人信息" in privacy
        assert "普法助手" in await chat.click("something-old")  # a key from an older menu: the main menu


async def test_voice_messages_use_wechat_speech_recognition(assistant):
    async with running(assistant, aes_key=AES_KEY) as bot:
        chat = Chat(bot, assistant, "voice")
        answer = await chat.send(bot.wx.voice(chat.openid, "未保法第七十五条。"))
        assert "第七十五条" in answer
        unclear = await chat.send(bot.wx.voice(chat.openid, None))
        assert "没有识别" in unclear and "打字" in unclear
        assert "文字和语音" in await chat.send(bot.wx.image(chat.openid))
        assert "文字和语音" in await chat.send(bot.wx.location(chat.openid))


async def test_numbers_only_when_links_are_switched_off(assistant):
    async with running(assistant) as bot:
        bot.channel.renderer.links = False
        chat = Chat(bot, assistant, "numbers")
        welcome = await chat.send(bot.wx.event(chat.openid, "subscribe", ""))
        assert "<a " not in welcome and "[1]" in welcome
        number = next(n for n, label in re.findall(r"\[(\d+)\] ([^\n]+?)(?=\s{3}|\n|$)", welcome) if "热线" in label)
        assert "110" in await chat.say(number)


# ---- a lecture sign-up inside WeChat ------------------------------------------------------------------------------
async def test_a_parent_signs_up_for_a_lecture_by_typing_and_tapping(assistant):
    session = new_session(assistant)
    async with running(assistant, aes_key=AES_KEY) as bot:
        chat = Chat(bot, assistant, "parent")
        listing = await chat.click("cmd:lectures")
        assert "浦东" in listing or "讲座" in listing
        detail = await chat.say(next(n for n, label in NUMBERED.findall(listing) if "12月8日" in label))
        assert "浦东图书馆" in detail
        notice = await chat.say(chat.number_of("报名"))
        assert "个人信息" in notice
        name_prompt = await chat.tap("同意")
        assert "姓名" in name_prompt
        assert f"{bot.public_url}/?start=lec_{session.id}" in name_prompt  # the same form on the web page
        assert "身份" in await chat.say("李四")
        phone = await chat.say(chat.number_of("家长"))
        assert "电话" in phone
        wrong = await chat.say("12345")
        assert "电话" in wrong
        attendees = await chat.say("13912345678")
        assert "几人" in attendees
        review = await chat.say("2")  # typed: 2 people (the buttons 1–5 say the same)
        assert "李四" in review and "139" in review and "2" in review
        confirmed = await chat.tap("确认提交")
        ref = re.search(r"JZ-2026-\d{4}", confirmed).group()
        url = re.search(r'<a href="(http[^"]+)">点此下载日历文件</a>', confirmed).group(1)
        assert url.startswith(bot.public_url + "/wechat/file/")
        async with ClientSession() as browser:  # WeChat's built-in browser, without any cookie of ours
            async with browser.get(url) as download:
                assert download.status == 200 and download.headers["Content-Type"].startswith("text/calendar")
                assert b"BEGIN:VCALENDAR" in await download.read()
            async with browser.get(url.split("?k=")[0] + "?k=guessed") as guessed:
                assert guessed.status == 404 and "过期" in await guessed.text()
        assert ref in await chat.click("cmd:my")
        assert "李四" in await chat.click("cmd:privacy")


async def test_a_student_under_14_signs_up_and_the_guardian_consents_from_their_own_wechat(assistant):
    session = new_session(assistant, audience="学生")
    async with running(assistant) as bot:
        chat = Chat(bot, assistant, "student")
        await chat.send(bot.wx.event(chat.openid, "SCAN", f"lec_{session.id}"))  # a QR code for this session
        await chat.tap("报名")
        await chat.tap("同意")
        await chat.say("王小明")
        age = await chat.say(chat.number_of("学生"))
        assert "几周岁" in age
        guardian = await chat.say("12岁")  # typed
        assert "监护人" in guardian
        await chat.say("王大明")
        attendees = await chat.say("13812345678")
        assert "几人" in attendees
        review = await chat.say("1")
        assert "王大明" in review and "12 周岁" in review
        held = await chat.say(chat.number_of("确认提交"))
        ref = re.search(r"JZ-2026-\d{4}", held).group()
        code = re.search(r"交给监护人：([A-Z0-9]{8})", held).group(1)
        assert "还差一步" in held and "直接发送这个确认码" in held
        assert "自己的手机或账号" in await chat.say(code)  # the child's own WeChat cannot consent

        parent = Chat(bot, assistant, "parent")  # the guardian's own WeChat: types the code
        request = await parent.say(f"确认码 {code}")
        assert "王小明" in request and "第三十一条" in request
        thanks = await parent.tap("同意报名")
        assert "已记录您的同意" in thanks
        bot.channel._wake.set()
        told = await bot.wx.wait_sent(chat.openid, len(bot.wx.sent_to(chat.openid)) + 1)
        assert any("监护人已同意，报名成功" in m and ref in m for m in told)
        shown = await chat.click("cmd:privacy")
        assert "王大明" in shown and "同意报名" in shown


# ---- a school booking inside WeChat --------------------------------------------------------------------------------
async def test_a_school_books_a_session_inside_wechat_and_hears_the_decision_there(assistant):
    async with running(assistant) as bot:
        chat = Chat(bot, assistant, "school")
        notice = await chat.click("cmd:book")
        assert "个人信息" in notice
        first = await chat.tap("同意")
        assert "学校" in first and f"{bot.public_url}/?start=book" in first
        for answer in SCHOOL_ANSWERS:  # typed one by one, each accepted
            await chat.say(answer)
        programs = chat.last
        assert "课程" in programs and len(NUMBERED.findall(programs)) >= 2
        topics = await chat.say(NUMBERED.findall(programs)[0][0])
        assert "主题" in topics
        dates = await chat.tap("跳过")
        assert "日期" in dates
        assert "时间段" in await chat.say("12月20日、12月22日")
        assert "说明" in await chat.say(chat.number_of("上午"))
        review = await chat.say("跳过")  # typed, like tapping 跳过
        assert "进才实验小学" in review and "12月20日" in review
        submitted = await chat.tap("确认提交")
        ref = re.search(r"PD-\d{4}-\d{4}", submitted).group()
        alerts = [m.reply for m in assistant.outbox.claim("tg:") if m.user == ADMIN and ref in m.reply.text]
        assert alerts, "staff were not told about the WeChat booking"
        assistant.handle(Event(user=ADMIN, button=f"adm:approve:{ref}", is_admin=True))  # staff, in Telegram
        bot.channel._wake.set()
        told = await bot.wx.wait_sent(chat.openid, len(bot.wx.sent_to(chat.openid)) + 1)
        decision = next(m for m in told if ref in m and "已确认" in m)
        assert "/wechat/file/" in decision and f"{ref}.ics" in decision
        assert ref in await chat.click("cmd:my")


# ---- privacy --------------------------------------------------------------------------------------------------
async def test_forget_deletes_a_wechat_users_data(assistant):
    session = new_session(assistant)
    async with running(assistant) as bot:
        chat = Chat(bot, assistant, "forget")
        await chat.say("/start", None)
        await chat.say(f"/start lec_{session.id}")
        await chat.tap("报名")
        await chat.tap("同意")
        await chat.say("赵六")
        await chat.say(chat.number_of("家长"))
        await chat.say("13912345670")
        await chat.say("1")
        ref = re.search(r"JZ-2026-\d{4}", await chat.tap("确认提交")).group()
        assert "赵六" in await chat.say("/privacy")
        assert "删除" in await chat.say("/forget")
        done = await chat.tap("删除")
        assert "已删除" in done
        held = await chat.say("/privacy")
        assert "赵六" not in held and ref not in held
        assert assistant.state.setting(chat.user, "consent") is None


async def test_unsubscribing_drops_the_users_state(assistant):
    async with running(assistant) as bot:
        chat = Chat(bot, assistant, "leaver")
        await chat.click("cmd:book")
        await chat.tap("同意")
        assert assistant.state.get(chat.user)[0] == "sch"
        result = await bot.send(bot.wx.event(chat.openid, "unsubscribe"))
        assert result.body == "success"
        assert assistant.state.get(chat.user) is None
        assert assistant.state.setting(chat.user, "consent") is None
        assert assistant.state.setting(chat.user, "wechat_choices") is None


# ---- messages from elsewhere ---------------------------------------------------------------------------------------
async def test_reminders_and_notices_for_wechat_users_go_as_customer_service_messages(assistant):
    session = new_session(assistant, starts=NOW + timedelta(hours=12))
    async with running(assistant) as bot:
        chat = Chat(bot, assistant, "reminded")
        await chat.say(f"/start lec_{session.id}")
        await chat.tap("报名")
        await chat.tap("同意")
        await chat.say("钱七")
        await chat.say(chat.number_of("家长"))
        await chat.say("13912345671")
        await chat.say("1")
        assert "JZ-" in await chat.tap("确认提交")
        count = len(bot.wx.sent_to(chat.openid))
        assert bot.channel.queue_reminders() == 1
        assistant.ctx.notify(chat.user, Reply("新讲座通知", [[]]))
        bot.channel._wake.set()
        told = await bot.wx.wait_sent(chat.openid, count + 2)
        assert "浦东图书馆" in told[count] and told[count + 1] == "新讲座通知"
        assert bot.channel.queue_reminders() == 0


async def test_the_web_page_opens_a_form_from_a_wechat_link(assistant):
    async with running(assistant) as bot:
        async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as browser:  # unsafe: cookies for 127.0.0.1
            async with browser.get(bot.public_url + "/?start=book") as page:  # the page; its script then posts:
                assert page.status == 200
            csrf = browser.cookie_jar.filter_cookies(page.url)["pf_csrf"].value
            async with browser.post(bot.public_url + "/api/start", json={"start": "book"},
                                    headers={"X-CSRF-Token": csrf}) as response:
                replies = (await response.json())["replies"]
        assert "个人信息" in replies[0]["text"]
        assert any(b["data"] == "privacy:agree:sch:new" for row in replies[0]["buttons"] for b in row)


async def test_the_form_link_opens_the_form_in_a_real_browser(assistant, tmp_path):
    from tests.test_web_browser import CHROMIUM, chromium

    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium here; CI runs this test")
    async with running(assistant) as bot:
        async with chromium(tmp_path / "profile") as page:
            await page.send("Runtime.enable")
            await page.send("Page.navigate", url=bot.public_url + "/?start=book")
            notice = await page.last_reply("个人信息")
            assert "个人信息" in notice
            assert await page.js("location.search") == ""  # a reload shows the start page, not the form again


# ---- the custom menu --------------------------------------------------------------------------------------------
async def test_the_menu_is_checked_and_published_from_the_command_line(assistant, tmp_content):
    menu = load_menu(REPO / "content", "https://pufa.example.cn")
    keys = [item.get("key") for top in menu["button"] for item in top["sub_button"]]
    assert "cmd:lectures" in keys and "cmd:book" in keys and "cmd:law" in keys
    assert any(item.get("url") == "https://pufa.example.cn/" for top in menu["button"] for item in top["sub_button"])
    broken, original = tmp_content / "wechat_menu.yaml", (tmp_content / "wechat_menu.yaml").read_text(encoding="utf-8")
    for change, problem in ((("/hotline", "/pending"), "pending"), (("name: 讲座预约", "name: 讲座和课程预约"), "太长"),
                            (("url: /", "url: ftp://x"), "https://"), (("command: /privacy}", "command: /privacy, url: /x}"), "二者之一")):
        broken.write_text(original.replace(*change, 1), encoding="utf-8")
        with pytest.raises(ContentError, match=problem):
            load_menu(tmp_content, "https://pufa.example.cn")
    async with running(assistant) as bot:
        env = {**os.environ, "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET,
               "WECHAT_PUBLIC_URL": "https://pufa.example.cn", "WECHAT_API_BASE_URL": bot.wx.api_base_url}
        process = await asyncio.create_subprocess_exec(sys.executable, "bot.py", "wechat", "menu", cwd=REPO, env=env,
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        assert "已发布" in out.decode() and bot.wx.menus == [menu]
        assert APP_SECRET not in out.decode() + err.decode()
        bot.wx.secret = "f" * 32  # the office typed a wrong AppSecret
        process = await asyncio.create_subprocess_exec(sys.executable, "bot.py", "wechat", "menu", cwd=REPO, env=env,
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 1 and "40125" in err.decode() and "AppSecret" in err.decode()
        assert APP_SECRET not in err.decode()


async def test_one_user_cannot_flood_the_channel(assistant):
    async with running(assistant) as bot:
        bot.channel.limiter.per_minute = 2
        chat, other = Chat(bot, assistant, "flood"), Chat(bot, assistant, "calm")
        await chat.say("你好")
        await chat.say("孩子在学校被欺负怎么办")
        assert "太快" in await chat.say("还有别的吗") or "稍等" in chat.last
        assert await chat.send(bot.wx.text(chat.openid, "再问一次")) == ""  # warned once, then quietly ignored
        assert "法律依据" in await other.say("孩子在学校被欺负怎么办")  # nobody else is held up


async def test_wechat_down_or_busy_never_ends_a_message_only_a_refusal_does(assistant):
    """Hours of 5xx, -1 (system busy) and an unreachable API count as tries but end nothing; a message WeChat
    refuses as such is retried a few times only; what expires is shown to staff with its booking."""
    from chat.outbox import MAX_ATTEMPTS, Message
    from chat.types import Reply as Said

    async with running(assistant) as bot:
        user = "wx:" + openid("outage")
        outbox = assistant.outbox
        for code in [-1, -502, -503] * 5:  # WeChat busy, then the HTTP 5xx of a gateway, for many rounds
            bot.wx.fail_next = [code]
            outcome = await bot.channel._send_queued(Message(0, user, Said("座位通知"), "c", 0))
            assert outcome.kind == "transient", code
        bot.wx.fail_next = [45002]  # "content too long": this message itself is refused
        assert (await bot.channel._send_queued(Message(0, user, Said("x"), "c", 0))).kind == "retry"
        await bot.wx.close()  # WeChat not reachable at all
        assert (await bot.channel._send_queued(Message(0, user, Said("x"), "c", 0))).kind == "transient"
    clock = [1_000_000.0]
    from chat.outbox import Outbox
    patient = Outbox(assistant.state, clock=lambda: clock[0])
    patient.put(user, Said("候补递补通知"), ref="JZ-2026-0099")
    for _ in range(MAX_ATTEMPTS * 4):  # far past six failures
        [message] = [m for m in patient.claim("wx:") if m.user == user]
        patient.report(message, Outcome.transient("WeChat -1"))
        clock[0] += 3600
    assert [row["attempts"] for row in patient.waiting(user=user)] == [MAX_ATTEMPTS * 4]
    clock[0] += 8 * 86400  # the outbox's age limit
    assert [m for m in patient.claim("wx:") if m.user == user] == []
    aside = [row for row in patient.set_aside() if row["user"] == user]
    assert aside[0]["ref"] == "JZ-2026-0099" and aside[0]["error"] == "expired after WeChat -1"


async def test_one_slow_answer_does_not_hold_up_another_users_passive_reply(assistant):
    async with running(assistant) as bot:
        slow, quick = openid("slow-one"), openid("quick-one")
        turn = bot.channel._turn

        def sometimes_slow(user, kind, payload):
            if user.endswith(slow):
                time.sleep(1.5)  # e.g. a year of statistics; still within the passive reply's budget
            return turn(user, kind, payload)
        bot.channel._turn = sometimes_slow
        first = asyncio.create_task(bot.send(bot.wx.text(slow, "未保法第75条")))
        await asyncio.sleep(0.1)
        second = await bot.send(bot.wx.text(quick, "未保法第75条"))
        assert second.status == 200 and "第七十五条" in second.content and second.seconds < 1.0, second.seconds
        assert "第七十五条" in (await first).content
