"""The e-mail channel: messages queued for "mail:<address>" go out through the office's SMTP server.

    settings = MailSettings.from_env()          # None when SMTP_HOST is not set: e-mail is off
    sender = MailSender(assistant, settings)
    sender.send_due()                           # one round (the web server runs it every few seconds)

It claims the outbox's "mail:" messages like every other channel claims its own (chat.outbox: one message at a
time, retried with back-off, set aside when the server refuses it for good).
"""
from mail.compose import compose
from mail.sender import MailSender
from mail.settings import MailSettings

__all__ = ["MailSender", "MailSettings", "compose"]
