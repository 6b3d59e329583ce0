"""Web sessions the server issues (made-up cookies get a fresh session), rotation on consent, idle expiry,
GETs that change nothing, sign-up bursts from one address, and the proxy's hop as the client address."""
from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from booking import BookingDesk, SignupLimits
from chat.assistant import Assistant
from chat.state import ChatState
from chat.texts import Texts
from chat.types import Reply
from runtime.settings import REPO
from tests.chat_fixtures import ADMIN, NOW
from tests.test_web_api import buttons, cookie, inbox, new_session, post, press, say, start, user_of
from web.app import SESSIONS, build_web_app
from web.guards import client_address
from web.sessions import CSRF_COOKIE, SESSION_COOKIE, SessionStore, new_token
from web.settings import WebSettings

pytestmark = pytest.mark.asyncio


def make(engine, tmp_path, **limits) -> Assistant:
    desk = BookingDesk(tmp_path / "bookings.sqlite", REPO / "content", SignupLimits(**limits))
    return Assistant(engine, ChatState(tmp_path / "chat.sqlite"), Texts(REPO / "content"), desk, admins=(ADMIN,),
                     clock=lambda: NOW)


@pytest.fixture
def assistant(engine, tmp_path):
    helper = make(engine, tmp_path)
    yield helper
    helper.close()


@contextlib.asynccontextmanager
async def browser(assistant, load: bool = True, **settings):
    async with TestClient(TestServer(build_web_app(assistant, WebSettings(**settings)))) as client:
        if load:
            assert (await client.get("/")).status == 200
        yield client


def set_cookies(response) -> dict[str, str]:
    return {c.split("=", 1)[0]: c.split("=", 1)[1].split(";")[0] for c in response.headers.getall("Set-Cookie", [])}


async def sign_up(client, session_id: int, name: str, phone: str, attendees: str = "1") -> list[dict]:
    await press(client, f"privacy:agree:lec:join:{session_id}")
    await say(client, name)
    await press(client, "lec:pick:role:0")
    await say(client, phone)
    typed = await say(client, attendees)
    if typed[0]["error"]:  # refused at once, with a second chance
        return typed
    return await press(client, "lec:ok")


async def test_made_up_session_and_csrf_cookies_get_a_fresh_server_session(assistant):
    made_up_session, made_up_csrf = new_token(), new_token()
    assistant.ctx.notify("web:" + made_up_session, Reply("别人的消息"))  # whatever such a key might hold
    async with browser(assistant, load=False) as client:
        client.session.cookie_jar.update_cookies({SESSION_COOKIE: made_up_session, CSRF_COOKIE: made_up_csrf})
        refused = await client.post("/api/message", json={"text": "你好"}, headers={"X-CSRF-Token": made_up_csrf})
        assert refused.status == 403  # the made-up pair matches no session the server issued
        fresh = set_cookies(refused)
        assert fresh[SESSION_COOKIE] not in ("", made_up_session) and fresh[CSRF_COOKIE] != made_up_csrf
        assert cookie(client, SESSION_COOKIE) == fresh[SESSION_COOKIE]
        assert user_of(client) != "web:" + made_up_session
        assert await inbox(client) == []  # works with the server's token; nothing of the made-up key is shown
        assert client.server.app[SESSIONS].find(made_up_session) is None


async def test_an_issued_session_is_kept_and_not_renewed_on_every_request(assistant):
    async with browser(assistant) as client:
        first = cookie(client, SESSION_COOKIE)
        response = await client.post("/api/start", json={}, headers={"X-CSRF-Token": cookie(client, CSRF_COOKIE)})
        assert response.status == 200 and SESSION_COOKIE not in set_cookies(response)
        assert cookie(client, SESSION_COOKIE) == first


async def test_consent_rotates_the_session_id_and_keeps_the_user(assistant):
    session = new_session(assistant)
    async with browser(assistant) as client:
        user, old_id, old_csrf = user_of(client), cookie(client, SESSION_COOKIE), cookie(client, CSRF_COOKIE)
        began = client.server.app[SESSIONS].find(old_id).created
        await press(client, f"lec:join:{session.id}")
        response = await client.post("/api/button", json={"data": f"privacy:agree:lec:join:{session.id}"},
                                     headers={"X-CSRF-Token": old_csrf})
        assert response.status == 200 and "姓名" in (await response.json())["replies"][0]["text"]
        rotated = set_cookies(response)
        assert rotated[SESSION_COOKIE] != old_id and rotated[CSRF_COOKIE] != old_csrf
        assert user_of(client) == user  # same user: the form continues
        assert client.server.app[SESSIONS].find(rotated[SESSION_COOKIE]).created == began  # and the same age
        assert "lec:pick:role:0" in buttons(await say(client, "李四")).values()
        store = client.server.app[SESSIONS]
        assert store.find(old_id) is None  # an id someone else saw or planted no longer works
        stale = await client.post("/api/message", json={"text": "你好"}, headers={"X-CSRF-Token": old_csrf})
        assert stale.status == 403


async def test_idle_sessions_expire(tmp_path):
    now = [1_000_000.0]
    store = SessionStore(tmp_path / "web.sqlite", idle_days=30, clock=lambda: now[0])
    issued = store.issue()
    now[0] += 29 * 86400
    assert store.find(issued.new_id).user == issued.user  # used: the idle clock starts again
    now[0] += 29 * 86400
    assert store.find(issued.new_id) is not None
    now[0] += 31 * 86400
    assert store.find(issued.new_id) is None
    other = store.issue()
    now[0] += 31 * 86400
    assert store.sweep(force=True) == 1 and store.find(other.new_id) is None
    store.close()


async def test_cross_site_gets_change_nothing(assistant):
    """A top-level GET from another site carries the visitor's cookies: it must not consume the inbox or start
    a form."""
    async with browser(assistant) as client:
        user = user_of(client)
        assistant.ctx.notify(user, Reply("候补转正通知"))
        assert (await client.get("/api/inbox")).status == 405
        assert (await client.get("/api/start?start=book")).status == 405
        assert assistant.state.get(user) is None
        assert [m["text"] for m in await inbox(client)] == ["候补转正通知"]  # still there for the page
        opened = await start(client, "book")  # the page's own POST opens it
        assert "个人信息" in opened["replies"][0]["text"]


async def test_a_burst_of_sign_ups_from_one_address_is_slowed(engine, tmp_path):
    """One client tried to fill a 50-seat session in a second: 5 sign-ups of 10 people under made-up names."""
    helper = make(engine, tmp_path, burst_per_hour=3, burst_per_address=4)
    session = new_session(helper, capacity=50)
    try:
        async with browser(helper, trust_proxy=True) as client:
            outcomes = []
            for n in range(5):
                client.session.cookie_jar.clear()  # a new session each time
                assert (await client.get("/")).status == 200
                replies = await sign_up(client, session.id, "王" + "一二三四五"[n], f"1391234567{n}", "10")
                outcomes.append(replies[0]["text"])
            assert all("最多 5 人" in text for text in outcomes), outcomes  # 10 people in one sign-up: refused
            done = []
            for n in range(6):
                client.session.cookie_jar.clear()
                await client.get("/")
                done.append((await sign_up(client, session.id, "李" + "一二三四五六"[n], f"1381234567{n}", "5"))[0])
            assert ["JZ-" in r["text"] for r in done] == [True, True, True, True, False, False]  # the address
            assert "太多" in done[4]["text"] and done[4]["error"]
            assert helper.desk.lectures.get_session(session.id).seats_taken == 20
            client.session.cookie_jar.clear()  # another address behind the proxy is not slowed
            await client.get("/", headers={"X-Forwarded-For": "198.51.100.9"})
            other = await client.post("/api/button", json={"data": f"privacy:agree:lec:join:{session.id}"},
                                      headers={"X-CSRF-Token": cookie(client, CSRF_COOKIE),
                                               "X-Forwarded-For": "198.51.100.9"})
            assert other.status == 200
    finally:
        helper.close()


async def test_one_person_cannot_use_up_the_sign_ups_of_a_shared_address(engine, tmp_path):
    """A school's Wi-Fi (or a proxy without WEB_TRUST_PROXY): one session is slowed, the others sign up."""
    helper = make(engine, tmp_path, burst_per_hour=2)
    sessions = [new_session(helper, capacity=50) for _ in range(3)]
    try:
        async with browser(helper) as hoarder:
            results = [(await sign_up(hoarder, s.id, "赵" + "一二三"[n], f"1371234567{n}"))[0]
                       for n, s in enumerate(sessions)]
            assert ["JZ-" in r["text"] for r in results] == [True, True, False] and "太多" in results[2]["text"]
        for n in range(8):  # eight other families on the same address
            async with browser(helper) as family:
                assert "JZ-" in (await sign_up(family, sessions[0].id, "钱" + "一二三四五六七八"[n],
                                               f"1361234567{n}"))[0]["text"]
    finally:
        helper.close()


async def test_caps_per_phone_through_the_page(assistant):
    session = new_session(assistant, capacity=50)
    for n in range(3):
        async with browser(assistant) as client:
            replies = await sign_up(client, session.id, "王" + "一二三"[n], "13912345670")
            if n < 2:
                assert "JZ-" in replies[0]["text"]
            else:
                assert "电话号码" in replies[0]["text"] and replies[0]["error"]


async def test_the_client_address_is_the_proxys_hop_only():
    forged_first = make_mocked_request("GET", "/", headers=[("X-Forwarded-For", "10.9.9.9"),
                                                            ("X-Forwarded-For", "203.0.113.5, 198.51.100.7")])
    assert client_address(forged_first, trust_proxy=True) == "198.51.100.7"  # not the client's own line
    garbage = make_mocked_request("GET", "/", headers={"X-Forwarded-For": "198.51.100.7, not-an-address"})
    assert client_address(garbage, trust_proxy=True) == client_address(garbage, trust_proxy=False)
    assert client_address(forged_first, trust_proxy=False) != "198.51.100.7"  # without a proxy: the peer


async def test_readme_says_the_app_must_not_be_reachable_directly_behind_a_proxy():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "must then not be reachable except through the proxy" in readme


async def test_a_guardian_confirms_on_the_web_page_from_the_childs_link(assistant):
    from chat.types import Event

    assistant.offer_link("网页", "https://pufa.example.cn/?start={payload}")
    session = new_session(assistant)
    child = "tg:child"
    for event in (Event(user=child, button=f"privacy:agree:lec:join:{session.id}"), Event(user=child, text="王小明"),
                  Event(user=child, button="lec:pick:role:1"), Event(user=child, text="12"),
                  Event(user=child, text="王丽"), Event(user=child, text="13812345678"), Event(user=child, text="1")):
        assistant.handle(event)
    held = assistant.handle(Event(user=child, button="lec:ok"))[0].text
    link = held.split("https://pufa.example.cn/?start=", 1)[1].split()[0]
    assert link.startswith("consent_")
    async with browser(assistant) as guardian:
        opened = await start(guardian, link)  # what the page posts for /?start=consent_<code>
        assert "王小明" in opened["replies"][0]["text"]
        old = cookie(guardian, SESSION_COOKIE)
        thanks = await press(guardian, "gdn:yes")
        assert "已记录您的同意" in thanks[0]["text"] and cookie(guardian, SESSION_COOKIE) != old  # rotated
    reg = assistant.desk.lectures.my_registrations(child)[0]
    assert reg.status == "confirmed" and reg.guardian_user_key.startswith("web:")


async def test_a_private_tab_cannot_consent_and_the_childs_own_network_is_flagged(engine, tmp_path):
    clock = [NOW]
    desk = BookingDesk(tmp_path / "bookings.sqlite", REPO / "content")
    helper = Assistant(engine, ChatState(tmp_path / "chat.sqlite"), Texts(REPO / "content"), desk, admins=(ADMIN,),
                       clock=lambda: clock[0])
    helper.offer_link("网页", "https://pufa.example.cn/?start={payload}")
    session = new_session(helper)

    async def opened(client):  # the browser's first page load, on the same clock as the bookings
        client.server.app[SESSIONS].clock = lambda: clock[0].timestamp()
        assert (await client.get("/")).status == 200
    try:
        async with browser(helper, load=False) as parent, browser(helper, load=False) as child, \
                browser(helper, load=False) as private_tab:
            await opened(parent)  # the guardian's browser, in use before the child signs up
            clock[0] = NOW + timedelta(hours=1)
            await opened(child)
            await press(child, f"privacy:agree:lec:join:{session.id}")
            await say(child, "王小明")
            await press(child, "lec:pick:role:1")
            for answer in ("12", "王丽", "13812345678", "1"):
                await say(child, answer)
            held = (await press(child, "lec:ok"))[0]["text"]
            link = held.split("https://pufa.example.cn/?start=", 1)[1].split()[0]
            clock[0] = NOW + timedelta(hours=2)
            await opened(private_tab)  # same phone, same address, a fresh session
            refused = (await start(private_tab, link))["replies"][0]
            assert refused["error"] and "无痕窗口" in refused["text"] and "王小明" not in refused["text"]
            assert (await press(private_tab, "gdn:yes"))[0]["text"] != ""
            assert helper.desk.lectures.my_registrations(user_of(child))[0].status == "held"
            shown = (await start(parent, link))["replies"][0]["text"]
            assert "王小明" in shown and "同一个网络" not in shown
            thanks = (await press(parent, "gdn:yes"))[0]["text"]
            assert "已记录您的同意" in thanks and "同一网络确认" in thanks and "138 1234 5678" in thanks
        [reg] = helper.desk.lectures.to_call_back(clock[0])  # on the desk's 「同一网络确认」 list
        assert reg.status == "confirmed" and reg.guardian_phone.endswith("13812345678")
    finally:
        helper.close()


async def test_a_proxy_in_front_without_trust_proxy_is_warned_about_once(assistant, caplog):
    async with browser(assistant, load=False) as client:
        with caplog.at_level("WARNING", logger="web.guards"):
            assert (await client.get("/")).status == 200  # no proxy: no warning
            for _ in range(3):
                await client.get("/", headers={"X-Forwarded-For": "203.0.113.8"})
    warnings = [r.getMessage() for r in caplog.records if "X-Forwarded-For" in r.getMessage()]
    assert len(warnings) == 1 and "WEB_TRUST_PROXY=1" in warnings[0] and "203.0.113.8" not in warnings[0]
    caplog.clear()
    async with browser(assistant, load=False, trust_proxy=True) as client:
        with caplog.at_level("WARNING", logger="web.guards"):
            await client.get("/", headers={"X-Forwarded-For": "203.0.113.8"})
    assert not [r for r in caplog.records if "X-Forwarded-For" in r.getMessage()]


async def test_an_https_address_without_secure_cookies_is_warned_about(assistant, caplog):
    with caplog.at_level("WARNING", logger="web.app"):
        build_web_app(assistant, WebSettings(public_url="https://pufa.example.cn"))
        build_web_app(assistant, WebSettings(public_url="https://pufa.example.cn", cookie_secure=True))
        build_web_app(assistant, WebSettings(public_url="http://127.0.0.1:8080"))
    assert len([r for r in caplog.records if "WEB_COOKIE_SECURE=1" in r.getMessage()]) == 1
