"""The outbox delivers each message on its own: claimed atomically, retried with back-off, set aside when it cannot
be delivered (and reported to staff), deleted once delivered; one bad recipient holds up nobody else."""
from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections import Counter

import pytest

from chat.outbox import Outbox, Outcome, deliver_due
from chat.state import ChatState
from chat.types import Button, Reply
from handlers.app import build_application
from tests.chat_fixtures import ADMIN, book_school, take_outbox
from tests.fakebotapi import USER
from tests.telegram_fixtures import RunningBot, fake, tg_assistant, tg_settings  # noqa: F401


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def state(tmp_path):
    chat = ChatState(tmp_path / "chat.sqlite")
    yield chat
    chat.close()


def test_a_failing_recipient_does_not_hold_up_the_others_and_is_set_aside(state):
    clock = Clock()
    outbox = Outbox(state, clock=clock, max_attempts=3, backoff=10)
    outbox.put("tg:1", Reply("给坏收件人 1"), ref="PD-2026-0001")
    outbox.put("tg:1", Reply("给坏收件人 2"))
    for n in range(5):
        outbox.put("tg:2", Reply(f"给好收件人 {n}"))
    sent = []
    for attempt in range(3):
        stopped = set()
        for message in outbox.claim("tg:"):
            if message.user in stopped:                  # after a failure, that user's later messages go back
                outbox.release(message)
            elif message.user == "tg:1":
                outbox.report(message, Outcome.retry("Bad Gateway"))
                stopped.add(message.user)
            else:
                sent.append(message.reply.text)
                outbox.report(message, Outcome.sent())
        if attempt < 2:                  # the failed one waits for its back-off; its later one waits behind it
            assert outbox.claim("tg:") == []
        clock.now += 10 * 2 ** attempt
    assert sent == [f"给好收件人 {n}" for n in range(5)]
    [aside] = outbox.set_aside()
    assert (aside["user"], aside["ref"], aside["attempts"], aside["error"]) == ("tg:1", "PD-2026-0001", 3, "Bad Gateway")
    [later] = outbox.claim("tg:")                    # then the recipient's next message gets its own chance
    assert later.reply.text == "给坏收件人 2"
    outbox.report(later, Outcome.failed("Forbidden: bot was blocked by the user"))  # permanent: at once
    assert len(outbox.set_aside()) == 2 and outbox.counts() == {"waiting": 0, "set_aside": 2}
    with sqlite3.connect(state.db.path) as conn:     # delivered rows are gone; set-aside ones keep no text
        rows = conn.execute("SELECT reply FROM outbox").fetchall()
    assert sorted(r[0] for r in rows) == ["{}", "{}"]


def test_retry_after_is_honoured_and_progress_is_kept(state):
    clock = Clock()
    outbox = Outbox(state, clock=clock, backoff=1)
    outbox.put("tg:3", Reply("两部分"))
    [message] = outbox.claim("tg:")
    message.progress = 1                              # the first part went out before the flood control
    outbox.report(message, Outcome.retry("Too Many Requests", after=30))
    clock.now += 29
    assert outbox.claim("tg:") == []
    clock.now += 1
    [again] = outbox.claim("tg:")
    assert again.progress == 1 and again.attempts == 1


def test_two_claimers_never_get_the_same_message(state, tmp_path):
    for n in range(300):
        state.enqueue(f"tg:{n % 30}", {"text": f"m{n}", "buttons": []})
    second = ChatState(tmp_path / "chat.sqlite")     # another connection, as another process would have
    got: list[list[int]] = [[], [], [], []]

    def worker(index: int, chat: ChatState) -> None:
        outbox = Outbox(chat)
        while batch := outbox.claim("tg:", limit=7):
            for message in batch:
                got[index].append(message.id)
                outbox.report(message, Outcome.sent())

    threads = [threading.Thread(target=worker, args=(i, state if i % 2 else second)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    second.close()
    everything = [i for ids in got for i in ids]
    assert len(everything) == 300 and len(set(everything)) == 300


def test_each_users_messages_come_in_order_and_old_ones_expire(state):
    clock = Clock()
    outbox = Outbox(state, clock=clock, max_age=100)
    outbox.put("wx:a", Reply("一"))
    outbox.put("wx:a", Reply("二"))
    [first, second] = outbox.claim("wx:")
    outbox.report(first, Outcome.wait("WeChat 45015"))  # the 48-hour window is closed: wait for the user
    outbox.release(second)
    assert outbox.claim("wx:") == []
    assert outbox.wake("wx:a") == 1                      # the user wrote: try again now, in order
    assert [m.reply.text for m in outbox.claim("wx:")] == ["一", "二"]
    clock.now += 1000                                      # the claims lapse, and the messages are too old now
    assert outbox.claim("wx:") == []
    assert [r["error"] for r in outbox.set_aside()] == ["expired", "expired after WeChat 45015"]  # why, for staff


def test_staff_alerts_are_rendered_when_sent_and_hold_no_personal_details(bot):
    book_school(bot)
    with sqlite3.connect(bot.state.db.path) as conn:
        [(user, stored)] = conn.execute("SELECT user, reply FROM outbox").fetchall()
    assert user == ADMIN and json.loads(stored)["render"] == "staff_booking"
    assert "张老师" not in stored and "12345678" not in stored
    [(to, alert)] = take_outbox(bot)
    assert to == ADMIN and "张老师" in alert.text and "adm:approve:" in str(alert.buttons)


def test_a_staff_alert_for_a_withdrawn_booking_is_not_sent(bot):
    book_school(bot, user="tg:3")
    bot.desk.forget_user("tg:3", bot.ctx.now())
    assert take_outbox(bot) == []
    assert bot.outbox.counts() == {"waiting": 0, "set_aside": 0}


def test_deliver_due_sends_users_concurrently_and_stops_a_user_at_a_failure(state):
    outbox = Outbox(state)
    for n in range(4):
        outbox.put("tg:bad", Reply(f"bad {n}"))
        outbox.put("tg:good", Reply(f"good {n}"))
    seen = []

    async def send(message):
        seen.append(message.reply.text)
        return Outcome.retry("502") if message.user == "tg:bad" else Outcome.sent()

    assert asyncio.run(deliver_due(outbox, "tg:", send, blocking=_inline)) == 4
    assert seen.count("bad 0") == 1 and not any(t.startswith("bad ") and t != "bad 0" for t in seen)
    assert [t for t in seen if t.startswith("good")] == [f"good {n}" for n in range(4)]


async def _inline(function, *args):
    return function(*args)


# ---- through the real Application and the fake Bot API --------------------------------------------------------

DEAD, SLOW = 7777, 8888   # a chat Telegram does not know; a chat under flood control
OTHERS = [5000 + n for n in range(50)]


@pytest.mark.asyncio
@pytest.mark.filterwarnings("error::telegram.warnings.PTBUserWarning")
async def test_one_undeliverable_recipient_stops_nothing_and_every_message_arrives_once(fake, tg_assistant):
    outbox = tg_assistant.outbox
    backoff = outbox.backoff
    outbox.backoff = 0.2
    for n in range(3):
        outbox.put(f"tg:{DEAD}", Reply(f"给从未开始对话的工作人员 {n}"), ref=f"PD-2026-{n:04d}")
    for n in range(2):
        outbox.put(f"tg:{SLOW}", Reply(f"限流中 {n}"))
    for n in range(200):
        outbox.put(f"tg:{OTHERS[n % 50]}", Reply(f"第 {n} 条", [[Button("查看", f"lec:view:{n}")]]))
    fake.fail("sendMessage", 400, "Bad Request: chat not found", times=1000, chat_id=DEAD)
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", times=4, chat_id=SLOW, retry_after=1)
    app = build_application(tg_settings(fake), tg_assistant, close_assistant=False)
    try:
        async with RunningBot(app):
            [job] = app.job_queue.get_jobs_by_name("outbox")
            rounds = [asyncio.create_task(job.run(app)) for _ in range(3)]   # the job, three times at once …
            for n in range(10):                                              # … and updates that start rounds too
                fake.push(fake.text("你好", user={**USER, "id": 6000 + n}))
            await asyncio.gather(*rounds)
            deadline = time.monotonic() + 30
            while outbox.waiting("tg:") or len(_to(fake, SLOW)) < 2:
                assert time.monotonic() < deadline, outbox.waiting("tg:")[:5]
                await job.run(app)
                await asyncio.sleep(0.1)
            mark = fake.mark()
            fake.push(fake.text("你好"))                                        # an update no longer resends a queue
            await fake.wait_for("sendMessage", since=mark)
            await asyncio.sleep(0.3)
            assert [c.params["chat_id"] for c in fake.attempts("sendMessage", since=mark)] == [USER["id"]]
    finally:
        outbox.backoff = backoff
    delivered = Counter((c.params["chat_id"], c.text) for c in fake.calls_to("sendMessage")
                        if c.params["chat_id"] in OTHERS)
    assert len(delivered) == 200 and set(delivered.values()) == {1}            # all 200, each exactly once
    for chat in OTHERS[:5]:                                                      # each user's in order
        numbers = [int(c.text.split()[1]) for c in fake.calls_to("sendMessage") if c.params["chat_id"] == chat]
        assert numbers == sorted(numbers)
    assert [c.text for c in _to(fake, SLOW)] == ["限流中 0", "限流中 1"]          # rate-limited: late, once each
    assert len([c for c in fake.attempts("sendMessage") if c.params["chat_id"] == DEAD]) == 3  # one try each
    aside = {r["ref"]: r for r in outbox.set_aside() if r["user"] == f"tg:{DEAD}"}
    assert set(aside) == {"PD-2026-0000", "PD-2026-0001", "PD-2026-0002"}
    assert all("chat not found" in r["error"].lower() for r in aside.values())
    outbox.drop_set_aside()


def _to(server, chat_id):
    return [c for c in server.calls_to("sendMessage") if c.params["chat_id"] == chat_id]
