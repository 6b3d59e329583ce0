"""Staff running a lecture session from any channel (command line, web desk): edit it, message everyone signed
up, tick who came. The rules are booking.running's; this module parses what staff typed and tells people, each
once, through the outbox."""
from __future__ import annotations

from datetime import datetime, timedelta

from booking import BookingError, Registration
from booking.validation import clean
from chat.context import FlowContext, when_text
from chat.lectures import promoted_notice
from chat.types import Reply

MESSAGE_MAX = 500
EDIT_FIELDS = ("starts_at", "minutes", "venue", "capacity", "deadline")  # what an edit may change; blank: as it is


class SessionOffice:
    """Edits, messages and attendance for staff; every method takes the acting staff member's key."""

    def __init__(self, ctx: FlowContext, session_form):
        self.ctx, self.texts = ctx, ctx.texts
        self.fields = {f.name: f for f in session_form.fields}  # the same parsers as creating a session

    def edit(self, actor: str, session_id: int, raw: dict[str, str]) -> list[Reply]:
        """Change time (start and minutes), venue, capacity or deadline (blank: as it is); everyone active is
        told once what changed, those promoted into new seats that they now have one."""
        running, lectures = self.ctx.desk.running, self.ctx.desk.lectures
        session = lectures.get_session(session_id)
        values = {name: self._parse(name, text) for name, text in raw.items()
                  if name in EDIT_FIELDS and str(text or "").strip()}
        starts = datetime.fromisoformat(values["starts_at"]) if "starts_at" in values else None
        minutes = values.get("minutes")
        ends = None
        if starts or minutes:
            ends = (starts or session.starts_at) + (timedelta(minutes=minutes) if minutes
                                                    else session.ends_at - session.starts_at)
        edit = running.edit_session(session_id, actor, self.ctx.now(), starts_at=starts, ends_at=ends,
                                    venue=values.get("venue"), capacity=values.get("capacity"),
                                    deadline=datetime.fromisoformat(values["deadline"]) if "deadline" in values
                                    else None)
        changes = self.change_lines(edit.after, edit.changed)
        for reg in edit.others:
            self.ctx.notify(reg.user_key, Reply(self.texts(
                "session_changed_notice", title=edit.after.title, ref=reg.ref, status=reg.status_label,
                changes=changes, when=when_text(edit.after.starts_at, edit.after.ends_at),
                venue=edit.after.venue)), reg.ref)
        for reg in edit.promoted:
            self.ctx.notify(reg.user_key, promoted_notice(self.texts, reg), reg.ref)
        return [Reply(self.texts("session_edited", id=session_id, changes=changes,
                                 told=len(edit.others) + len(edit.promoted), promoted=len(edit.promoted)))]

    def change_lines(self, s, changed: tuple[str, ...]) -> str:
        """What changed, one line each, as the people signed up read it."""
        lines = []
        if "starts_at" in changed or "ends_at" in changed:
            lines.append(self.texts("session_change_when", when=when_text(s.starts_at, s.ends_at)))
        if "venue" in changed:
            lines.append(self.texts("session_change_venue", venue=s.venue))
        if "capacity" in changed:
            lines.append(self.texts("session_change_capacity", capacity=s.capacity))
        if "deadline" in changed:
            lines.append(self.texts("session_change_deadline", when=when_text(s.deadline)))
        return "\n".join(lines)

    def _parse(self, name: str, text: str):
        field = self.fields[name]
        try:
            return field.parse(str(text), {})
        except BookingError as error:
            raise BookingError(f"{field.label}：{error}") from None

    # ---- a message to everyone signed up -----------------------------------------------------------------
    def message_preview(self, session_id: int, text: str) -> tuple[str, list[Registration]]:
        """What each person signed up will read (shown with the first one's code) and who they are."""
        text = _message_text(text)
        regs = self.ctx.desk.running.recipients(session_id)
        session = self.ctx.desk.lectures.get_session(session_id)
        sample = regs[0].ref if regs else "JZ-…"
        return self._message(session, text, sample), regs

    def message_all(self, actor: str, session_id: int, text: str, expected: int | None = None) -> list[Reply]:
        """Send the message to everyone signed up or waiting, once each; `expected` is the count the preview
        showed, so a sign-up or cancellation meanwhile is noticed before anything is sent."""
        text = _message_text(text)
        regs = self.ctx.desk.running.recipients(session_id)
        if expected is not None and expected != len(regs):
            raise BookingError(self.texts("session_message_count_changed", before=expected, now=len(regs)))
        if not regs:
            raise BookingError(self.texts("session_message_nobody"))
        session = self.ctx.desk.lectures.get_session(session_id)
        for reg in regs:
            self.ctx.notify(reg.user_key, Reply(self._message(session, text, reg.ref)), reg.ref)
        self.ctx.desk.running.record_message(session_id, actor, text, len(regs), self.ctx.now())
        return [Reply(self.texts("session_message_sent", id=session_id, count=len(regs)))]

    def _message(self, session, text: str, ref: str) -> str:
        return self.texts("session_message_notice", title=session.title, when=when_text(session.starts_at),
                          text=text, ref=ref)

    # ---- attendance ------------------------------------------------------------------------------------
    def attended(self, actor: str, session_id: int, ref: str, came: bool = True) -> list[Reply]:
        """Tick (or untick) one sign-up as present by its code, typed, scanned or from the list."""
        reg, already = self.ctx.desk.running.mark_attended(session_id, ref, came, actor, self.ctx.now())
        key = ("attended_already" if already else "attended_done") if came else "attended_undone"
        return [Reply(self.texts(key, ref=reg.ref, name=reg.name, attendees=reg.attendees))]


def _message_text(text: str) -> str:
    """The staff's message: 1–500 characters, no control characters (line breaks are kept)."""
    lines = [clean(line) for line in str(text or "").splitlines()]
    text = "\n".join(lines).strip()
    if not 1 <= len(text) <= MESSAGE_MAX:
        raise BookingError(f"消息请写 1–{MESSAGE_MAX} 个字（现在 {len(text)} 个字）。")
    if any(ord(ch) < 32 and ch != "\n" for ch in text):
        raise BookingError("消息里有无法显示的字符，请重新输入。")
    return text
