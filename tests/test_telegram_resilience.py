"""The Telegram channel under trouble: flood control, blocked users, network errors, crashes, floods of
messages, restarts in the middle of a form, webhooks, long answers and attachments."""
from __future__ import annotations

import asyncio
import logging
import socket
import tempfile
import time
from pathlib import Path

import pytest

from chat.assistant import Assistant
from chat.outbox import Outbox
from chat.state import ChatState
from chat.types import Attachment, Button, Event, Reply
from handlers.app import build_application, webhook_kwargs
from tests.fakebotapi import ADMIN, TOKEN, USER
from tests.telegram_fixtures import (TELEGRAM_TESTS, RunningBot, exchange, fake, log_errors,  # noqa: F401
                                     settle, tg, tg_app, tg_assistant, tg_settings)

pytestmark = TELEGRAM_TESTS


class Scripted:
    """Stands in for the Assistant with fixed replies, a real outbox (own database) and fixed reminders, to test
    what only the channel does."""

    def __init__(self, real, replies: list[Reply] | None = None, fail_on: str = "",
                 outbox: list[tuple[str, Reply]] | None = None, reminders: list[tuple[str, Reply]] | None = None,
                 **policy):
        self.texts = real.texts
        self.state = ChatState(Path(tempfile.mkdtemp(prefix="scripted-")) / "chat.sqlite")
        self.outbox = Outbox(self.state, **policy)
        self.replies, self.fail_on = replies or [], fail_on
        self.due, self.acknowledged, self.purged = reminders or [], [], 0
        for user, reply in outbox or []:
            self.outbox.put(user, reply)

    def offer_link(self, channel: str, template: str) -> None:
        pass

    def handle(self, event: Event) -> list[Reply]:
        if self.fail_on and self.fail_on in event.text:
            raise RuntimeError("assistant exploded")
        return self.replies or [Reply("ok")]

    def reminders(self):
        return [(user, reply, lambda user=user: self.acknowledged.append(user)) for user, reply in self.due
                if user not in self.acknowledged]

    queue_reminders = Assistant.queue_reminders

    def purge(self):
        self.purged += 1
        return "nothing to purge"

    def close(self) -> None:
        pass


async def until(condition, timeout: float = 5.0) -> None:
    """Wait until condition() is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- Telegram errors ------------------------------------------------------------------------------

async def test_flood_control_is_waited_out_and_the_message_still_arrives(tg):
    tg.flood("sendMessage", retry_after=1)
    started = time.monotonic()
    [reply] = await exchange(tg, tg.command("/start"))
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in tg.attempts("sendMessage")] == [429, 200]
    assert reply.params["chat_id"] == USER["id"]


async def test_a_user_who_blocked_the_bot_does_not_stop_it(tg, log_errors):
    tg.block("sendMessage")
    tg.push(tg.command("/start"))
    [reply] = await exchange(tg, tg.command("/help", user=ADMIN))
    assert reply.params["chat_id"] == ADMIN["id"]
    assert [c.status for c in tg.attempts("sendMessage")] == [403, 200]
    assert any("blocked" in r.getMessage() and r.levelno == logging.INFO for r in log_errors.records)


async def test_network_errors_are_logged_and_the_next_update_is_answered(tg, log_errors):
    tg.fail("sendMessage", 502, "Bad Gateway")
    tg.push(tg.command("/start"))
    await settle(tg)
    assert any(r.levelno == logging.WARNING and "network" in r.getMessage() for r in log_errors.records)


async def test_polling_survives_a_failing_get_updates(tg, log_errors):
    mark = tg.mark()
    tg.fail("getUpdates", 502, "Bad Gateway")
    await exchange(tg, tg.command("/help"))        # wakes the long poll; the poll after it fails
    deadline = time.monotonic() + 5
    while not tg.attempts("getUpdates", since=mark):
        assert time.monotonic() < deadline, "the failing getUpdates was never made"
        await asyncio.sleep(0.01)
    assert [c.status for c in tg.attempts("getUpdates", since=mark)] == [502]
    [reply] = await exchange(tg, tg.command("/help", user=ADMIN))   # only a poll after the failure brings this
    assert reply.params["chat_id"] == ADMIN["id"]
    assert any(r.levelno == logging.WARNING and "network" in r.getMessage() and "Bad Gateway" in r.getMessage()
               for r in log_errors.records)


async def test_the_bot_starts_even_when_the_staff_menu_cannot_be_set(fake, tg_assistant, log_errors):
    fake.fail("setMyCommands", 400, "Bad Request: chat not found", times=2)
    app = build_application(tg_settings(fake), tg_assistant, close_assistant=False)
    async with RunningBot(app):
        await exchange(fake, fake.command("/help"))
    assert [c.status for c in fake.attempts("setMyCommands")] == [400, 400]
    assert any("command menu" in r.getMessage() for r in log_errors.records if r.levelno == logging.WARNING)


async def test_an_answer_callback_failure_does_not_lose_the_reply(tg, tg_assistant):
    [menu] = await exchange(tg, tg.command("/start"))
    tg.fail("answerCallbackQuery", 400, "Bad Request: query is too old and response timeout expired")
    [reply] = await exchange(tg, tg.callback(menu, "menu:ask"))
    assert reply.text == tg_assistant.texts("ask_prompt")


async def test_a_crash_is_logged_masked_and_the_user_is_told(fake, tg_assistant, log_errors):
    app = build_application(tg_settings(fake), Scripted(tg_assistant, fail_on="boom"), close_assistant=False)
    async with RunningBot(app):
        [reply] = await exchange(fake, fake.text("boom 我的电话是 13812345678"))
        assert reply.text == tg_assistant.texts("error")
        [still] = await exchange(fake, fake.text("还在吗"))
        assert still.text == "ok"
    errors = [r for r in log_errors.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "[电话]" in errors[0].getMessage()
    assert isinstance(errors[0].exc_info[1], RuntimeError)
    ours = [r for r in log_errors.records if r.name.startswith(("handlers", "telegram", "chat"))]  # not httpx
    logged = "\n".join(r.getMessage() for r in ours)
    assert "13812345678" not in logged and TOKEN not in logged


# ---- per-user rate limit ----------------------------------------------------------------------------

async def test_a_flooding_user_is_told_once_and_others_are_not_affected(fake, tg_assistant):
    app = build_application(tg_settings(fake, RATE_LIMIT_PER_MINUTE="2"), tg_assistant, close_assistant=False)
    async with RunningBot(app):
        for _ in range(5):
            fake.push(fake.command("/help"))
        await settle(fake)
        mine = [c.text for c in fake.calls_to("sendMessage") if c.params["chat_id"] == USER["id"]]
        assert mine[2:] == [tg_assistant.texts("too_fast")] and len(mine) == 3

        [menu] = await exchange(fake, fake.command("/start", user=ADMIN))
        await exchange(fake, fake.callback(menu, "menu:ask", user=USER), "answerCallbackQuery")
        [toast] = fake.calls_to("answerCallbackQuery")[-1:]
        assert toast.params["text"] == tg_assistant.texts("too_fast")


# ---- long answers and attachments -------------------------------------------------------------------

async def test_a_long_answer_is_split_with_buttons_on_the_last_part(fake, tg_assistant):
    paragraphs = [f"第{i}段：" + "未成年人保护" * 60 for i in range(30)]  # about 11 000 characters
    buttons = [[Button("查看原文：未成年人保护法第七十五条", "art:0:75")]]
    app = build_application(tg_settings(fake), Scripted(tg_assistant, [Reply("\n\n".join(paragraphs), buttons)]),
                            close_assistant=False)
    async with RunningBot(app):
        parts = await exchange(fake, fake.text("长"), count=3)
        await settle(fake)
    parts = [c for c in fake.calls_to("sendMessage") if c.params["chat_id"] == USER["id"]]
    assert len(parts) == 3 and all(len(p.text) <= 4096 for p in parts)
    assert "\n\n".join(p.text for p in parts) == "\n\n".join(paragraphs)
    assert [bool(p.buttons) for p in parts] == [False, False, True]


async def test_html_characters_reach_the_user_unchanged(fake, tg_assistant):
    text = "<未成年人> & 家长 \"监护\" a<b>c</b>"
    app = build_application(tg_settings(fake), Scripted(tg_assistant, [Reply(text)]), close_assistant=False)
    async with RunningBot(app):
        [reply] = await exchange(fake, fake.text("任意"))
    assert reply.text == text


async def test_an_attachment_is_sent_as_a_document(fake, tg_assistant):
    csv = "姓名,学校\n张,浦东实验小学\n".encode("utf-8-sig")
    reply = Reply("导出完成：", attachment=Attachment("预约.csv", csv, "text/csv"))
    app = build_application(tg_settings(fake), Scripted(tg_assistant, [reply]), close_assistant=False)
    async with RunningBot(app):
        [document] = await exchange(fake, fake.text("导出"), "sendDocument")
    assert document.params["document"]["filename"] == "预约.csv"
    assert document.params["document"]["content"] == csv
    assert fake.calls_to("sendMessage")[-1].text == "导出完成："


# ---- webhook ------------------------------------------------------------------------------------------

async def test_webhook_mode_registers_the_hook_and_checks_the_secret(fake, tg_assistant):
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg/hook"
    settings = tg_settings(fake, TELEGRAM_WEBHOOK_URL=url, TELEGRAM_WEBHOOK_SECRET="s3cret_-X",
                           TELEGRAM_WEBHOOK_PORT=str(port))
    app = build_application(settings, tg_assistant, close_assistant=False)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_webhook(**webhook_kwargs(settings))
    await app.start()
    try:
        assert fake.webhook["url"] == url and fake.webhook["secret_token"] == "s3cret_-X"
        assert await fake.post_to_webhook(url, fake.command("/start"), secret="wrong") == 403
        assert await fake.post_to_webhook(url, fake.command("/start"), secret=None) == 403
        assert await fake.post_to_webhook(url, fake.command("/help"), secret="s3cret_-X") == 200
        [reply] = await fake.wait_for("sendMessage")
        assert "/start" in reply.text
        assert len(fake.calls_to("sendMessage")) == 1
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


# ---- messages for other people, reminders, retention ----------------------------------------------------

async def test_messages_for_others_are_delivered_and_a_blocked_recipient_is_set_aside(fake, tg_assistant, log_errors):
    outbox = [("tg:3003", Reply("给工作人员甲")), ("tg:2002", Reply("给工作人员乙", [[Button("✅ 同意", "adm:approve:PD-1")]])),
              ("cli:local", Reply("终端用户收不到"))]
    fake.block("sendMessage", chat_id=3003)
    assistant = Scripted(tg_assistant, [Reply("已提交")], outbox=outbox)
    app = build_application(tg_settings(fake), assistant, close_assistant=False)
    async with RunningBot(app):
        await exchange(fake, fake.text("提交"), count=2)
        await until(lambda: assistant.outbox.set_aside())
    sent = [(c.params["chat_id"], c.text) for c in fake.calls_to("sendMessage")]
    assert sent == [(USER["id"], "已提交"), (2002, "给工作人员乙")]  # the reply first, then messages for others
    assert [c.buttons for c in fake.calls_to("sendMessage") if c.params["chat_id"] == 2002] == \
        [[("✅ 同意", "adm:approve:PD-1")]]
    assert sorted(c.status for c in fake.attempts("sendMessage")) == [200, 200, 403]
    assert [row["user"] for row in assistant.outbox.waiting()] == ["cli:local"]   # another channel's: it waits
    [aside] = assistant.outbox.set_aside()                                          # blocked: given up at once
    assert aside["user"] == "tg:3003" and "blocked" in aside["error"] and aside["attempts"] == 1


async def test_reminders_go_through_the_outbox_and_only_failures_are_retried(fake, tg_assistant):
    due = [("tg:1001", Reply("明天的讲座")), ("tg:3003", Reply("已屏蔽")), ("tg:4004", Reply("网络失败")),
           ("cli:local", Reply("别的渠道"))]
    assistant = Scripted(tg_assistant, reminders=due, backoff=0)
    fake.block("sendMessage", chat_id=3003)
    fake.fail("sendMessage", 502, "Bad Gateway", chat_id=4004)
    app = build_application(tg_settings(fake), assistant, close_assistant=False)
    async with RunningBot(app):
        [job] = app.job_queue.get_jobs_by_name("reminders")
        await job.run(app)                     # queued for Telegram users only, and a delivery round started
        assert assistant.acknowledged == ["tg:1001", "tg:3003", "tg:4004"]
        [outbox] = app.job_queue.get_jobs_by_name("outbox")
        await fake.wait_for("sendMessage", 1)
        await outbox.run(app)                  # the network failure is retried; the blocked user is not
        await fake.wait_for("sendMessage", 2)
        [purge] = app.job_queue.get_jobs_by_name("retention")
        await purge.run(app)
    assert assistant.purged == 1
    assert sorted(c.params["chat_id"] for c in fake.calls_to("sendMessage")) == [1001, 4004]
    assert [row["user"] for row in assistant.outbox.set_aside()] == ["tg:3003"]
    assert [row["user"] for row in assistant.outbox.waiting()] == []


async def test_the_scheduled_jobs_run_against_the_real_assistant(tg, tg_app):
    for name in ("reminders", "retention"):
        [job] = tg_app.job_queue.get_jobs_by_name(name)
        await job.run(tg_app)
    await settle(tg)  # the bot still answers, and `tg` checks that nothing was logged as an error


# ---- concurrency: users do not wait for each other; one user's updates keep their order ---------------------------

class Echo(Scripted):
    """Answers with the text it got; "慢" takes a second (a big export, say), on the worker thread."""

    def handle(self, event: Event) -> list[Reply]:
        if "慢" in event.text:
            time.sleep(1.0)
        return [Reply(f"收到：{event.text}")]


async def test_a_slow_request_stalls_no_one_else_and_each_users_order_holds(fake, tg_assistant):
    app = build_application(tg_settings(fake), Echo(tg_assistant), close_assistant=False)
    others = [{**USER, "id": 3000 + n, "first_name": f"用户{n}"} for n in range(5)]
    async with RunningBot(app):
        started = time.monotonic()
        fake.push(fake.text("慢", user=ADMIN))
        for n in range(3):
            for other in others:
                fake.push(fake.text(f"第{n}条", user=other))
        await fake.wait_for("sendMessage", count=15, timeout=5)
        quick = time.monotonic() - started
        slow = (await fake.wait_for("sendMessage", count=16, timeout=5))[-1]
    assert quick < 0.9, f"the others waited for the slow request ({quick:.2f}s)"
    assert slow.params["chat_id"] == ADMIN["id"] and slow.text == "收到：慢"
    for other in others:
        mine = [c.text for c in fake.calls_to("sendMessage") if c.params["chat_id"] == other["id"]]
        assert mine == ["收到：第0条", "收到：第1条", "收到：第2条"]
