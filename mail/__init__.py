"""The e-mail channel: messages queued for "mail:<address>" go out through the office's SMTP server.

    settings = MailSettings.from_env()          # None when SMTP_HOST is not set: e-mail is off
    sender = MailSender(assistant, settings)
    sender.send_due()                           # one round (the web server runs it every few seconds)

It reads the same persistent outbox the other channels read (Assistant.outbox("mail:")), and keeps retries,
back-off and set-aside messages to itself, so it can move onto a per-message queue without changing the flows.
"""
from mail.compose import compose
from mail.sender import MailSender
from mail.settings import MailSettings

__all__ = ["MailSender", "MailSettings", "compose"]
