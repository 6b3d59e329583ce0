"""A proposed date on the desk reads as waiting for the school, and can be withdrawn and changed; the school's
phone reads as people dial it."""
from __future__ import annotations

import pytest

from chat.types import Event
from tests.chat_fixtures import book_school, make_assistant, take_outbox
from tests.test_web_desk import client_for, page, post, sign_in, staff_account

pytestmark = pytest.mark.asyncio
HERE = "/staff/booking/PD-2026-0001"


@pytest.fixture
def assistant(engine, tmp_path):
    helper = make_assistant(engine, tmp_path)
    yield helper
    helper.close()


async def test_a_proposal_waits_for_the_school_and_can_be_withdrawn_then_changed(assistant):
    staff_account(assistant)
    book_school(assistant)
    client = await client_for(assistant)
    try:
        await sign_in(client)
        detail = await page(client, HERE)
        assert "021 1234 5678" in detail and "+862112345678" not in detail
        shown = await post(client, HERE + "/propose", {"date": "12月23日下午", "note": ""}, HERE)
        assert "已向学校建议 2026-12-23 下午，等学校答复（还没有确定）" in shown and "撤回建议" in shown
        take_outbox(assistant)
        shown = await post(client, HERE + "/withdraw", {}, HERE)
        assert "已撤回" in shown and "同意，安排在所选日期" in shown  # undecided again
        assert assistant.desk.schools.get("PD-2026-0001").status == "待审核"
        [(user, told)] = take_outbox(assistant)
        assert user == "tg:3" and "撤回" in told.text
        late = assistant.handle(Event(user="tg:3", button="sch:accept:PD-2026-0001"))
        assert assistant.desk.schools.get("PD-2026-0001").status == "待审核", late[0].text
        shown = await post(client, HERE + "/propose", {"date": "12月24日上午", "note": "换一天"}, HERE)
        assert "已向学校建议 2026-12-24 上午" in shown and "撤回了建议的日期 2026-12-23" in shown
        again = await post(client, HERE + "/withdraw", {}, HERE)
        assert "已撤回" in again
        twice = await post(client, HERE + "/withdraw", {}, HERE)
        assert 'class="error"' in twice and "没有等学校答复的改期建议" in twice
    finally:
        await client.close()
