"""Sending the outbox's "mail:" messages through SMTP, one message at a time (chat.outbox).

Each round claims the due e-mails (no other process or round gets the same ones) and reports on each: delivered
(the message is deleted), refused for good by the server (a 5xx answer: unknown mailbox, rejected sender — set
aside at once), or failed for now (tried again after 1, 2, 4 … minutes, at most an hour apart; set aside after
chat.outbox.MAX_ATTEMPTS tries). A set-aside message keeps no text; staff see who it was for and why on the desk
(`problems()`) and with `python bot.py admin outbox`. A server that cannot be reached holds the whole round back
(nothing is counted against the messages), so nothing is lost while it is down.
"""
from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import time
from collections.abc import Callable

from chat.assistant import Assistant
from chat.context import MAIL
from chat.outbox import Message, Outcome
from mail.compose import compose
from mail.settings import MailSettings

logger = logging.getLogger(__name__)

FIRST_WAIT, LONGEST_WAIT = 60.0, 3600.0   # seconds
EVERY = 10.0                             # seconds between rounds while the web server runs
ROUND = 200                              # e-mails claimed per round


class MailSender:
    def __init__(self, assistant: Assistant, settings: MailSettings, clock: Callable[[], float] = time.monotonic):
        self.assistant, self.settings, self.clock = assistant, settings, clock
        self.server_down_until = 0.0

    def problems(self) -> list[tuple[str, str, int]]:
        """Set-aside e-mails as (address, reason, attempts), for staff."""
        return [(row["user"][len(MAIL):], row["error"], row["attempts"]) for row in self.assistant.outbox.set_aside()
                if row["user"].startswith(MAIL)]

    def send_due(self) -> int:
        """One round: send every due message over one connection; returns how many went out."""
        if self.clock() < self.server_down_until:
            return 0
        outbox = self.assistant.outbox
        due = outbox.claim(MAIL, limit=ROUND)
        if not due:
            return 0
        try:
            connection = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            self.server_down_until = self.clock() + FIRST_WAIT
            logger.warning("SMTP server %s:%s not reachable (%s); %d e-mails wait", self.settings.host,
                           self.settings.port, type(error).__name__, len(due))
            for message in due:
                outbox.release(message)
            return 0
        sent, stopped = 0, set()  # addresses whose earlier message failed: their later ones wait, in order
        try:
            for index, message in enumerate(due):
                if message.user in stopped:
                    outbox.release(message)
                    continue
                outcome = self._send(connection, message)
                outbox.report(message, outcome)
                if outcome.kind == "sent":
                    sent += 1
                    continue
                stopped.add(message.user)
                if outcome.error.startswith("连接中断"):  # the connection is gone: the rest waits for next round
                    for later in due[index + 1:]:
                        outbox.release(later)
                    break
        finally:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()
        if sent:
            logger.info("sent %d e-mails", sent)
        return sent

    def _send(self, connection: smtplib.SMTP, message: Message) -> Outcome:
        """One e-mail; what became of it."""
        wait = min(FIRST_WAIT * 2 ** message.attempts, LONGEST_WAIT)
        try:
            connection.send_message(compose(self.settings.sender, message.user[len(MAIL):], message.reply))
        except smtplib.SMTPServerDisconnected as error:
            return Outcome.retry(f"连接中断：{error}", after=wait)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            return self._refused(code, f"{code} {_text(text)}", wait)
        except smtplib.SMTPResponseException as error:
            return self._refused(error.smtp_code, f"{error.smtp_code} {_text(error.smtp_error)}", wait)
        except (OSError, smtplib.SMTPException) as error:
            return Outcome.retry(type(error).__name__, after=wait)
        return Outcome.sent()

    @staticmethod
    def _refused(code: int, reason: str, wait: float) -> Outcome:
        logger.warning("e-mail refused: %s", reason)
        return Outcome.failed(reason) if code >= 500 else Outcome.retry(reason, after=wait)

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


def _text(raw: bytes | str) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
