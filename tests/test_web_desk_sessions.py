"""Running a session on the desk, over HTTP against the real server: edit it (everyone told once, capacity never
below the seats taken), message everyone with a preview and a count, attendance and the sign-in sheet."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.chat_fixtures import new_session, sign_up, take_outbox
from tests.test_web_desk import Clock, client_for, page, post, sign_in, staff_account

pytestmark = pytest.mark.asyncio


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def assistant(engine, tmp_path, clock):
    from tests.chat_fixtures import make_assistant

    helper = make_assistant(engine, tmp_path, clock=clock)
    yield helper
    helper.close()


def three_signed_up(assistant, capacity=2):
    session = new_session(assistant, capacity=capacity)
    for user, name, phone in (("tg:1", "李一", "13912345671"), ("tg:2", "李二", "13912345672"),
                              ("tg:3", "李三", "13912345673")):
        sign_up(assistant, user, name=name, phone=phone)
    take_outbox(assistant)
    return session


async def test_edit_and_message_everyone_from_the_session_page(assistant):
    staff_account(assistant)
    session = three_signed_up(assistant)
    client = await client_for(assistant)
    here = f"/staff/sessions/{session.id}"
    try:
        await sign_in(client)
        shown = await page(client, here)
        assert f"<p class=\"lead\">{assistant.office.program_title(session.program_id)}" in shown
        assert "139 1234 5671" in shown and "+8613912345671" not in shown.replace('tel:+8613912345671', "")
        refused = await post(client, here + "/edit", {"capacity": "1"}, here)
        assert 'class="error"' in refused and "名额不能少于已报名的人数" in refused
        assert take_outbox(assistant) == []
        done = await post(client, here + "/edit", {"venue": "浦东图书馆二楼", "capacity": "3"}, here)
        assert "已通知 3 人（其中 1 人从候补转为确认）" in done
        told = take_outbox(assistant)
        assert sorted(u for u, _ in told) == ["tg:1", "tg:2", "tg:3"]
        assert all("浦东图书馆二楼" in r.text for _, r in told)

        csrf = re.search(r'name="csrf" value="([^"]+)"', done)[1]
        preview = await client.post(here + "/message", data={"csrf": csrf, "step": "preview",
                                                              "text": "请从北门进入"})
        html = await preview.text()
        assert preview.status == 200 and "将发给 3 人" in html and "请从北门进入" in html
        assert take_outbox(assistant) == []  # a preview sends nothing
        sent = await post(client, here + "/message", {"step": "send", "text": "请从北门进入", "expected": "3"}, here)
        assert "每人一条" in sent
        told = take_outbox(assistant)
        assert sorted(u for u, _ in told) == ["tg:1", "tg:2", "tg:3"] and all("请从北门进入" in r.text for _, r in told)
        stale = await post(client, here + "/message", {"step": "send", "text": "再说一次", "expected": "2"}, here)
        assert "预览时是 2 人，现在是 3 人" in stale and take_outbox(assistant) == []
    finally:
        await client.close()


async def test_attendance_sheet_and_check_in_by_code(assistant, clock):
    staff_account(assistant)
    session = three_signed_up(assistant, capacity=3)
    regs = assistant.desk.lectures.attendees(session.id)
    client = await client_for(assistant)
    here = f"/staff/sessions/{session.id}"
    try:
        await sign_in(client)
        sheet = await page(client, here + "/sheet")
        assert "139 **** 5671" in sheet and "签名" in sheet and "13912345671" not in sheet
        early = await post(client, here + "/attend", {"ref": regs[0].ref, "came": "1"}, here + "/attendance")
        assert "当天才能签到" in early
        clock.now = session.starts_at - timedelta(minutes=15)
        await sign_in(client)  # ten days later: the idle session has ended
        ticked = await post(client, here + "/attend", {"ref": regs[0].ref, "came": "1"}, here + "/attendance")
        assert "已签到" in ticked and "<b>1</b> / 3" in ticked
        typed = await post(client, here + "/attend", {"ref": regs[1].ref.lower().replace("-", " "), "came": "1"},
                           here + "/attendance")
        assert "<b>2</b> / 3" in typed
        wrong = await post(client, here + "/attend", {"ref": "JZ-2026-9999", "came": "1"}, here + "/attendance")
        assert "没有报名编号" in wrong
        scanned = await page(client, f"/staff/checkin/{regs[2].ref}")
        assert regs[2].name in scanned and "签到" in scanned
        missing = await client.get("/staff/checkin/JZ-2026-9999")
        assert missing.status == 404
        csv = (await (await client.get(here + "/attendees.csv")).read()).decode("utf-8-sig")
        lines = {line.split(",")[0]: line for line in csv.splitlines()[1:]}
        assert lines[regs[0].ref].endswith(clock.now.strftime("%Y-%m-%d %H:%M"))
        assert not lines[regs[2].ref].rstrip(",").endswith(clock.now.strftime("%H:%M"))
        clock.now = session.ends_at + timedelta(hours=1)
        await sign_in(client)
        stats = (await (await client.get("/staff/stats/programmes.csv")).read()).decode("utf-8-sig")
        header, row = stats.splitlines()[:2]
        values = dict(zip(header.split(","), row.split(",")))
        assert values["到场人数"] == "2" and values["未到人数"] == "1"
    finally:
        await client.close()


async def test_odd_numbers_codes_and_answers_get_a_clear_page_never_a_500(assistant, caplog):
    import logging

    caplog.set_level(logging.INFO)
    staff_account(assistant)
    session = three_signed_up(assistant)
    huge = "9" * 30
    client = await client_for(assistant)
    try:
        await sign_in(client)
        for path in (f"/staff/sessions/{huge}/attendance", f"/staff/sessions/{huge}/sheet", "/staff/sessions/99/sheet",
                     "/staff/checkin/%E2%80%AE%3Cx%3E", "/staff/checkin/JZ-2026-" + huge):
            assert (await client.get(path)).status in (404,), path
        here = f"/staff/sessions/{session.id}"
        csrf = re.search(r'name="csrf" value="([^"]+)"', await page(client, here))[1]
        for action, data in (("edit", {"capacity": huge}), ("edit", {"starts_at": "下午两点"}), ("edit", {}),
                             ("message", {"step": "preview", "text": ""}), ("message", {"text": "x" * 600}),
                             ("message", {"text": "好", "expected": huge}), ("attend", {"ref": "\u202e"})):
            response = await client.post(f"{here}/{action}", data={"csrf": csrf, **data}, allow_redirects=False)
            assert response.status == 303, (action, data, response.status)
            shown = await page(client, response.headers["Location"])
            assert 'class="error"' in shown, (action, data)
        assert take_outbox(assistant) == []
    finally:
        await client.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
