"""The guardian's side of consent for a child under 14 (the rules: booking/consent.py).

The child passes on a one-time code; the guardian opens it from their own account or device — a deep link
(Telegram `/start consent_<code>`, the web page `/?start=consent_<code>`) or the code typed in any channel — sees
what is collected and why, and agrees or refuses. The child is told the result through the outbox.
"""
from __future__ import annotations

from booking import BookingError
from booking.consent import SAME_NETWORK, Guardian, normalize_code
from booking.phones import display_phone
from chat.context import FlowContext, when_text
from chat.lectures import consented_notice, promoted_notice
from chat.types import Button, Event, Reply, button_parts

CONFIRM = "confirm"


class ConsentFlow:
    """A Flow (chat.flow) that keeps the opened code in the guardian's own state until they answer."""

    name = "gdn"
    commands: tuple[str, ...] = ()
    buttons = ("gdn",)
    public = False

    def __init__(self, ctx: FlowContext):
        self.ctx, self.texts = ctx, ctx.texts

    def knows(self, code: str) -> bool:
        """True when a sign-up awaits consent under this code (so typed text is taken as the code)."""
        try:
            self.ctx.desk.lectures.consent_request(code, self.ctx.now())
        except BookingError:
            return False
        return True

    def start(self, event: Event, payload: str = "") -> list[Reply]:
        """Show the guardian what the child signed up for, what is collected and why; ask to agree or refuse."""
        code = normalize_code(payload)
        if code is None:
            return [Reply(self.texts("consent_code_invalid"), error=True)]
        try:
            reg = self.ctx.desk.lectures.consent_request(code, self.ctx.now(), guardian_of(event))
        except BookingError as error:
            return [Reply(str(error), error=True)]
        self.ctx.state.put(event.user, self.name, CONFIRM, {"code": code})
        s = reg.session
        text = self.texts("guardian_request", child=reg.name, title=s.title, when=when_text(s.starts_at, s.ends_at),
                          venue=s.venue, attendees=reg.attendees, guardian=reg.guardian_name,
                          phone=display_phone(reg.guardian_phone), days=self.ctx.retention_days,
                          until=when_text(reg.consent_expires_at))
        return [Reply(text, self._choices())]

    def _choices(self) -> list[list[Button]]:
        return [[Button(self.texts("btn_guardian_agree"), "gdn:yes"),
                 Button(self.texts("btn_guardian_refuse"), "gdn:no")]]

    def on_command(self, event: Event) -> list[Reply]:
        return self.start(event)

    def on_text(self, event: Event, step: str, data: dict) -> list[Reply]:
        return [Reply(self.texts("consent_use_buttons"), self._choices() + [[Button(self.texts("btn_cancel"), "gdn:cancel")]])]

    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]:
        action, _ = button_parts(event.button)
        if action == "cancel":  # leave without deciding: the request stays open until it expires
            self.ctx.state.clear(event.user)
            return [Reply(self.texts("consent_later"), edit=True)]
        if step != CONFIRM or "code" not in data:
            return [Reply(self.texts("form_expired"))]
        if action not in ("yes", "no"):
            return [Reply(self.texts("stale_button"))]
        agree = action == "yes"
        try:
            outcome = self.ctx.desk.lectures.confirm_consent(data["code"], guardian_of(event), agree, self.ctx.now())
        except BookingError as error:
            self.ctx.state.clear(event.user)
            return [Reply(str(error), error=True)]
        self.ctx.state.clear(event.user)
        [reg] = outcome.registrations
        title = reg.session.title if reg.session else ""
        if agree:
            self.ctx.notify(reg.user_key, consented_notice(self.texts, reg))
        else:
            self.ctx.notify(reg.user_key, Reply(self.texts("consent_refused_child", ref=reg.ref, title=title)))
        for other in outcome.promoted:
            if other.id != reg.id:
                self.ctx.notify(other.user_key, promoted_notice(self.texts, other))
        key = "consent_thanks" if agree else "consent_refused_guardian"
        text = self.texts(key, ref=reg.ref, title=title)
        if agree and reg.consent_check == SAME_NETWORK:
            text += "\n" + self.texts("consent_call_back", phone=display_phone(reg.guardian_phone))
        return [Reply(text, edit=True)]


def guardian_of(event: Event) -> Guardian:
    """The account answering a consent request, with what its channel can tell about it."""
    return Guardian(event.user, event.account_age, event.origin)
