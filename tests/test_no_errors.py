"""What fuzzing found, one regression test each: no input reaches a traceback or a 500; every one gets a clear
Chinese message or a 400, and log lines cannot be forged."""
from __future__ import annotations

import io
import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer

from booking import ValidationError, validate_field
from chat.console import run as console_run
from chat.types import Event
from runtime.logs import SafeFormatter
from tests.chat_fixtures import ADMIN, NOW, make_assistant, new_session, say
from web.app import build_web_app
from web.sessions import CSRF_COOKIE
from web.settings import WebSettings

HUGE = "99999999999999999999"   # more than SQLite's 64-bit integers
ODD_DIGITS = ["²", "١", "𐩀", "①", "-1", HUGE]


def replies_ok(replies) -> bool:
    return bool(replies) and all(r.text.strip() or r.attachment for r in replies)


def test_lone_surrogates_in_text_buttons_and_commands_get_a_reply(bot):
    for event in [Event(user="tg:1", text="孩子\ud800被打了怎么办"), Event(user="tg:1", button="art:0:\udfff"),
                  Event(user="tg:1", command="law", args=("\ud800",)), Event(user="tg:1", text="/law \udc80")]:
        assert replies_ok(bot.handle(event)), event
    with bot.state.db.read() as conn:
        stored = [r["text"] for r in conn.execute("SELECT text FROM questions")]
    assert stored and all("\ufffd" in text or "\ud800" not in text for text in stored)


@pytest.mark.parametrize("number", ODD_DIGITS)
def test_out_of_range_and_odd_numbers_in_buttons_and_deep_links(bot, number):
    new_session(bot)
    events = [Event(user="tg:1", button=f"{prefix}:{number}") for prefix in
              ("lec:view", "lec:join", "lec:subto", "lec:drop", "lec:dropok", "fb:up", "fb:down", "law", "top",
               "art:0", "sch:pick:time_of_day", "lec:pick:role")]
    events += [Event(user=ADMIN, button=f"adm:{action}:{number}", is_admin=True)
               for action in ("att", "close", "drop", "dropok", "seen", "approve")]
    events += [Event(user=ADMIN, button=f"adm:seen:0-{number}", is_admin=True),
               Event(user="tg:1", command="start", args=(f"lec_{number}",)),
               Event(user="tg:1", command="law", args=(number,)), Event(user="tg:1", text=f"未保法第{number}条")]
    for event in events:
        assert replies_ok(bot.handle(event)), event


def test_a_reviewed_range_marks_unanswered_questions_only_and_cannot_be_huge(bot):
    for text in ("今天天气怎么样", "股票能买吗"):
        bot.handle(Event(user="tg:1", text=text))
    [done] = bot.handle(Event(user=ADMIN, button=f"adm:seen:1-{2 ** 31 - 1}", is_admin=True))
    assert "2" in done.text or "0" in done.text  # answered in well under a second; no list of 2 billion ids


def test_editing_a_hidden_form_field_is_refused_and_the_form_still_submits(bot):
    session = new_session(bot)
    user = "tg:7"
    say(bot, user, button=f"privacy:agree:lec:join:{session.id}")
    say(bot, user, text="王丽")
    say(bot, user, button="lec:pick:role:0")           # 家长: the guardian fields do not apply
    say(bot, user, text="13912345678")
    review = say(bot, user, text="1")
    assert "lec:ok" in [b.data for r in review for row in r.buttons for b in row]
    forged = say(bot, user, button="lec:edit:guardian_ok")
    assert "过期" in forged[0].text or "按钮" in forged[0].text
    say(bot, user, text="同意")                          # typed as if the hidden field had been opened
    done = say(bot, user, button="lec:ok")
    assert "JZ-" in done[0].text, done[0].text
    [reg] = bot.desk.lectures.my_registrations(user)
    assert reg.guardian_name == "" and reg.phone.endswith("13912345678")


@pytest.mark.parametrize("notes", ["需要\x00投影仪", "需要\u202e投影仪", "需要\u200b投影仪", "需要\ufeff投影仪",
                                   "需要\u2066投影仪", "需要\x1b[31m投影仪"])
def test_the_notes_field_refuses_invisible_and_control_characters(notes):
    with pytest.raises(ValidationError, match="无法识别"):
        validate_field("notes", notes, NOW.date())
    assert validate_field("notes", "第一行\n第二行", NOW.date()) == "第一行\n第二行"


def test_numbers_typed_in_the_terminal_never_crash(bot):
    out = io.StringIO()
    console_run(bot, io.StringIO("²\n𐩀\n" + HUGE + "\n1\n"), out)
    assert "Traceback" not in out.getvalue()


def test_log_records_are_one_line_whatever_they_contain():
    record = logging.LogRecord("web", logging.INFO, __file__, 1, "%s %s", ("GET", "/api/x\nFORGED 200 OK\x1b[2J"),
                               None)
    line = SafeFormatter("%(message)s").format(record)
    assert "\n" not in line and "\x1b" not in line and "\\n" in line


# ---- the web API ---------------------------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_hostile_json_gets_a_400_never_a_500(engine, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    assistant = make_assistant(engine, tmp_path)
    try:
        async with TestClient(TestServer(build_web_app(assistant, WebSettings()))) as client:
            assert (await client.get("/")).status == 200
            csrf = client.session.cookie_jar.filter_cookies(client.make_url("/"))[CSRF_COOKIE].value
            headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
            bodies = {"/api/message": ['{"text": "\\ud800"}', '{"text": "孩子\\udfff"}', "[" * 4000 + "]" * 4000,
                                       '{"text": ' + "[" * 3000 + "]" * 3000 + "}"],
                      "/api/button": ['{"data": "lec:view:\\ud800"}', '{"data": "lec:view:' + HUGE + '"}',
                                      '{"data": "adm:seen:1-' + HUGE + '"}', "{" * 4000]}
            for path, items in bodies.items():
                for body in items:
                    response = await client.post(path, data=body.encode(), headers=headers)
                    assert response.status in (200, 400), (path, body[:40], response.status)
                    assert "error" in await response.json() or response.status == 200
            start = await client.post("/api/start", data=f'{{"start": "lec_{HUGE}"}}'.encode(), headers=headers)
            assert start.status == 200
            forged = await client.get("/api/x%0aFORGED%20200")
            assert forged.status == 404
    finally:
        assistant.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    access = [r.getMessage() for r in caplog.records if r.name == "web.guards"]
    assert access and all("\n" not in line for line in access)


@pytest.mark.asyncio
async def test_the_desk_refuses_odd_numbers_without_a_500(engine, tmp_path, caplog):
    from tests.test_web_desk import PASSWORD, csrf_of, sign_in, staff_account

    caplog.set_level(logging.INFO)
    assistant = make_assistant(engine, tmp_path)
    try:
        staff_account(assistant)
        async with TestClient(TestServer(build_web_app(assistant, WebSettings()))) as client:
            assert (await sign_in(client)).status == 303
            for path in (f"/staff/sessions/{HUGE}", f"/staff/sessions/{HUGE}/attendees.csv",
                         f"/staff/sessions/{HUGE}/qr.svg", "/staff/sessions/١"):
                assert (await client.get(path)).status < 500, path
            csrf = csrf_of(await (await client.get("/staff/improve")).text())
            for value in ("²", "𐩀", HUGE):
                response = await client.post("/staff/improve", data={"csrf": csrf, "id": value},
                                             allow_redirects=False)
                assert response.status < 500, value
            closing = await client.post(f"/staff/sessions/{HUGE}/close", data={"csrf": csrf}, allow_redirects=False)
            assert closing.status < 500
    finally:
        assistant.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], PASSWORD
