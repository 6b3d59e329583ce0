"""Helpers shared by the tests that drive the Assistant directly (chat flows, console, web, fuzzing, crashes).

The `bot` fixture (an Assistant over a fresh data folder) is in conftest.py.
"""
from datetime import datetime, timedelta

from booking import BookingDesk
from chat.assistant import Assistant
from chat.outbox import Outcome
from chat.context import SHANGHAI
from chat.state import ChatState
from chat.texts import Texts
from chat.types import Event
from runtime.settings import REPO

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
ADMIN = "tg:9"


def make_assistant(engine, data_dir, clock=lambda: NOW):
    return Assistant(engine, ChatState(data_dir / "chat.sqlite"), Texts(REPO / "content"),
                     BookingDesk(data_dir / "bookings.sqlite", REPO / "content"), admins=(ADMIN,), clock=clock)


def say(bot, user, **kw):
    return bot.handle(Event(user=user, is_admin=user == ADMIN, **kw))


def take_outbox(bot, channel=""):
    """Deliver every queued message at once, as a synchronous channel would."""
    items = bot.outbox.claim(channel, limit=1000)
    for message in items:
        bot.outbox.report(message, Outcome.sent())
    return [(message.user, message.reply) for message in items]


def buttons(replies):
    return [b.data for r in replies for row in r.buttons for b in row]


def new_session(bot, capacity=2, starts=NOW + timedelta(days=10)):
    return bot.desk.lectures.create_session("family-education", "", starts, starts + timedelta(hours=1),
                                            "浦东图书馆", "花木", "家长", capacity, starts - timedelta(days=1), ADMIN,
                                            now=NOW)


def sign_up(bot, user, name="李四", phone="13912345678", attendees="1"):
    session = bot.desk.lectures.open_sessions(NOW)[0]
    say(bot, user, button=f"lec:join:{session.id}")
    say(bot, user, button=f"privacy:agree:lec:join:{session.id}")
    say(bot, user, text=name)
    say(bot, user, button="lec:pick:role:0")
    say(bot, user, text=phone)
    say(bot, user, text=attendees)
    return say(bot, user, button="lec:ok")


SCHOOL_ANSWERS = ["上海市浦东新区进才实验小学", "川沙", "浦东新区某某路100号", "张老师", "德育主任", "021-12345678",
                  "zhang@school.sh.cn",
                  "四至六年级", "120"]


def school_form_to_notes(bot, user):
    """A school booking filled in up to the free-text notes step (one date: 12月20日, the first time of day)."""
    say(bot, user, command="book")
    say(bot, user, button="privacy:agree:sch:new")
    for answer in SCHOOL_ANSWERS:
        say(bot, user, text=answer)
    say(bot, user, button="sch:pick:program_id:0")
    say(bot, user, button="sch:skip")
    say(bot, user, text="12月20日")
    say(bot, user, button="sch:pick:time_of_day:0")


def book_school(bot, user="tg:3"):
    say(bot, user, command="book")
    say(bot, user, button="privacy:agree:sch:new")
    for answer in SCHOOL_ANSWERS:
        say(bot, user, text=answer)
    say(bot, user, button="sch:pick:program_id:0")
    say(bot, user, button="sch:skip")
    past = say(bot, user, text="2026-11-01")
    assert "已经过去" in past[0].text
    too_soon = say(bot, user, text="12月1日")
    assert "至少提前7天" in too_soon[0].text
    say(bot, user, text="12月20日、12月22日")
    say(bot, user, button="sch:pick:time_of_day:0")
    review = say(bot, user, button="sch:skip")
    students = [b for b in buttons(review) if b.startswith("sch:grp:")][2]  # edits come grouped: 年级和人数
    assert "sch:edit:head_count" in buttons(say(bot, user, button=students))
    say(bot, user, button="sch:edit:head_count")
    assert "150" in say(bot, user, text="150")[0].text
    return say(bot, user, button="sch:ok")
