"""The web channel through its HTTP API: the same Assistant flows, behind cookies, CSRF checks and limits."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from chat.types import Event, Reply
from tests.chat_fixtures import ADMIN, NOW, SCHOOL_ANSWERS, make_assistant
from web.app import SESSIONS, build_web_app, queue_reminders
from web.sessions import CSRF_COOKIE, SESSION_COOKIE
from web.settings import WebSettings

pytestmark = pytest.mark.asyncio
QUESTION = "孩子在学校被欺负怎么办"


@pytest.fixture(scope="module")
def assistant(engine, tmp_path_factory):
    helper = make_assistant(engine, tmp_path_factory.mktemp("web"))
    yield helper
    helper.close()


@contextlib.asynccontextmanager
async def browser(assistant, **settings):
    """A client with its own cookie jar, i.e. one browser, that has loaded the page once."""
    async with TestClient(TestServer(build_web_app(assistant, WebSettings(**settings)))) as client:
        assert (await client.get("/")).status == 200
        yield client


def cookie(client: TestClient, name: str) -> str:
    return client.session.cookie_jar.filter_cookies(client.make_url("/"))[name].value


def user_of(client: TestClient) -> str:
    """The Assistant's user key for this browser's session (the server's own record of it)."""
    return client.server.app[SESSIONS].find(cookie(client, SESSION_COOKIE)).user


async def post(client: TestClient, path: str, body: dict, status: int = 200, **headers) -> dict:
    headers = {"X-CSRF-Token": cookie(client, CSRF_COOKIE), **headers}
    response = await client.post(path, json=body, headers=headers)
    assert response.status == status, await response.text()
    return await response.json()


async def say(client: TestClient, text: str) -> list[dict]:
    return (await post(client, "/api/message", {"text": text}))["replies"]


async def press(client: TestClient, data: str) -> list[dict]:
    return (await post(client, "/api/button", {"data": data}))["replies"]


async def start(client: TestClient, payload: str | None = None) -> dict:
    return await post(client, "/api/start", {"start": payload} if payload else {})


async def inbox(client: TestClient) -> list[dict]:
    return (await post(client, "/api/inbox", {}))["inbox"]


def buttons(replies: list[dict]) -> dict[str, str]:
    """Button label -> callback data, over all replies."""
    return {b["label"]: b["data"] for r in replies for row in r["buttons"] for b in row}


def new_session(assistant, starts=NOW + timedelta(days=10), capacity=5):
    return assistant.desk.lectures.create_session(
        program_id="family-education", title="", starts_at=starts, ends_at=starts + timedelta(hours=1),
        venue="浦东图书馆", street="花木", audience="家长", capacity=capacity,
        deadline=starts - timedelta(hours=2), created_by=ADMIN, now=NOW)


# ---- the page and its cookies ------------------------------------------------------------------------
async def test_page_sets_an_httponly_session_cookie_and_security_headers(assistant):
    async with TestClient(TestServer(build_web_app(assistant, WebSettings()))) as client:
        response = await client.get("/")
        assert response.status == 200 and "普法助手" in await response.text()
        cookies = {c.split("=", 1)[0]: c for c in response.headers.getall("Set-Cookie")}
        assert "HttpOnly" in cookies[SESSION_COOKIE] and "SameSite=Lax" in cookies[SESSION_COOKIE]
        assert "HttpOnly" not in cookies[CSRF_COOKIE] and "SameSite=Lax" in cookies[CSRF_COOKIE]
        assert "Secure" not in cookies[SESSION_COOKIE]
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Frame-Options"] == "DENY"
        again = await client.get("/")
        assert "Set-Cookie" not in again.headers  # the session is kept, not renewed on every load


async def test_secure_cookies_when_served_over_https(assistant):
    async with TestClient(TestServer(build_web_app(assistant, WebSettings(cookie_secure=True)))) as client:
        response = await client.get("/")
        assert all("Secure" in c for c in response.headers.getall("Set-Cookie"))


async def test_static_files_and_unknown_paths(assistant):
    async with browser(assistant) as client:
        script = await client.get("/static/app.js")
        assert script.status == 200 and script.headers["X-Content-Type-Options"] == "nosniff"
        assert "innerHTML" not in await script.text()
        missing = await client.get("/api/nothing")
        assert missing.status == 404 and "没有这个地址" in (await missing.json())["error"]


async def test_start_shows_the_welcome_and_main_menu(assistant):
    async with browser(assistant) as client:
        data = await start(client)
        assert "普法助手" in data["replies"][0]["text"]
        assert "menu:lectures" in buttons(data["replies"]).values()
        response = await client.post("/api/start", json={}, headers={"X-CSRF-Token": cookie(client, CSRF_COOKIE)})
        assert response.headers["Cache-Control"] == "no-store"


# ---- questions and articles ----------------------------------------------------------------------------
async def test_question_gets_legal_basis_and_source_buttons_that_open_the_article(assistant):
    async with browser(assistant) as client:
        replies = await say(client, QUESTION)
        assert "法律依据" in replies[0]["text"] and "\n" in replies[0]["text"]
        sources = {label: data for label, data in buttons(replies).items() if label.startswith("查看原文")}
        assert sources and all(data.startswith("art:") for data in sources.values())
        label, data = next(iter(sources.items()))
        article = await press(client, data)
        assert label.split("：")[1].split("第")[1] in article[0]["text"]  # e.g. 一百三十条
        assert len(article[0]["text"]) > 40 and not article[0]["edit"]


async def test_commands_work_as_typed_text(assistant):
    async with browser(assistant) as client:
        assert "/lectures" in (await say(client, "/help"))[0]["text"]
        assert "第七十五条" in (await say(client, "/law 75"))[0]["text"]
        staff = await say(client, "/pending")  # web users are never staff
        assert "JZ-" not in staff[0]["text"] and "XJ-" not in staff[0]["text"]


# ---- protections -----------------------------------------------------------------------------------------
async def test_missing_or_wrong_csrf_token_is_refused(assistant):
    async with browser(assistant) as client:
        bare = await client.post("/api/message", json={"text": QUESTION})
        assert bare.status == 403 and "刷新" in (await bare.json())["error"]
        await post(client, "/api/message", {"text": QUESTION}, 403, **{"X-CSRF-Token": "x" * 32})
        await post(client, "/api/button", {"data": "menu:hotline"}, 403, **{"X-CSRF-Token": ""})
        await post(client, "/api/message", {"text": QUESTION}, 403, Origin="https://evil.example")
        await post(client, "/api/message", {"text": QUESTION}, 403, Origin="null")
        await post(client, "/api/message", {"text": QUESTION}, 403, **{"Sec-Fetch-Site": "cross-site"})
        await post(client, "/api/message", {"text": QUESTION}, 200, Origin=str(client.make_url("")).rstrip("/"))


async def test_a_fresh_browser_without_cookies_cannot_post(assistant):
    async with TestClient(TestServer(build_web_app(assistant, WebSettings()))) as client:
        response = await client.post("/api/message", json={"text": QUESTION}, headers={"X-CSRF-Token": "a" * 32})
        assert response.status == 403


async def test_oversize_and_malformed_bodies_are_refused_in_chinese(assistant):
    async with browser(assistant) as client:
        big = await post(client, "/api/message", {"text": "欺" * 5000}, 413)
        assert "太长" in big["error"]
        headers = {"X-CSRF-Token": cookie(client, CSRF_COOKIE), "Content-Type": "application/json"}
        broken = await client.post("/api/message", data=b"{not json", headers=headers)
        assert broken.status == 400 and "格式" in (await broken.json())["error"]
        await post(client, "/api/message", {"text": ["list"]}, 400)
        await post(client, "/api/button", {"data": "x" * 65}, 400)
        form = await client.post("/api/message", data={"text": QUESTION}, headers={"X-CSRF-Token": headers["X-CSRF-Token"]})
        assert form.status == 400


async def test_rate_limit_per_session(assistant):
    async with browser(assistant, rate_limit_per_minute=3) as client:
        for _ in range(3):
            await post(client, "/api/button", {"data": "menu:hotline"})
        refused = await post(client, "/api/button", {"data": "menu:hotline"}, 429)
        assert "稍等" in refused["error"]
        async with browser(assistant, rate_limit_per_minute=3) as other:  # another app: its own limiter
            await post(other, "/api/button", {"data": "menu:hotline"})


async def test_rate_limit_per_address_covers_every_session(assistant):
    async with TestClient(TestServer(build_web_app(assistant, WebSettings(ip_rate_limit_per_minute=3)))) as client:
        for _ in range(3):
            client.session.cookie_jar.clear()  # a new session each time does not help
            assert (await client.get("/")).status == 200
        client.session.cookie_jar.clear()
        refused = await client.get("/")
        assert refused.status == 429 and "稍等" in (await refused.json())["error"]
        assert refused.headers["Retry-After"]


async def test_access_log_holds_no_user_data(assistant, caplog):
    caplog.set_level(logging.INFO, logger="web")
    async with browser(assistant) as client:
        await say(client, "我的电话是13912345678，孩子被欺负")
        await post(client, "/api/inbox?phone=13987654321", {})
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("web")]
    assert any(line.startswith("POST /api/message 200 ") for line in lines)
    assert "POST /api/inbox 200" in " ".join(lines)
    assert not any("139" in line or "欺负" in line for line in lines)


# ---- sessions ---------------------------------------------------------------------------------------------
async def test_two_browsers_do_not_see_each_others_forms_or_files(assistant):
    session = new_session(assistant)
    async with browser(assistant) as alice, browser(assistant) as bob:
        assert user_of(alice) != user_of(bob) and user_of(alice).startswith("web:")
        await press(alice, f"lec:join:{session.id}")
        name_prompt = await press(alice, f"privacy:agree:lec:join:{session.id}")
        assert "姓名" in name_prompt[0]["text"]
        answer = await say(bob, "王五")  # Bob is not in Alice's form: this is just a question to him
        assert "身份" not in answer[0]["text"]
        assert "lec:pick:role:0" not in buttons(answer).values()
        assert "lec:pick:role:0" in buttons(await say(alice, "王五")).values()
        expired = await press(bob, "lec:ok")
        assert "JZ-" not in expired[0]["text"]
        await press(alice, "lec:pick:role:0")
        await say(alice, "13912345678")
        done = await press(alice, "lec:pick:attendees:0")
        confirmed = await press(alice, "lec:ok")
        assert "JZ-" in confirmed[0]["text"], done
        url = confirmed[0]["attachment"]["url"]
        assert (await bob.get(url)).status == 404
        assert "李四" not in (await say(bob, "/privacy"))[0]["text"]
        assert "JZ-" not in (await say(bob, "/my"))[0]["text"]


async def test_lecture_sign_up_with_consent_and_calendar_download(assistant):
    session = new_session(assistant)
    async with browser(assistant) as client:
        listing = await say(client, "/lectures")
        view = next(data for data in buttons(listing).values() if data == f"lec:view:{session.id}")
        detail = await press(client, view)
        assert "浦东图书馆" in detail[0]["text"]
        notice = await press(client, buttons(detail)[next(iter(buttons(detail)))])
        assert "个人信息" in notice[0]["text"]
        agree, disagree = (b["data"] for b in notice[0]["buttons"][0])
        assert disagree == "privacy:no"
        assert "姓名" in (await press(client, agree))[0]["text"]
        role = await say(client, "李四")
        assert "lec:pick:role:0" in buttons(role).values()
        assert "电话" in (await press(client, "lec:pick:role:0"))[0]["text"]
        wrong = await say(client, "12345")
        assert wrong[0]["error"] and "电话" in wrong[0]["text"]
        attendees = await say(client, "13912345678")
        review = await press(client, buttons(attendees)["1"])
        assert "李四" in review[0]["text"] and "139" in review[0]["text"]
        confirmed = await press(client, "lec:ok")
        assert "JZ-2026-" in confirmed[0]["text"]
        file = confirmed[0]["attachment"]
        assert file["filename"].startswith("JZ-2026-") and file["filename"].endswith(".ics")
        download = await client.get(file["url"])
        assert download.status == 200 and download.headers["Content-Type"].startswith("text/calendar")
        assert "attachment" in download.headers["Content-Disposition"]
        assert b"BEGIN:VCALENDAR" in await download.read()
        assert file["filename"].split(".")[0] in (await say(client, "/my"))[0]["text"]
        gone = await client.get("/api/attachment/nosuchfile")
        assert gone.status == 404 and "过期" in (await gone.json())["error"]


async def test_edit_replies_are_marked_for_the_page(assistant):
    async with browser(assistant) as client:
        law_menu = await press(client, "menu:law")
        assert law_menu[0]["edit"]


# ---- messages for web users from elsewhere ------------------------------------------------------------------
async def test_inbox_delivers_messages_for_this_session_once(assistant):
    async with browser(assistant) as client, browser(assistant) as other:
        assistant.ctx.notify(user_of(client), Reply("您已从候补转为正式报名。"))
        assert await inbox(other) == []
        first = await inbox(client)
        assert [m["text"] for m in first] == ["您已从候补转为正式报名。"]
        assert await inbox(client) == []
        assistant.ctx.notify(user_of(client), Reply("第二条"))
        replies = await post(client, "/api/button", {"data": "menu:hotline"})
        assert [m["text"] for m in replies["inbox"]] == ["第二条"]


async def test_due_reminders_for_web_users_wait_in_their_inbox(assistant):
    session = new_session(assistant, starts=NOW + timedelta(hours=12))
    async with browser(assistant) as client:
        await press(client, f"privacy:agree:lec:join:{session.id}")
        await say(client, "赵六")
        await press(client, "lec:pick:role:0")
        await say(client, "13912345679")
        await press(client, "lec:pick:attendees:0")
        assert "JZ-" in (await press(client, "lec:ok"))[0]["text"]
        assert queue_reminders(assistant) >= 1
        waiting = await inbox(client)
        assert len(waiting) == 1 and "浦东图书馆" in waiting[0]["text"]
        assert queue_reminders(assistant) == 0


async def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_limit(assistant):
    settings = {"trust_proxy": True, "ip_rate_limit_per_minute": 1}
    async with TestClient(TestServer(build_web_app(assistant, WebSettings(**settings)))) as client:
        first = {"X-Forwarded-For": "203.0.113.7, 198.51.100.1"}
        assert (await client.get("/", headers=first)).status == 200
        assert (await client.get("/", headers={"X-Forwarded-For": "198.51.100.2"})).status == 200
        assert (await client.get("/", headers=first)).status == 429


async def test_a_school_booking_from_the_web_reaches_staff_and_their_answer_reaches_the_page(assistant):
    async with browser(assistant) as school:
        await say(school, "/book")
        await press(school, "privacy:agree:sch:new")
        for answer in SCHOOL_ANSWERS:
            await say(school, answer)
        await press(school, "sch:pick:program_id:0")
        await press(school, "sch:skip")
        await say(school, "12月20日、12月22日")
        await press(school, "sch:pick:time_of_day:0")
        await press(school, "sch:skip")
        submitted = await press(school, "sch:ok")
        ref = re.search(r"PD-\d{4}-\d{4}", submitted[0]["text"]).group()
        alerts = [m.reply for m in assistant.outbox.claim("tg:") if m.user == ADMIN and ref in m.reply.text]
        assert alerts, "staff were not told about the web booking"
        pending = assistant.handle(Event(user=ADMIN, command="pending", is_admin=True))
        assert ref in " ".join(r.text for r in pending)  # one list for web and Telegram bookings
        assistant.handle(Event(user=ADMIN, button=f"adm:approve:{ref}", is_admin=True))
        told = await inbox(school)
        assert ref in told[0]["text"] and told[0]["attachment"]["filename"] == f"{ref}.ics"
        assert (await school.get(told[0]["attachment"]["url"])).status == 200


async def test_a_crisis_reply_offers_tap_to_call_numbers(assistant):
    async with browser(assistant) as client:
        replies = await say(client, "我被锁在门外了 外面在下大雨 我爸不让我进门")
        assert replies[0]["calls"][0] == "110"
        assert all(number.isdigit() for number in replies[0]["calls"])


# ---- concurrency -------------------------------------------------------------------------------------------
async def test_a_slow_request_stalls_no_other_session_and_one_sessions_requests_keep_their_order(assistant,
                                                                                                  monkeypatch):
    real, finished = assistant.handle, []

    def handle(event):
        if event.text == "慢":
            time.sleep(1.0)  # a big export, say: on the worker thread
        replies = real(event)
        finished.append(event.text or event.command)
        return replies

    monkeypatch.setattr(assistant, "handle", handle)
    async with browser(assistant) as slow, browser(assistant) as quick:
        started = time.monotonic()
        first = asyncio.create_task(say(slow, "慢"))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(say(slow, "/help"))  # the same session: must wait its turn
        await say(quick, "/help")
        assert time.monotonic() - started < 0.8, "another session waited for the slow request"
        await asyncio.gather(first, second)
    assert finished.index("慢") < len(finished) - 1 and finished[-1] == "help"
