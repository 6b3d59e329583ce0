"""Sending the outbox's "mail:" messages through SMTP, with retries, back-off and set-aside messages.

A message that fails is tried again after 1, 2, 4 … minutes (at most an hour apart); one the server refuses for
good (a 5xx answer: unknown mailbox, rejected sender) or that has failed MAX_ATTEMPTS times is set aside: it stays
undelivered in the outbox, is no longer tried, and is listed for staff on the desk (`problems()`). A server that
cannot be reached holds the whole round back, so nothing is lost while it is down. Retry state lives in this process;
after a restart set-aside messages are tried once more.
"""
from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from chat.assistant import Assistant
from chat.context import MAIL
from chat.types import reply_from_json
from mail.compose import compose
from mail.settings import MailSettings

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_WAIT, LONGEST_WAIT = 60.0, 3600.0   # seconds
EVERY = 10.0                             # seconds between rounds while the web server runs


@dataclass
class Trouble:
    attempts: int
    next_try: float
    reason: str
    set_aside: bool = False


class MailSender:
    def __init__(self, assistant: Assistant, settings: MailSettings, clock: Callable[[], float] = time.monotonic):
        self.assistant, self.settings, self.clock = assistant, settings, clock
        self.trouble: dict[int, Trouble] = {}     # outbox message id -> what went wrong so far
        self.server_down_until = 0.0

    def problems(self) -> list[tuple[str, str, int]]:
        """Set-aside e-mails as (address, reason, attempts), for staff."""
        found = []
        for item in self.assistant.state.undelivered(MAIL, limit=500):
            trouble = self.trouble.get(item.id)
            if trouble is not None and trouble.set_aside:
                found.append((item.user[len(MAIL):], trouble.reason, trouble.attempts))
        return found

    def send_due(self) -> int:
        """One round: send every due message over one connection; returns how many went out."""
        now = self.clock()
        if now < self.server_down_until:
            return 0
        due = [(item.id, item.user[len(MAIL):], item) for item in self.assistant.state.undelivered(MAIL, limit=200)
               if (t := self.trouble.get(item.id)) is None or (not t.set_aside and t.next_try <= now)]
        if not due:
            return 0
        try:
            connection = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            self.server_down_until = now + FIRST_WAIT
            logger.warning("SMTP server %s:%s not reachable (%s); %d e-mails wait", self.settings.host,
                           self.settings.port, type(error).__name__, len(due))
            return 0
        sent = 0
        try:
            for message_id, address, item in due:
                try:
                    connection.send_message(compose(self.settings.sender, address, reply_from_json(item.reply)))
                except smtplib.SMTPServerDisconnected as error:
                    self._failed(message_id, f"连接中断：{error}", permanent=False)
                    break
                except smtplib.SMTPRecipientsRefused as error:
                    code, text = next(iter(error.recipients.values()))
                    self._failed(message_id, f"{code} {_text(text)}", permanent=code >= 500)
                except smtplib.SMTPResponseException as error:
                    self._failed(message_id, f"{error.smtp_code} {_text(error.smtp_error)}",
                                 permanent=error.smtp_code >= 500)
                except (OSError, smtplib.SMTPException) as error:
                    self._failed(message_id, type(error).__name__, permanent=False)
                else:
                    self.assistant.state.delivered(message_id)
                    self.trouble.pop(message_id, None)
                    sent += 1
        finally:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()
        if sent:
            logger.info("sent %d e-mails", sent)
        return sent

    async def run(self) -> None:
        """Send due e-mails every few seconds until cancelled (a task of the web server)."""
        while True:
            try:
                await asyncio.to_thread(self.send_due)
            except Exception:
                logger.exception("e-mail round failed; will try again")
            await asyncio.sleep(EVERY)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.tls == "ssl":
            connection = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.tls == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if s.user:
            connection.login(s.user, s.password)
        return connection

    def _failed(self, message_id: int, reason: str, permanent: bool) -> None:
        trouble = self.trouble.get(message_id) or Trouble(0, 0.0, reason)
        trouble.attempts += 1
        trouble.reason = reason
        trouble.next_try = self.clock() + min(FIRST_WAIT * 2 ** (trouble.attempts - 1), LONGEST_WAIT)
        trouble.set_aside = permanent or trouble.attempts >= MAX_ATTEMPTS
        self.trouble[message_id] = trouble
        logger.warning("e-mail %d failed (attempt %d%s): %s", message_id, trouble.attempts,
                       ", set aside" if trouble.set_aside else "", reason)


def _text(raw: bytes | str) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
