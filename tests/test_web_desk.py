"""The office's desk at /staff over HTTP: accounts, sign-in limits, the staff cookie, CSRF and every page's action."""
from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from chat.outbox import Outcome
from chat.types import Event, Reply
from tests.chat_fixtures import ADMIN, NOW, book_school, make_assistant, take_outbox
from web.app import build_web_app
from web.settings import WebSettings

pytestmark = pytest.mark.asyncio
PASSWORD = "春天的浦东新区有很多树"


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def assistant(engine, tmp_path, clock):
    helper = make_assistant(engine, tmp_path, clock=clock)
    yield helper
    helper.close()


def staff_account(assistant, name="王丽", email="wangli@example.cn"):
    _, key = assistant.desk.accounts.add(name, email, "cli:test", NOW)
    assistant.desk.accounts.set_password(key, PASSWORD, NOW)


async def client_for(assistant, **settings) -> TestClient:
    client = TestClient(TestServer(build_web_app(assistant, WebSettings(**settings))))
    await client.start_server()
    return client


async def sign_in(client, name="王丽", password=PASSWORD):
    return await client.post("/staff/login", data={"name": name, "password": password}, allow_redirects=False)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def page(client, path):
    response = await client.get(path)
    assert response.status == 200, (path, response.status, await response.text())
    return await response.text()


async def post(client, path, data, csrf_from="/staff"):
    data = {"csrf": csrf_of(await page(client, csrf_from)), **data}
    response = await client.post(path, data=data, allow_redirects=False)
    assert response.status == 303, await response.text()
    return await page(client, response.headers["Location"])


async def test_set_up_link_sign_in_cookie_and_sign_out(assistant):
    _, key = assistant.desk.accounts.add("王丽", "", "cli:test", NOW)
    client = await client_for(assistant, cookie_secure=True)
    try:
        assert (await client.get("/staff", allow_redirects=False)).headers["Location"] == "/staff/login"
        form = await page(client, f"/staff/setup?key={key}")
        assert "王丽" in form
        short = await client.post("/staff/setup", data={"key": key, "password": "short", "again": "short"})
        assert short.status == 400 and "至少 10" in await short.text()
        done = await client.post("/staff/setup", data={"key": key, "password": PASSWORD, "again": PASSWORD},
                                 allow_redirects=False)
        assert done.status == 303 and done.headers["Location"] == "/staff"  # signed in at once, no second step
        client.session.cookie_jar.update_cookies({"pf_staff": done.cookies["pf_staff"].value})  # plain http here
        assert "密码已设置" in await page(client, "/staff")
        client.session.cookie_jar.clear()
        assert (await client.get(f"/staff/setup?key={key}")).status == 404  # the link works once

        response = await sign_in(client)
        assert response.status == 303
        cookie = response.headers["Set-Cookie"]
        assert "pf_staff=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert "Secure" in cookie and "Path=/staff" in cookie
        client.session.cookie_jar.update_cookies({"pf_staff": response.cookies["pf_staff"].value})  # plain http here
        todo = await page(client, "/staff")
        assert "待办" in todo and "邮件通知未开启" in todo
        assert "script" not in todo.lower()
        out = await client.post("/staff/logout", data={"csrf": csrf_of(todo)}, allow_redirects=False)
        assert out.status == 303
        assert (await client.get("/staff", allow_redirects=False)).status == 303
        actions = [e.action for e in assistant.desk.store.audit_log(target="staff:王丽")]
        assert {"staff_add", "staff_password_set", "sign_in", "sign_out"} <= set(actions)
    finally:
        await client.close()


async def test_sign_in_waits_after_wrong_passwords_and_is_throttled_per_name_and_address(assistant, clock):
    staff_account(assistant)
    client = await client_for(assistant)
    try:
        answers = []
        for _ in range(5):
            wrong = await sign_in(client, password="wrong-password")
            answers.append((wrong.status, await wrong.text()))
        waiting = await sign_in(client)  # the right password waits too, and says nothing more
        answers.append((waiting.status, await waiting.text()))
        unknown = await sign_in(client, name="没有这个人")  # an unknown name reads exactly the same
        answers.append((unknown.status, await unknown.text()))
        assert len(set(answers)) == 1 and answers[0][0] == 401 and "姓名或密码不对" in answers[0][1]
        for _ in range(4):
            await sign_in(client)
        throttled = await sign_in(client)  # the 11th attempt at this name from this address within a minute
        assert throttled.status == 429 and "太频繁" in await throttled.text()
        assert (await sign_in(client, name="没有这个人")).status == 401  # another name is not held up by it
        clock.now = NOW + timedelta(minutes=2)
        assert (await sign_in(client)).status == 303  # the wait is over
    finally:
        await client.close()


async def test_a_sign_in_does_not_stall_other_requests(assistant, clock):
    """scrypt runs on a worker thread: the chat page answers while passwords are checked."""
    staff_account(assistant)
    client = await client_for(assistant)
    try:
        loop = asyncio.get_running_loop()
        ticks: list[float] = []

        async def ticker():
            while True:
                ticks.append(loop.time())
                await asyncio.sleep(0.005)
        task = asyncio.create_task(ticker())
        for n in range(3):
            await sign_in(client, name=f"无此人{n}")
        task.cancel()
        gaps = sorted(b - a for a, b in zip(ticks, ticks[1:]))
        assert len(gaps) > 10 and gaps[-2] < 0.08, gaps[-3:]  # one scrypt on the loop takes 0.09–0.13 s
    finally:
        await client.close()


async def test_the_staff_cookie_and_the_chat_cookie_do_not_mix(assistant, clock):
    staff_account(assistant)
    client = await client_for(assistant)
    try:
        staff_token = (await sign_in(client)).cookies["pf_staff"].value
        chat = await client.get("/")
        chat_token = chat.cookies["pf_session"].value
        # the staff token presented as the chat's session is not accepted: a fresh anonymous session is issued
        other = TestClient(TestServer(client.server.app))
        await other.start_server()
        try:
            other.session.cookie_jar.update_cookies({"pf_session": staff_token})
            answer = await other.get("/")
            assert answer.cookies["pf_session"].value not in (staff_token, "")
            # the chat's session presented as the staff cookie opens nothing
            other.session.cookie_jar.clear()
            other.session.cookie_jar.update_cookies({"pf_staff": chat_token})
            assert (await other.get("/staff", allow_redirects=False)).status == 303
            # and the public chat never gets staff rights from a signed-in browser
            staff_cmd = await client.post("/api/message", json={"text": "/pending"},
                                          headers={"X-CSRF-Token": chat.cookies["pf_csrf"].value})
            assert "仅限" in (await staff_cmd.json())["replies"][0]["text"]
        finally:
            await other.close()
        # signing in again rotates the token; the old one is dead
        second = (await sign_in(client)).cookies["pf_staff"].value
        assert second != staff_token and assistant.desk.accounts.session(staff_token, clock.now) is None
        # inactivity ends the session
        clock.now = NOW + timedelta(minutes=31)
        assert (await client.get("/staff", allow_redirects=False)).status == 303
    finally:
        await client.close()


async def test_a_post_without_the_csrf_token_or_from_another_site_is_refused(assistant):
    staff_account(assistant)
    book_school(assistant)
    client = await client_for(assistant)
    try:
        await sign_in(client)
        bare = await client.post("/staff/booking/PD-2026-0001/approve", data={"date": "2026-12-20"})
        assert bare.status == 403
        token = csrf_of(await page(client, "/staff"))
        foreign = await client.post("/staff/booking/PD-2026-0001/approve", data={"csrf": token},
                                    headers={"Origin": "https://evil.example"})
        assert foreign.status == 403
        assert assistant.desk.schools.get("PD-2026-0001").status == "待审核"
    finally:
        await client.close()


async def test_booking_loop_on_the_desk_and_in_chat(assistant):
    staff_account(assistant)
    book_school(assistant)  # a school in Telegram: tg:3, preferred 12月20日、12月22日
    client = await client_for(assistant)
    try:
        await sign_in(client)
        todo = await page(client, "/staff")
        assert "PD-2026-0001" in todo and "新的预约（1）" in todo
        detail = await page(client, "/staff/booking/PD-2026-0001")
        assert "2026-12-22" in detail and "张老师" in detail and "zhang@school.sh.cn" in detail
        shown = await post(client, "/staff/booking/PD-2026-0001/propose",
                           {"date": "12月23号下午", "note": "16和18号讲师都排满了"}, "/staff/booking/PD-2026-0001")
        assert "已改期待确认" in shown
        booking = assistant.desk.schools.get("PD-2026-0001")
        assert booking.scheduled_date.isoformat() == "2026-12-23" and booking.time_text == "下午"
        told = [r for u, r in take_outbox(assistant) if u == "tg:3"]
        assert "16和18号讲师都排满了" in told[0].text and "下午" in told[0].text
        # the school proposes other dates from its chat; staff see it in 待办
        assistant.handle(Event(user="tg:3", button="sch:counter:PD-2026-0001"))
        assistant.handle(Event(user="tg:3", text="12月28日上午，23号学校有考试"))
        alert = [r for u, r in take_outbox(assistant) if u == ADMIN]
        assert "另提了" in alert[0].text and "12月28日" in alert[0].text
        assert "学校另提了日期（1）" in await page(client, "/staff")
        # approve on the school's (new) preferred date
        shown = await post(client, "/staff/booking/PD-2026-0001/approve", {"date": "2026-12-28"},
                           "/staff/booking/PD-2026-0001")
        assert "已确认" in shown and "王丽" in shown  # the history names who did it
        assert assistant.desk.schools.get("PD-2026-0001").scheduled_date.isoformat() == "2026-12-28"
        # a second decision is refused clearly
        again = await post(client, "/staff/booking/PD-2026-0001/decline", {"reason": "重复"}, "/staff")
        assert "已经处理过" in again
        audit = assistant.desk.store.audit_log(target="PD-2026-0001")
        assert {e.actor for e in audit if e.action.startswith("decide")} == {"staff:王丽"}
        # the school withdraws; staff see the withdrawal and mark it seen
        assistant.handle(Event(user="tg:3", button="sch:withdrawok:PD-2026-0001"))
        assert "学校的答复和撤回（1）" in await page(client, "/staff")
        await post(client, "/staff/booking/PD-2026-0001/ack", {}, "/staff/booking/PD-2026-0001")
        assert "学校的答复和撤回（0）" in await page(client, "/staff")
    finally:
        await client.close()


async def test_sessions_share_link_qr_stats_and_questions(assistant):
    staff_account(assistant)
    client = await client_for(assistant, public_url="https://pufa.example.cn", bot_username="pd_pufa_bot")
    try:
        await sign_in(client)
        form = {"program_id": "family-education", "title": "", "starts_at": "12月19日下午2点", "minutes": "90",
                "venue": "浦东图书馆报告厅", "street": "花木", "audience": "家长", "capacity": "2",
                "deadline": "12月18日晚上6点"}
        shown = await post(client, "/staff/sessions", form, "/staff/sessions")
        assert "已创建场次" in shown
        session = assistant.desk.lectures.upcoming_sessions(NOW)[0]
        assert session.starts_at.strftime("%m-%d %H:%M") == "12-19 14:00"
        assert session.created_by == "staff:王丽"
        detail = await page(client, f"/staff/sessions/{session.id}")
        assert f"https://pufa.example.cn/?start=lec_{session.id}" in detail
        assert f"https://t.me/pd_pufa_bot?start=lec_{session.id}" in detail
        qr = await client.get(f"/staff/sessions/{session.id}/qr.svg")
        assert qr.content_type == "image/svg+xml" and (await qr.text()).startswith("<svg")
        bad = await post(client, "/staff/sessions", {**form, "starts_at": "下午两点"}, "/staff/sessions")
        assert "日期" in bad and 'class="error"' in bad

        assistant.desk.lectures.sign_up(session.id, "tg:6", "李四", "13912345678", "家长", 2, NOW)
        [answer] = assistant.handle(Event(user="tg:5", text="孩子在学校被欺负怎么办"))
        down = next(b.data for row in answer.buttons for b in row if b.data.startswith("fb:down:"))
        assistant.handle(Event(user="tg:5", button=down))
        assistant.handle(Event(user="tg:5", text="股票怎么买"))
        assistant.handle(Event(user="tg:5", text="邻居家的狗半夜叫个不停影响孩子学习"))
        stats = await page(client, "/staff/stats")
        assert stats.count("<svg") >= 4 and "每周提问数" in stats and "花木" in stats
        csv = await client.get("/staff/stats/outcomes.csv")
        assert (await csv.read()).startswith("\ufeff".encode()) and "text/csv" in csv.headers["Content-Type"]

        improve = await page(client, "/staff/improve")
        rows = re.findall(r'name="id" value="(\d+)"', improve)
        assert rows and "最接近的三个条目" in improve
        export = (await (await client.get("/staff/improve.csv")).read()).decode("utf-8-sig")
        assert "最接近的条目1" in export
        after = await post(client, "/staff/improve", {"id": rows, "reason": "已转给内容组"}, "/staff/improve")
        assert "已将" in after and not re.findall(r'name="id" value="(\d+)"', after)

        await post(client, f"/staff/sessions/{session.id}/cancel", {"sure": "1"}, f"/staff/sessions/{session.id}")
        assert assistant.desk.lectures.get_session(session.id).status == "cancelled"
    finally:
        await client.close()


async def test_a_slow_desk_page_does_not_stall_the_chat(assistant, monkeypatch):
    import asyncio
    import time

    staff_account(assistant)
    real = assistant.office.tables

    def slow_tables():
        time.sleep(1.0)  # a year of statistics, say
        return real()

    monkeypatch.setattr(assistant.office, "tables", slow_tables)
    client = await client_for(assistant)
    try:
        response = await sign_in(client)
        client.session.cookie_jar.update_cookies({"pf_staff": response.cookies["pf_staff"].value})
        started = time.monotonic()
        stats = asyncio.create_task(client.get("/staff/stats"))
        await asyncio.sleep(0.1)
        assert (await client.get("/")).status == 200  # the chat page is served meanwhile
        assert time.monotonic() - started < 0.7, "the chat waited for the staff page"
        assert (await stats).status == 200
    finally:
        await client.close()


async def test_the_desk_lists_same_network_consents_to_call_back_and_set_aside_notifications(assistant, clock):
    from booking.consent import Guardian

    staff_account(assistant)
    lectures = assistant.desk.lectures
    session = lectures.create_session("family-education", "", NOW + timedelta(days=10),
                                      NOW + timedelta(days=10, hours=1), "浦东图书馆", "花木", "家长", 5,
                                      NOW + timedelta(days=9), ADMIN, now=NOW)
    held = lectures.sign_up(session.id, "web:child", "王小明", "13812345678", "学生", 1, NOW,
                            guardian=("王丽丽", "13912345678"), age=12, origin="ip:198.51.100.4")
    lectures.confirm_consent(held.consent_code, Guardian("web:older-tab", 86400.0, "ip:198.51.100.4"), True, NOW)
    outbox = assistant.outbox
    outbox.put("wx:oParent", Reply("监护人已同意"), ref=held.ref)
    [message] = [m for m in outbox.claim("wx:") if m.user == "wx:oParent"]
    outbox.report(message, Outcome.failed("WeChat 43004"))
    client = await client_for(assistant)
    try:
        await sign_in(client)
        todo = await page(client, "/staff")
        assert "同一网络确认" in todo and "王小明" in todo and "139 1234 5678" in todo and held.ref in todo
        assert "没能送达的通知" in todo and "WeChat 43004" in todo
        done = await post(client, f"/staff/called-back/{held.ref}", {"agree": "yes"})
        assert "已电话核实" in done and "同一网络确认" not in done  # the list is empty now
        assert lectures.to_call_back(NOW) == [] and lectures.my_registrations("web:child")[0].status == "confirmed"
        other = lectures.sign_up(session.id, "web:child2", "李小红", "13812345670", "学生", 1, NOW,
                                 guardian=("李强", "13912345670"), age=11, origin="ip:198.51.100.5")
        lectures.confirm_consent(other.consent_code, Guardian("web:tab", 86400.0, "ip:198.51.100.5"), True, NOW)
        take_outbox(assistant)
        refused = await post(client, f"/staff/called-back/{other.ref}", {"agree": "no"})
        assert "没有同意" in refused and "李小红" not in refused
        [reg] = lectures.my_registrations("web:child2")
        assert (reg.status, reg.name, reg.guardian_phone) == ("cancelled", "", "")
        assert any(user == "web:child2" and "没有同意" in told.text for user, told in take_outbox(assistant))
    finally:
        await client.close()
