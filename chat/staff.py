"""Office staff tools: review school bookings, run lecture sessions, statistics, unanswered questions, CSV."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

from booking import AlreadyDecided, BookingError, booking_ics, registrations_csv, school_bookings_csv
from booking.dates import label as date_label
from booking.dates import read_datetime, time_of_day_in
from booking.models import PENDING, PROPOSED, SchoolBooking
from booking.phones import display_phone
from chat.context import SHANGHAI, FlowContext, when_text
from chat.forms import Field, FormFlow
from chat.lectures import promoted_notice
from chat.schools import summary
from chat.types import Attachment, Button, Event, Reply, button_parts, small_number

def datetime_parser(clock):
    """A form field reading a date and time as people write them: 2026-12-20 14:00, 「12月19日下午2点」."""
    def parse(raw: str, data: dict) -> str:
        day, hour, minute = read_datetime(raw, clock().date())
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).isoformat()
    return parse


def booking_state(texts, booking: SchoolBooking) -> str:
    """Where a booking stands for the office, e.g. 待审核（学校另提了日期）."""
    label = booking.decision_text
    return f"{label}｜{booking.attention_label}" if booking.attention_label else label


def _int_between(low: int, high: int, what: str):
    def parse(raw: str, data: dict) -> int:
        number = small_number(str(raw), high)
        if number is None or number < low:
            raise BookingError(f"{what}请输入 {low}–{high} 之间的整数。")
        return number
    return parse


def _text(what: str, high: int):
    def parse(raw: str, data: dict) -> str:
        text = (raw or "").strip()
        if not 1 <= len(text) <= high:
            raise BookingError(f"{what}请填写 1–{high} 个字。")
        return text
    return parse


def _question_ids(arg: str) -> list[int] | tuple[int, int]:
    """The questions of an 已查看 button: a list "3,5,8", or a range "3-122" as (first, last); empty if forged."""
    low, dash, high = arg.partition("-")
    if dash:
        first, last = small_number(low), small_number(high)
        return (first, last) if first is not None and last is not None and first <= last else []
    ids = [small_number(x) for x in arg.split(",")]
    return [i for i in ids if i is not None][:50]


class SessionForm(FormFlow):
    """Staff create a lecture session from a public program in the catalogue."""

    name = "ses"

    def __init__(self, ctx: FlowContext, announce):
        super().__init__(ctx)
        self.announce = announce
        t, catalog = ctx.texts, ctx.desk.catalog
        self.fields = [
            Field("program_id", t("label_program"), t("ask_session_program"), self._program,
                  choices=lambda d: [(p.title[:30], p.id) for p in catalog.public_programs()],
                  show=lambda v: (p.title if (p := catalog.program(v)) else v)),
            Field("title", t("label_session_title"), t("ask_session_title"), lambda raw, d: raw.strip()[:60],
                  skippable=True),
            Field("starts_at", t("label_session_start"), t("ask_session_start"), datetime_parser(ctx.now),
                  show=lambda v: when_text(datetime.fromisoformat(v))),
            Field("minutes", t("label_session_minutes"), t("ask_session_minutes"), _int_between(15, 480, "时长")),
            Field("venue", t("label_session_venue"), t("ask_session_venue"), _text("地点", 80)),
            Field("street", t("label_street"), t("ask_session_street"), lambda raw, d: catalog.resolve_street(raw)),
            Field("audience", t("label_session_audience"), t("ask_session_audience"), _text("对象", 30)),
            Field("capacity", t("label_session_capacity"), t("ask_session_capacity"), _int_between(1, 2000, "名额")),
            Field("deadline", t("label_session_deadline"), t("ask_session_deadline"), datetime_parser(ctx.now),
                  show=lambda v: when_text(datetime.fromisoformat(v))),
        ]

    def _program(self, raw: str, data: dict) -> str:
        """A public program from the catalogue, picked from the buttons (the rule itself is the domain's)."""
        try:
            return self.ctx.desk.lectures.session_program(raw.strip()).id
        except BookingError:
            raise BookingError(self.texts("pick_program")) from None

    def create(self, actor: str, raw: dict[str, str]) -> list[Reply]:
        """Check every answer with the form's own fields, then create the session (command line, web desk);
        every problem is reported at once, a wrong programme with the ids that may be used."""
        values: dict = {}
        problems = []
        for field in self.fields:
            if field.name == "program_id":
                program = str(raw.get("program_id") or "").strip()
                try:
                    values["program_id"] = self.ctx.desk.lectures.session_program(program).id
                except BookingError as error:
                    ids = "、".join(p.id for p in self.ctx.desk.catalog.public_programs())
                    problems.append(self.texts("session_program_problem", problem=error, ids=ids))
                continue
            if field.when is not None and not field.when(values):
                continue
            text = str(raw.get(field.name) or "")
            if not text.strip() and field.skippable:
                values[field.name] = ""
                continue
            try:
                values[field.name] = field.parse(text, values)
            except BookingError as error:
                problems.append(f"{field.label}：{error}")
        if problems:
            raise BookingError("\n".join(problems))
        return self.submit(Event(user=actor, is_admin=True), values)

    def submit(self, event: Event, values: dict) -> list[Reply]:
        starts = datetime.fromisoformat(values["starts_at"])
        session = self.ctx.desk.lectures.create_session(
            values["program_id"], values.get("title") or "", starts, starts + timedelta(minutes=values["minutes"]),
            values["venue"], values["street"], values["audience"], values["capacity"],
            datetime.fromisoformat(values["deadline"]), event.user, now=self.ctx.now())
        told = self.announce(session)
        return [Reply(self.texts("session_created", id=session.id, title=session.title, told=told))]


class StaffFlow:
    """Admin commands and buttons; every one checks the caller is configured staff.

    The staff operations (approve, propose, decline, attendees, close_session, cancel_session) are public methods
    taking the acting staff member's key: buttons reach them through on_button, the command line calls them
    directly, so callback data stays this flow's private wire format."""

    name = "adm"
    commands = ("pending", "sessions", "stats", "unanswered", "export")
    buttons = ("adm",)
    public = False

    def __init__(self, ctx: FlowContext, session_form: SessionForm):
        self.ctx, self.texts, self.session_form = ctx, ctx.texts, session_form

    def refuse(self) -> list[Reply]:
        return [Reply(self.texts("staff_only"))]

    def start(self, event: Event, payload: str = "") -> list[Reply]:
        return self.pending(event)

    # ---- commands -------------------------------------------------------------------------------
    def on_command(self, event: Event) -> list[Reply]:
        """Route /pending /sessions /stats /unanswered /export."""
        if not event.is_admin:
            return self.refuse()
        handler = {"pending": self.pending, "sessions": self.sessions, "stats": self.stats,
                   "unanswered": self.unanswered, "export": self.export}[event.command]
        return handler(event)

    def pending(self, event: Event) -> list[Reply]:
        """Everything open: new bookings, bookings waiting for a school's answer, schools' answers not yet seen."""
        bookings = self.ctx.desk.schools.open_for_staff()
        if not bookings:
            return [Reply(self.texts("pending_none"))]
        replies = [Reply(self.texts("pending_header", count=len(bookings)))]
        for b in bookings[:10]:
            replies.append(Reply(self.texts("pending_item", ref=b.ref, state=booking_state(self.texts, b),
                                            summary=summary(self.ctx, b)), self.booking_buttons(b)))
        return replies

    def booking_buttons(self, booking: SchoolBooking) -> list[list[Button]]:
        """What staff can do with a booking in chat: decide it, or mark a school's answer as seen."""
        ref, rows = booking.ref, []
        if booking.status == PENDING:
            rows.append([Button(self.texts("btn_approve_on", date=f"{d.month}月{d.day}日"), f"adm:approve:{ref}:{i}")
                         for i, d in enumerate(booking.request.preferred_dates)])
            rows.append([Button(self.texts("btn_propose"), f"adm:propose:{ref}"),
                         Button(self.texts("btn_decline"), f"adm:decline:{ref}")])
        if booking.attention:
            rows.append([Button(self.texts("btn_ack"), f"adm:ack:{ref}")])
        return rows

    def sessions(self, event: Event) -> list[Reply]:
        sessions = self.ctx.desk.lectures.upcoming_sessions(self.ctx.now())
        lines, rows = [self.texts("sessions_header" if sessions else "sessions_none")], []
        for s in sessions:
            lines.append(self.texts("session_line", id=s.id, when=when_text(s.starts_at), title=s.title,
                                    status=s.status_label, taken=s.seats_taken, capacity=s.capacity, waiting=s.waitlisted))
            rows.append([Button(self.texts("btn_attendees", id=s.id), f"adm:att:{s.id}"),
                         Button(self.texts("btn_close_session", id=s.id), f"adm:close:{s.id}"),
                         Button(self.texts("btn_cancel_session", id=s.id), f"adm:drop:{s.id}")])
        rows.append([Button(self.texts("btn_new_session"), "adm:new")])
        return [Reply("\n".join(lines), rows)]

    def stats(self, event: Event, days: int = 30) -> list[Reply]:
        since = time.time() - days * 86400
        s = self.ctx.state.stats(since)
        desk = self.ctx.desk
        registrations = sum(x.seats_taken for x in desk.lectures.upcoming_sessions(self.ctx.now()))
        bookings = desk.schools.all()
        share = f"{100 * s['answered'] / s['total']:.0f}%" if s["total"] else "—"
        top = "、".join(f"{ref}×{n}" for ref, n in s["top"][:5]) or "—"
        per_day = "，".join(f"{d} {n}" for d, n in s["per_day"][-7:]) or "—"
        text = self.texts("stats_text", days=days, total=s["total"], answered=s["answered"], share=share,
                          up=s["up"], down=s["down"], registrations=registrations, bookings=len(bookings),
                          pending=len(desk.schools.pending()), per_day=per_day, top=top)
        set_aside = self.ctx.outbox.counts()["set_aside"]
        if set_aside:
            text += "\n" + self.texts("stats_outbox", count=set_aside)
        return [Reply(text)]

    def unanswered(self, event: Event) -> list[Reply]:
        items = self.ctx.state.unanswered()
        if not items:
            return [Reply(self.texts("unanswered_none"))]
        lines = [self.texts("unanswered_header")]
        lines += [f"· {time.strftime('%m-%d %H:%M', time.localtime(q['asked_at']))} {q['text']}" for q in items]
        done = ",".join(str(q["id"]) for q in items)
        rows = [[Button(self.texts("btn_reviewed"), f"adm:seen:{done}"[:64])]] if len(f"adm:seen:{done}") <= 64 else \
            [[Button(self.texts("btn_reviewed"), f"adm:seen:{items[-1]['id']}-{items[0]['id']}")]]
        return [Reply("\n".join(lines), rows)]

    def export(self, event: Event) -> list[Reply]:
        desk = self.ctx.desk
        registrations = [r for s in desk.lectures.upcoming_sessions(self.ctx.now()) for r in desk.lectures.attendees(s.id)]
        stamp = self.ctx.now().strftime("%Y%m%d")
        return [Reply(self.texts("export_done"), attachment=Attachment(
                    f"registrations-{stamp}.csv", registrations_csv(registrations), "text/csv")),
                Reply("", attachment=Attachment(f"school-bookings-{stamp}.csv",
                                                school_bookings_csv(desk.schools.all(), desk.catalog), "text/csv"))]

    # ---- buttons and typed answers -----------------------------------------------------------------
    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]:
        if not event.is_admin:
            return self.refuse()
        action, rest = button_parts(event.button)
        arg = rest[0] if rest else ""
        if action == "approve":
            return self.approve(event.user, arg, self._preferred(arg, rest[1] if len(rest) > 1 else ""))
        if action == "ack" and arg:
            return self.acknowledge(event.user, arg)
        if action in ("propose", "decline"):
            self.ctx.state.put(event.user, self.name, f"{action}:{arg}", {"ref": arg})
            return [Reply(self.texts("ask_propose_date" if action == "propose" else "ask_decline_reason"))]
        if action == "new":
            return self.session_form.begin(event, {})
        if action == "seen" and arg:
            ids = _question_ids(arg)
            if not ids:
                return [Reply(self.texts("stale_button"))]
            count = self.ctx.state.mark_reviewed(ids)
            return [Reply(self.texts("reviewed_done", count=count), edit=True)]
        number = small_number(arg)
        if number is None:
            return [Reply(self.texts("stale_button"))]
        if action == "att":
            return self.attendees(number)
        if action == "close":
            return self.close_session(event.user, number)
        if action == "drop":
            session = self.ctx.desk.lectures.get_session(number)
            return [Reply(self.texts("session_cancel_confirm", id=session.id, title=session.title),
                          [[Button(self.texts("btn_cancel_session_yes"), f"adm:dropok:{session.id}")]])]
        if action == "dropok":
            return self.cancel_session(event.user, number)
        return [Reply(self.texts("stale_button"))]

    def on_text(self, event: Event, step: str, data: dict) -> list[Reply]:
        if not event.is_admin:
            self.ctx.state.clear(event.user)
            return self.refuse()
        action, _, ref = step.partition(":")
        if action == "propose":
            return self.propose(event.user, ref, event.text)
        return self.decline(event.user, ref, event.text)

    def _preferred(self, ref: str, index: str):
        """The school's preferred date a button points at (None: the first that has not passed)."""
        number = small_number(index)
        if number is None:
            return None
        try:
            dates = self.ctx.desk.schools.get(ref).request.preferred_dates
        except BookingError:
            return None
        return dates[number] if number < len(dates) else None

    # ---- staff operations (buttons, the command line and the web desk) ---------------------------------
    def approve(self, actor: str, ref: str, date=None) -> list[Reply]:
        """Approve a school booking on one of its preferred dates (by default the first that has not passed);
        the school is told and gets a calendar file."""
        return self._decide(actor, ref, "approve", date=date)

    def propose(self, actor: str, ref: str, text: str, note: str | None = None) -> list[Reply]:
        """Propose another date, as people write it, with a note for the school: 「12月23号下午吧，16和18号讲师都排满了」
        proposes 12月23日 下午 and passes the whole sentence on (or `note`, when given separately)."""
        text = (text or "").strip()
        note = text if note is None else note.strip()
        return self._decide(actor, ref, "propose", date=text, reason=note[:200] or None, time=time_of_day_in(text))

    def decline(self, actor: str, ref: str, reason: str) -> list[Reply]:
        """Decline a school booking with a reason the school is told."""
        return self._decide(actor, ref, "decline", reason=reason.strip()[:200])

    def withdraw_proposal(self, actor: str, ref: str) -> list[Reply]:
        """Take back a proposed date the school has not answered; the school is told, the booking is open again."""
        booking = self.ctx.desk.schools.withdraw_proposal(ref, actor, self.ctx.now())
        self.ctx.tell_school(booking, Reply(self.texts("school_proposal_withdrawn", ref=booking.ref)))
        return [Reply(self.texts("proposal_withdrawn", ref=booking.ref))]

    def acknowledge(self, actor: str, ref: str) -> list[Reply]:
        """Mark the school's answer on a booking as seen; it leaves the to-do list."""
        booking = self.ctx.desk.schools.acknowledge(ref, actor, self.ctx.now())
        return [Reply(self.texts("acknowledged", ref=booking.ref), edit=True)]

    def called_back(self, actor: str, ref: str, agree: bool = True) -> list[Reply]:
        """Record the phone call to the guardian of a sign-up confirmed from the child's own network: the consent
        stands, or it does not and the sign-up is cancelled (the child and anyone promoted are told)."""
        outcome = self.ctx.desk.lectures.called_back(ref, actor, self.ctx.now(), agree)
        [reg] = outcome.registrations
        if not agree:
            title = reg.session.title if reg.session else ""
            self.ctx.notify(reg.user_key, Reply(self.texts("consent_refused_child", ref=reg.ref, title=title)))
            for other in outcome.promoted:
                self.ctx.notify(other.user_key, promoted_notice(self.texts, other), other.ref)
        return [Reply(self.texts("called_back" if agree else "called_back_refused", ref=reg.ref), edit=True)]

    def _decide(self, actor: str, ref: str, action: str, **extra) -> list[Reply]:
        try:
            booking = self.ctx.desk.schools.decide(ref, action, actor, self.ctx.now(), **extra)
        except AlreadyDecided as error:
            self.ctx.state.clear(actor)
            return [Reply(self.texts("already_decided", ref=error.booking.ref, status=error.booking.decision_text),
                          error=True)]
        except BookingError as error:
            return [Reply(str(error), error=True)]
        self.ctx.state.clear(actor)
        self.tell_school(booking)
        return [Reply(self.texts("decided", ref=booking.ref, status=booking.decision_text), edit=action == "approve")]

    def tell_school(self, booking) -> None:
        """The decision, to the school where it booked and by e-mail; an approval carries the calendar file."""
        t, ref = self.texts, booking.ref
        if booking.status == "已确认":
            program = self.ctx.desk.catalog.program(booking.request.program_id)
            reply = Reply(t("school_approved", ref=ref, date=date_label(booking.scheduled_date), time=booking.time_text),
                          attachment=Attachment(f"{ref}.ics", booking_ics(booking, program), "text/calendar"))
        elif booking.status == PROPOSED:
            note = t("school_proposal_note", note=booking.reason) if booking.reason else ""
            reply = Reply(t("school_proposed", ref=ref, date=date_label(booking.scheduled_date), time=booking.time_text,
                            note=note),
                          [[Button(t("btn_accept_date"), f"sch:accept:{ref}"), Button(t("btn_counter"), f"sch:counter:{ref}")],
                           [Button(t("btn_withdraw_booking"), f"sch:withdraw:{ref}")]])
        else:
            reply = Reply(t("school_declined", ref=ref, reason=booking.reason or ""))
        self.ctx.tell_school(booking, reply)

    def attendees(self, session_id: int) -> list[Reply]:
        """The sign-ups of a session, as a list and as a CSV file."""
        session = self.ctx.desk.lectures.get_session(session_id)
        regs = self.ctx.desk.lectures.attendees(session_id)
        lines = [self.texts("attendees_header", id=session_id, title=session.title)]
        lines += [self.texts("attendee_line", ref=r.ref, name=r.name, phone=display_phone(r.phone), role=r.role,
                             attendees=r.attendees, status=r.status_label) for r in regs] or [self.texts("attendees_none")]
        return [Reply("\n".join(lines), attachment=Attachment(f"session-{session_id}.csv", registrations_csv(regs),
                                                               "text/csv"))]

    def close_session(self, actor: str, session_id: int) -> list[Reply]:
        """Stop taking sign-ups for a session."""
        session = self.ctx.desk.lectures.close_session(session_id, actor, self.ctx.now())
        return [Reply(self.texts("session_closed", id=session.id, title=session.title))]

    def cancel_session(self, actor: str, session_id: int) -> list[Reply]:
        """Cancel a session; everyone signed up (or waiting) is told."""
        session = self.ctx.desk.lectures.get_session(session_id)
        affected = self.ctx.desk.lectures.cancel_session(session_id, actor, self.ctx.now())
        for reg in affected:
            self.ctx.notify(reg.user_key, Reply(self.texts("session_cancelled_notice", title=session.title,
                                                           when=when_text(session.starts_at), reason="")), reg.ref)
        return [Reply(self.texts("session_cancelled", id=session_id, count=len(affected)))]

