"""School bookings (/book): a validated form, a reference code, and the school's side of staff decisions."""
from __future__ import annotations

from datetime import date, timedelta

from booking import BookingError, BookingRequest, booking_ics, validate_field
from booking.dates import label as date_label
from booking.dates import window
from booking.models import TIMES_OF_DAY, SchoolBooking
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
             f" {display_phone(r.phone)}", f"年级：{r.grades}，约 {r.head_count} 人",
             f"课程：{program.title if program else r.program_id}", f"主题：{'、'.join(r.topics) or '—'}",
             f"希望日期：{dates} {r.time_of_day}", f"备注：{r.notes or '—'}"]
    return "\n".join(lines)


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
            Field("school", t("label_school"), t("ask_school"), check("school")),
            Field("street", t("label_street"), t("ask_street"), check("street")),
            Field("address", t("label_address"), t("ask_address"), check("address")),
            Field("contact_name", t("label_contact_name"), t("ask_contact_name"), check("contact_name")),
            Field("contact_role", t("label_contact_role"), t("ask_contact_role"), check("contact_role")),
            Field("phone", t("label_phone"), t("ask_school_phone"), check("phone"), show=display_phone),
            Field("grades", t("label_grades"), t("ask_grades"), check("grades")),
            Field("head_count", t("label_head_count"), t("ask_head_count"), check("head_count")),
            Field("program_id", t("label_program"), t("ask_program"), check("program_id"), choices=programs,
                  show=program_title),
            Field("topics", t("label_topics"), t("ask_topics"), check("topics"), skippable=True,
                  show=lambda v: "、".join(v)),
            Field("preferred_dates", t("label_dates"), t("ask_dates"), check("preferred_dates"),
                  choices=lambda d: self._date_choices(),
                  show=lambda v: "、".join(date_label(date.fromisoformat(d)) for d in v)),
            Field("time_of_day", t("label_time"), t("ask_time"), check("time_of_day"),
                  choices=lambda d: [(x, x) for x in TIMES_OF_DAY]),
            Field("notes", t("label_notes"), t("ask_notes"), check("notes"), skippable=True),
        ]

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
            return self.gate.ask("sch:new")
        return self.begin(event, {})

    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]:
        action, rest = button_parts(event.button)
        if action == "new":
            return self.start(event)
        if action in ("accept", "reject") and rest:
            return self._reply_to_proposal(event, rest[0], accept=action == "accept")
        return super().on_button(event, step, data)

    def submit(self, event: Event, values: dict) -> list[Reply]:
        fields = {k: v for k, v in values.items()}
        fields["topics"] = tuple(fields.get("topics") or ())
        fields["preferred_dates"] = tuple(date.fromisoformat(d) for d in fields["preferred_dates"])
        booking = self.ctx.desk.schools.submit(BookingRequest(**fields), event.user, self.ctx.now())
        buttons = [[Button(self.texts("btn_approve"), f"adm:approve:{booking.ref}"),
                    Button(self.texts("btn_propose"), f"adm:propose:{booking.ref}"),
                    Button(self.texts("btn_decline"), f"adm:decline:{booking.ref}")]]
        for admin in self.ctx.admins:
            self.ctx.notify(admin, Reply(self.texts("staff_new_booking", ref=booking.ref,
                                                    summary=summary(self.ctx, booking)), buttons))
        return [Reply(self.texts("booking_submitted", ref=booking.ref))]

    def _reply_to_proposal(self, event: Event, ref: str, accept: bool) -> list[Reply]:
        schools = self.ctx.desk.schools
        try:
            booking = (schools.accept_proposal if accept else schools.reject_proposal)(ref, event.user, self.ctx.now())
        except BookingError as error:
            return [Reply(str(error))]
        if accept:
            return [Reply(self.texts("school_accepted", ref=ref, date=date_label(booking.scheduled_date)), edit=True,
                          attachment=Attachment(f"{ref}.ics", booking_ics(booking, self.ctx.desk.catalog.program(
                              booking.request.program_id)), "text/calendar"))]
        return [Reply(self.texts("school_rejected", ref=ref), edit=True)]

    def reminders(self) -> list[tuple[str, Reply, object]]:
        due = []
        for booking in self.ctx.desk.schools.due_school_reminders(self.ctx.now()):
            reply = Reply(self.texts("reminder_school", ref=booking.ref, school=booking.request.school,
                                     date=date_label(booking.scheduled_date), time=booking.request.time_of_day))
            due.append((booking.user_key, reply,
                        lambda ref=booking.ref: self.ctx.desk.schools.mark_school_reminded(ref)))
        return due
