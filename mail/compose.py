"""A chat reply as an e-mail: its first line as the subject, the text as the body, a calendar file attached."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from chat.types import Reply

SUBJECT_PREFIX = "【浦东普法助手】"


def compose(sender: str, address: str, reply: Reply) -> EmailMessage:
    """The message for one recipient (buttons cannot be pressed in a mail and are left out)."""
    first = next((line.strip() for line in reply.text.splitlines() if line.strip()), "通知")
    message = EmailMessage()
    message["Subject"] = SUBJECT_PREFIX + (first if len(first) <= 60 else first[:59] + "…")
    message["From"], message["To"] = sender, address
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain="pufa.local")
    message.set_content(reply.text + "\n\n——\n这是浦东新区未成年人保护普法助手自动发出的邮件，请勿直接回复。")
    if reply.attachment is not None:
        kind, _, sub = reply.attachment.mime.partition("/")
        params = {"method": "PUBLISH"} if reply.attachment.mime == "text/calendar" else {}
        message.add_attachment(reply.attachment.content, maintype=kind or "application",
                               subtype=sub or "octet-stream", filename=reply.attachment.filename, params=params)
    return message
