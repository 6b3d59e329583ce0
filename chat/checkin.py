"""The QR code a confirmed sign-up shows at the door (see chat/running.py for attendance itself)."""
from __future__ import annotations

import io

import segno

from booking import Registration
from chat.context import FlowContext
from chat.types import Attachment, Reply


def checkin_card(ctx: FlowContext, reg: Registration) -> Reply:
    """The sign-up's code as a QR image to show at the door: it opens the desk's check-in page on a staff phone
    (the code itself when no public address is set)."""
    content = ctx.checkin_url.format(ref=reg.ref) if ctx.checkin_url else reg.ref
    out = io.BytesIO()
    segno.make(content, error="m").save(out, kind="png", scale=8, border=4)
    return Reply(ctx.texts("signup_checkin_qr", ref=reg.ref),
                 attachment=Attachment(f"{reg.ref}-checkin.png", out.getvalue(), "image/png"))
