"""Consent before any personal detail, /privacy to see what is held, /forget to delete it."""
from __future__ import annotations

from dataclasses import replace

from booking.phones import display_phone
from chat.context import FlowContext
from chat.lectures import promoted_notice
from chat.types import Button, Event, Reply

CONSENT_KEY = "consent"
ASKED = "asked"  # the step while the notice waits for 同意
AGREE_WORDS = ("同意", "同意并继续", "我同意", "好", "好的", "可以", "是", "ok")


class PrivacyFlow:
    """The bot practises what it teaches: notice, consent, access and deletion."""

    name = "privacy"
    commands = ("privacy", "forget")
    buttons = ("privacy",)
    public = False

    def __init__(self, ctx: FlowContext, resume):
        self.ctx, self.texts = ctx, ctx.texts
        self.resume = resume  # callable(event, target) -> replies, continues the flow that asked for consent

    def notice(self, target: str = "") -> str:
        """The notice; the rule for children under 14 only where a child may sign up (lectures)."""
        text = self.texts("privacy_notice", days=self.ctx.retention_days)
        if not target.startswith("sch:"):
            text += "\n" + self.texts("privacy_notice_minors")
        return text

    def has_consent(self, user: str) -> bool:
        return self.ctx.state.setting(user, CONSENT_KEY) is not None

    def ask(self, user: str, target: str) -> list[Reply]:
        """Show the notice and wait for 同意 (typed text is not lost meanwhile); agreeing continues with `target`
        (e.g. 'lec:join:3')."""
        self.ctx.state.put(user, self.name, ASKED, {"target": target})
        return [Reply(self.notice(target), self._choices(target))]

    def _choices(self, target: str) -> list[list[Button]]:
        return [[Button(self.texts("btn_agree"), f"privacy:agree:{target}"[:64]),
                 Button(self.texts("btn_disagree"), "privacy:no")]]

    def start(self, event: Event, payload: str = "") -> list[Reply]:
        return self.show(event)

    def on_command(self, event: Event) -> list[Reply]:
        return self.confirm_forget(event) if event.command == "forget" else self.show(event)

    def on_text(self, event: Event, step: str, data: dict) -> list[Reply]:
        """At the notice: a typed 同意 agrees, 取消 leaves; anything else keeps the place and says what is expected."""
        target = data.get("target", "")
        if step != ASKED or not target:
            self.ctx.state.clear(event.user)
            return [Reply(self.texts("cancelled"))]
        typed = event.text.strip().strip("。！!.，, ").lower()
        if typed in AGREE_WORDS:
            return self.on_button(replace(event, button=f"privacy:agree:{target}"), step, data)
        if typed in ("取消", "不同意", "不要", "算了"):
            return self.on_button(replace(event, button="privacy:no"), step, data)
        return [Reply(self.texts("privacy_use_buttons"), self._choices(target))]

    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]:
        _, action, target = (event.button.split(":", 2) + ["", ""])[:3]
        if action in ("agree", "no") and step == ASKED:
            self.ctx.state.clear(event.user)
        if action == "agree" and target and not target.startswith("privacy:"):
            self.ctx.state.set_setting(event.user, CONSENT_KEY, self.ctx.now().isoformat(timespec="seconds"))
            return self.resume(event, target)
        if action == "no":  # 不同意 under the notice: nothing new is collected; what is held already stays held
            return [Reply(self.texts("consent_declined_held" if self.holds_data(event.user) else "consent_declined"),
                          edit=True)]
        if action == "keep":  # 取消 under /forget's question
            return [Reply(self.texts("forget_kept"), edit=True)]
        if action == "forget":
            return self.forget(event)
        return [Reply(self.texts("stale_button"))]

    def show(self, event: Event) -> list[Reply]:
        """/privacy: the notice and everything held under this user's key."""
        desk, user = self.ctx.desk, event.user
        lines = []
        consent = self.ctx.state.setting(user, CONSENT_KEY)
        if consent:
            lines.append(self.texts("privacy_consent_line", when=consent.replace("T", " ")))
        for reg in desk.lectures.my_registrations(user):
            lines.append(self.texts("privacy_registration_line", ref=reg.ref, title=reg.session.title,
                                    name=reg.name, phone=display_phone(reg.phone), status=reg.status_label))
            if reg.guardian_name and reg.guardian_consent_at:
                lines.append(self.texts("privacy_guardian_line", name=reg.guardian_name,
                                        phone=display_phone(reg.guardian_phone),
                                        when=reg.guardian_consent_at.strftime("%Y-%m-%d %H:%M")))
            elif reg.guardian_name and reg.awaiting_consent:
                lines.append(self.texts("privacy_guardian_pending_line", name=reg.guardian_name,
                                        phone=display_phone(reg.guardian_phone),
                                        until=reg.consent_expires_at.strftime("%Y-%m-%d %H:%M")))
        for reg in desk.lectures.consented_by(user):  # this person consented as a guardian
            lines.append(self.texts("privacy_consented_line", ref=reg.ref,
                                    title=reg.session.title if reg.session else "",
                                    when=reg.guardian_consent_at.strftime("%Y-%m-%d %H:%M")
                                    if reg.guardian_consent_at else ""))
        for booking in desk.schools.for_user(user):
            r = booking.request
            lines.append(self.texts("privacy_booking_line", ref=booking.ref, school=r.school, name=r.contact_name,
                                    phone=display_phone(r.phone), status=booking.status))
        held = self.texts("privacy_held_header") + "\n" + "\n".join(lines) if lines else self.texts("privacy_held_none")
        return [Reply(self.notice() + "\n\n" + held)]

    def confirm_forget(self, event: Event) -> list[Reply]:
        """/forget asks once more before deleting."""
        return [Reply(self.texts("forget_confirm"), [[Button(self.texts("btn_forget_yes"), "privacy:forget"),
                                                     Button(self.texts("btn_cancel"), "privacy:keep")]])]

    def holds_data(self, user: str) -> bool:
        """True while sign-ups or bookings are held under this user's key."""
        desk = self.ctx.desk
        return any(r.status != "cancelled" for r in desk.lectures.my_registrations(user)) or bool(
            desk.schools.for_user(user))

    def forget(self, event: Event) -> list[Reply]:
        desk = self.ctx.desk
        refs = [r.ref for r in desk.lectures.my_registrations(event.user)] + \
               [b.ref for b in desk.schools.for_user(event.user)]
        promoted = desk.forget_user(event.user, self.ctx.now())
        self.ctx.state.forget(event.user, refs)  # and what waits for others (staff) about those records
        for reg in promoted:
            self.ctx.notify(reg.user_key, promoted_notice(self.texts, reg), reg.ref)
        return [Reply(self.texts("forget_done"), edit=True)]
