"""E-mail through a real SMTP server (aiosmtpd, started here): decisions with the calendar file to the school,
new bookings and answers to staff, the 3-day reminder; a server that refuses a mailbox and one that is down."""
from __future__ import annotations

import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from chat.types import Event
from mail import MailSender, MailSettings
from mail.sender import FIRST_WAIT
from runtime.settings import SettingsError
from tests.chat_fixtures import ADMIN, NOW, book_school, make_assistant, say, take_outbox

STAFF_MAIL = "wangli@example.cn"
SCHOOL_MAIL = "zhang@school.sh.cn"   # what book_school types into the form


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping what it accepts; addresses in `refuse` get a permanent 550."""

    def __init__(self, refuse: tuple[str, ...] = ()):
        self.messages, self.refuse = [], refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 Message accepted"

    def to(self, address):
        return [m for rcpt, m in self.messages if address in rcpt]


@pytest.fixture
def smtp():
    started = []

    def start(handler: Inbox, port: int | None = None) -> Controller:
        controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def office(engine, tmp_path):
    assistant = make_assistant(engine, tmp_path)
    assistant.ctx.mail = True
    assistant.desk.accounts.add("王丽", STAFF_MAIL, "cli:test", NOW)
    yield assistant
    assistant.close()


def sender_for(assistant, port, clock=None) -> MailSender:
    settings = MailSettings.from_env({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_TLS": "none",
                                      "SMTP_FROM": "浦东普法助手 <pufa@example.cn>"})
    return MailSender(assistant, settings, clock or Clock())


def attachment_names(message):
    return [part.get_filename() for part in message.walk() if part.get_filename()]


def test_settings_are_checked():
    assert MailSettings.from_env({}) is None
    ok = MailSettings.from_env({"SMTP_HOST": "smtp.example.cn", "SMTP_FROM": "pufa@example.cn",
                                "SMTP_USER": "pufa", "SMTP_PASSWORD": "secret"})
    assert (ok.port, ok.tls) == (587, "starttls") and "secret" not in repr(ok)
    assert MailSettings.from_env({"SMTP_HOST": "h", "SMTP_FROM": "a@b.cn", "SMTP_TLS": "ssl"}).port == 465
    for bad in ({"SMTP_HOST": "h"}, {"SMTP_HOST": "h", "SMTP_FROM": "a@b.cn", "SMTP_TLS": "yes"},
                {"SMTP_HOST": "h", "SMTP_FROM": "a@b.cn", "SMTP_USER": "u"}):
        with pytest.raises(SettingsError):
            MailSettings.from_env(bad)


def test_decisions_proposals_and_reminders_by_mail(office, smtp):
    inbox = Inbox()
    port = smtp(inbox).port
    sender = sender_for(office, port)
    book_school(office)                                   # staff hear of the new booking
    say(office, ADMIN, button="adm:propose:PD-2026-0001")
    say(office, ADMIN, text="12月23号下午吧，16和18号讲师都排满了")
    assert sender.send_due() == 2
    [new] = inbox.to(STAFF_MAIL)
    assert "PD-2026-0001" in new["Subject"] and "进才实验小学" in new.get_body(("plain",)).get_content()
    [proposal] = inbox.to(SCHOOL_MAIL)
    body = proposal.get_body(("plain",)).get_content()
    assert "12月23日" in body and "讲师都排满了" in body and proposal["From"].endswith("<pufa@example.cn>")

    say(office, "tg:3", button="sch:accept:PD-2026-0001")  # the school accepts in chat: staff get a mail
    assert sender.send_due() == 2                          # to staff, and the school's own copy with the .ics
    assert "接受了建议的日期" in inbox.to(STAFF_MAIL)[-1].get_body(("plain",)).get_content()
    confirmed = inbox.to(SCHOOL_MAIL)[-1]
    assert attachment_names(confirmed) == ["PD-2026-0001.ics"]
    ics = next(p for p in confirmed.walk() if p.get_filename()).get_payload(decode=True)
    assert ics.startswith(b"BEGIN:VCALENDAR") and b"DTSTART" in ics

    # the 3-day reminder goes out by mail once the chat reminder is delivered
    office.ctx.clock = lambda: NOW + timedelta(days=23)
    due = office.reminders()
    assert len(due) == 1
    for _, _, acknowledge in due:
        acknowledge()
    assert sender.send_due() == 1 and "提醒" in inbox.to(SCHOOL_MAIL)[-1]["Subject"]
    assert office.outbox.waiting("mail:") == []


def test_a_refused_mailbox_is_set_aside_and_never_blocks_the_others(office, smtp):
    inbox = Inbox(refuse=(STAFF_MAIL,))
    port = smtp(inbox).port
    sender = sender_for(office, port)
    book_school(office)
    office.handle(Event(user=ADMIN, button="adm:approve:PD-2026-0001:0", is_admin=True))
    assert sender.send_due() == 1                      # the school's approval went; the staff alert was refused
    assert attachment_names(inbox.to(SCHOOL_MAIL)[0]) == ["PD-2026-0001.ics"]
    [(address, reason, attempts)] = sender.problems()
    assert address == STAFF_MAIL and reason.startswith("550") and attempts == 1
    assert sender.send_due() == 0                      # set aside: not tried again
    assert office.outbox.waiting("mail:") == []                                  # set aside, listed for staff
    assert [row["user"] for row in office.outbox.set_aside()] == ["mail:" + STAFF_MAIL]


@pytest.mark.asyncio
async def test_the_desk_shows_set_aside_mail(office, smtp):
    from aiohttp.test_utils import TestClient, TestServer

    from web.app import build_web_app
    from web.settings import WebSettings

    sender = sender_for(office, smtp(Inbox(refuse=(STAFF_MAIL,))).port)
    book_school(office)
    sender.send_due()
    _, key = office.desk.accounts.add("李明", "", "cli:test", NOW)
    office.desk.accounts.set_password(key, "一段很长的登录密码啊", NOW)
    client = TestClient(TestServer(build_web_app(office, WebSettings(), lambda: True, sender.problems)))
    await client.start_server()
    try:
        await client.post("/staff/login", data={"name": "李明", "password": "一段很长的登录密码啊"})
        page = await (await client.get("/staff")).text()
        assert "发不出去的邮件（1 封" in page and STAFF_MAIL in page and "邮件通知未开启" not in page
    finally:
        await client.close()


def test_a_server_that_is_down_keeps_everything_and_backs_off(office, smtp):
    port, clock = free_port(), Clock()
    sender = sender_for(office, port, clock)
    book_school(office)
    assert sender.send_due() == 0 and len(office.outbox.waiting("mail:")) == 1
    inbox = Inbox()
    smtp(inbox, port)                                  # the server comes back …
    assert sender.send_due() == 0                      # … but the sender waits out its back-off
    clock.t += FIRST_WAIT + 1
    assert sender.send_due() == 1 and inbox.to(STAFF_MAIL)
    assert office.outbox.waiting("mail:") == []


def test_without_smtp_nothing_is_queued_as_mail(engine, tmp_path):
    assistant = make_assistant(engine, tmp_path)
    try:
        assistant.desk.accounts.add("王丽", STAFF_MAIL, "cli:test", NOW)
        book_school(assistant)
        assert [u for u, _ in take_outbox(assistant)] == [ADMIN]
    finally:
        assistant.close()
