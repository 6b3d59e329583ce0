"""School bookings (/book): a validated form, a reference code, and the school's side of staff decisions."""
from __future__ import annotations

from datetime import date, timedelta

from booking import BookingError, BookingRequest, booking_ics, validate_field
from booking.dates import label as date_label
from booking.dates import window
from booking.models import APPROVED, PENDING, PROPOSED, TIMES_OF_DAY, WITHDRAWN, SchoolBooking
from booking.phones import display_phone
from chat.context import FlowContext
from chat.forms import Field, FormFlow
from chat.types import Attachment, Button, Event, Reply, button_parts


def summary(ctx: FlowContext, booking: SchoolBooking) -> str:
    """The booking as staff read it."""
    r = booking.request
    program = ctx.desk.catalog.program(r.program_id)
    dates = "、".join(date_label(d) for d in r.preferred_dates)
    lines = [f"学校：{r.school}（{r.street}）", f"地址：{r.address}", f"联系人：{r.contact_name}（{r.contact_role}）"
             f" {display_phone(r.phone)}" + (f" {r.email}" if r.email else ""), f"年级：{r.grades}，约 {r.head_count} 人",
             f"课程：{program.title if program else r.program_id}", f"主题：{'、'.join(r.topics) or '—'}",
             f"希望日期：{dates} {r.time_of_day}", f"备注：{r.notes or '—'}"]
    return "\n".join(lines)


COUNTER = "counter:"  # the flow's state step while the school types its own date(s) for a booking
STAFF_ALERT = "staff_booking"  # outbox messages rendered from the booking when sent


class SchoolFlow(FormFlow):
    """/book for school staff; office staff are told and decide in chat/staff.py."""

    name = "sch"
    commands = ("book",)
    limited = True

    def __init__(self, ctx: FlowContext, gate):
        super().__init__(ctx)
        self.gate = gate
        t = ctx.texts

        def check(name: str):
            return lambda raw, data: validate_field(name, raw, self.ctx.now().date(), self.ctx.desk.catalog)

        programs = lambda d: [(p.title[:30], p.id) for p in self.ctx.desk.catalog.school_programs()]
        program_title = lambda pid: (p.title if (p := self.ctx.desk.catalog.program(pid)) else pid)
        self.fields = [
            Field("school", t("label_school"), t("ask_school"), check("school"), group=t("group_school")),
            Field("street", t("label_street"), t("ask_street"), check("street"), group=t("group_school")),
            Field("address", t("label_address"), t("ask_address"), check("address"), group=t("group_school")),
            Field("contact_name", t("label_contact_name"), t("ask_contact_name"), check("contact_name"),
                  group=t("group_contact")),
            Field("contact_role", t("label_contact_role"), t("ask_contact_role"), check("contact_role"),
                  group=t("group_contact")),
            Field("phone", t("label_phone"), t("ask_school_phone"), check("phone"), show=display_phone,
                  group=t("group_contact")),
            Field("email", t("label_email"), t("ask_email"), check("email"), skippable=True,
                  show=lambda v: v or "—", group=t("group_contact")),
            Field("grades", t("label_grades"), t("ask_grades"), check("grades"), group=t("group_students")),
            Field("head_count", t("label_head_count"), t("ask_head_count"), check("head_count"),
                  group=t("group_students")),
            Field("program_id", t("label_program"), lambda d: self._programs_prompt(), check("program_id"),
                  choices=programs, show=program_title, group=t("group_program")),
            Field("topics", t("label_topics"), t("ask_topics"), check("topics"), skippable=True,
                  show=lambda v: "、".join(v), group=t("group_program")),
            Field("preferred_dates", t("label_dates"), t("ask_dates"), check("preferred_dates"),
                  choices=lambda d: self._date_choices(),
                  show=lambda v: "、".join(date_label(date.fromisoformat(d)) for d in v), group=t("group_when")),
            Field("time_of_day", t("label_time"), t("ask_time"), check("time_of_day"),
                  choices=lambda d: [(x, x) for x in TIMES_OF_DAY], group=t("group_when")),
            Field("notes", t("label_notes"), t("ask_notes"), check("notes"), skippable=True),
        ]

    def _programs_prompt(self) -> str:
        """The choice with one line per programme: who gives it, for which grades, how long."""
        lines = [self.texts("program_line", title=p.title, by=p.delivered_by, grades=p.grades or "—",
                            minutes=p.duration_minutes) for p in self.ctx.desk.catalog.school_programs()]
        return "\n".join([self.texts("ask_program"), *lines])

    def title(self, values: dict) -> str:
        return self.texts("booking_title")

    def _date_choices(self) -> list[tuple[str, str]]:
        """The first six school days a booking may ask for, as buttons (typing 1–3 dates also works)."""
        first, _ = window(self.ctx.now().date())
        days = (first + timedelta(days=n) for n in range(14))
        return [(date_label(d), d.isoformat()) for d in days if d.weekday() < 5][:6]

    def on_command(self, event: Event) -> list[Reply]:
        self.state.clear(event.user)  # /book starts afresh
        return self.start(event)

    def start(self, event: Event, payload: str = "") -> list[Reply]:
        if not self.gate.has_consent(event.user):
            return self.gate.ask(event.user, "sch:new")
        return self.begin(event, {})

    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]:
        action, rest = button_parts(event.button)
        if action == "new":
            return self.start(event)
        ref = rest[0] if rest else ""
        if action == "accept" and ref:
            return self.accept(event.user, ref)
        if action == "counter" and ref:
            self.state.put(event.user, self.name, f"{COUNTER}{ref}", {})
            return [Reply(self.texts("ask_counter_dates", ref=ref))]
        if action in ("withdraw", "reject") and ref:  # "reject": the button of older proposal messages
            return [Reply(self.texts("withdraw_confirm", ref=ref),
                          [[Button(self.texts("btn_withdraw_yes"), f"sch:withdrawok:{ref}"),
                            Button(self.texts("btn_keep_booking"), "sch:keep")]])]
        if action == "withdrawok" and ref:
            return self.withdraw(event.user, ref)
        if action == "keep":
            return [Reply(self.texts("booking_kept"), edit=True)]
        return super().on_button(event, step, data)

    def on_text(self, event: Event, step: str, data: dict) -> list[Reply]:
        if step.startswith(COUNTER):
            return self.counter(event.user, step[len(COUNTER):], event.text)
        return super().on_text(event, step, data)

    def submit(self, event: Event, values: dict) -> list[Reply]:
        fields = {k: v for k, v in values.items()}
        fields["topics"] = tuple(fields.get("topics") or ())
        fields["preferred_dates"] = tuple(date.fromisoformat(d) for d in fields["preferred_dates"])
        booking = self.ctx.desk.schools.submit(BookingRequest(**fields), event.user, self.ctx.now())
        self.ctx.alert_staff(STAFF_ALERT, booking.ref)
        return [Reply(self.texts("booking_submitted", ref=booking.ref), [[Button(self.texts("btn_my"), "menu:my")]])]

    def staff_alert(self, ref: str) -> Reply | None:
        """The new-booking message for staff, rendered when it is sent; None once the booking was withdrawn or its
        details deleted (/forget, the retention purge), so nothing deleted is ever sent."""
        try:
            booking = self.ctx.desk.schools.get(ref)
        except BookingError:
            return None
        if booking.status == WITHDRAWN or not booking.request.contact_name:
            return None
        buttons = [[Button(self.texts("btn_approve_on", date=f"{d.month}月{d.day}日"), f"adm:approve:{booking.ref}:{i}")
                    for i, d in enumerate(booking.request.preferred_dates)],
                   [Button(self.texts("btn_propose"), f"adm:propose:{booking.ref}"),
                    Button(self.texts("btn_decline"), f"adm:decline:{booking.ref}")]]
        return Reply(self.texts("staff_new_booking", ref=booking.ref, summary=summary(self.ctx, booking)), buttons)

    # ---- the school's answers (public: the web desk's tests and other channels call them too) ----------
    def accept(self, user: str, ref: str) -> list[Reply]:
        """The school takes the date staff proposed; the booking is confirmed, staff are told."""
        try:
            booking = self.ctx.desk.schools.accept_proposal(ref, user, self.ctx.now())
        except BookingError as error:
            return [Reply(str(error), error=True)]
        self._tell_staff(booking, self.texts("reply_accepted", date=date_label(booking.scheduled_date)))
        reply = Reply(self.texts("school_accepted", ref=booking.ref, date=date_label(booking.scheduled_date),
                                 time=booking.time_text), edit=True,
                      attachment=Attachment(f"{booking.ref}.ics", booking_ics(booking, self.ctx.desk.catalog.program(
                          booking.request.program_id)), "text/calendar"))
        self.ctx.mail_to(booking.request.email, reply, booking.ref)
        return [reply]

    def counter(self, user: str, ref: str, text: str) -> list[Reply]:
        """The school answers a proposal with date(s) of its own and perhaps a note; staff decide again."""
        try:
            booking = self.ctx.desk.schools.counter_propose(ref, user, self.ctx.now(), text)
        except BookingError as error:
            return [Reply(str(error), error=True), Reply(self.texts("ask_counter_dates", ref=ref))]
        self.state.clear(user)
        dates = "、".join(date_label(d) for d in booking.request.preferred_dates)
        self._tell_staff(booking, self.texts("reply_countered", dates=dates, note=booking.school_note))
        return [Reply(self.texts("school_countered", ref=booking.ref, dates=dates))]

    def withdraw(self, user: str, ref: str) -> list[Reply]:
        """The school withdraws its booking (after confirming); staff are told."""
        try:
            booking = self.ctx.desk.schools.withdraw(ref, user, self.ctx.now())
        except BookingError as error:
            return [Reply(str(error), error=True)]
        self._tell_staff(booking, self.texts("reply_withdrawn"))
        return [Reply(self.texts("school_withdrawn", ref=booking.ref), edit=True)]

    def _tell_staff(self, booking: SchoolBooking, what: str) -> None:
        self.ctx.tell_staff(Reply(self.texts("staff_school_reply", ref=booking.ref, school=booking.request.school,
                                             what=what), [[Button(self.texts("btn_ack"), f"adm:ack:{booking.ref}")]]),
                            booking.ref)

    def my_buttons(self, booking: SchoolBooking) -> list[list[Button]]:
        """/my: answer a proposal, or withdraw a booking that has not happened yet."""
        rows, ref = [], booking.ref
        if booking.status == PROPOSED:
            rows.append([Button(self.texts("btn_accept_ref", ref=ref), f"sch:accept:{ref}"),
                         Button(self.texts("btn_counter"), f"sch:counter:{ref}")])
        upcoming = booking.status in (PENDING, PROPOSED) or (
            booking.status == APPROVED and booking.scheduled_date and booking.scheduled_date >= self.ctx.now().date())
        if upcoming:
            rows.append([Button(self.texts("btn_withdraw_ref", ref=ref), f"sch:withdraw:{ref}")])
        return rows

    def reminders(self) -> list[tuple[str, Reply, object]]:
        due = []
        for booking in self.ctx.desk.schools.due_school_reminders(self.ctx.now()):
            reply = Reply(self.texts("reminder_school", ref=booking.ref, school=booking.request.school,
                                     date=date_label(booking.scheduled_date), time=booking.time_text))
            due.append((booking.user_key, reply, lambda b=booking, r=reply: self._reminded(b, r)))
        return due

    def _reminded(self, booking: SchoolBooking, reply: Reply) -> None:
        """The reminder reached the school's chat: record it, and send the e-mail copy."""
        self.ctx.desk.schools.mark_school_reminded(booking.ref)
        self.ctx.mail_to(booking.request.email, reply, booking.ref)
