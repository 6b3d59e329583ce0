"""Public lectures: list sessions, sign up (with guardian consent under 14), waitlist, /my and cancel."""
from __future__ import annotations

from booking import BookingError, session_ics
from booking.models import CONFIRMED, ROLES, Registration, Session
from booking.phones import display_phone, normalize_phone
from booking.validation import attendee_count, check_role, person_name
from chat.context import FlowContext, when_text
from chat.forms import Field, FormFlow
from chat.texts import Texts
from chat.types import Attachment, Button, Event, Reply, button_parts

YES, NO, CONSENTED = "是", "否", "同意"
SUBSCRIPTION = "announce"                  # chat-state setting: the audience a user wants announcements for
AUDIENCES = ("家长", "学生", "教师", "全部")


def promoted_notice(texts: Texts, reg: Registration) -> Reply:
    """Tell someone from the waitlist that they now have a seat."""
    s = reg.session
    return Reply(texts("promoted", ref=reg.ref, title=s.title, when=when_text(s.starts_at, s.ends_at), venue=s.venue),
                 attachment=Attachment(f"{reg.ref}.ics", session_ics(s, reg), "text/calendar"))


def _guardian_ok(texts: Texts):
    def parse(raw: str, data: dict) -> str:
        if raw != CONSENTED:
            raise BookingError(texts("guardian_required"))
        return CONSENTED
    return parse


def _yes_no(texts: Texts):
    def parse(raw: str, data: dict) -> str:
        text = raw.strip()
        if text in (YES, "是的", "对", "未满"):
            return YES
        if text in (NO, "不是", "已满"):
            return NO
        raise BookingError(texts("pick_yes_no"))
    return parse


class LectureFlow(FormFlow):
    """/lectures and /my; sign-up is a form whose answers survive a restart."""

    name = "lec"
    commands = ("lectures", "my")

    def __init__(self, ctx: FlowContext, gate, booking_buttons=None):
        super().__init__(ctx)
        self.gate = gate
        self.booking_buttons = booking_buttons or (lambda booking: [])  # the school flow's /my buttons
        t = ctx.texts
        student = lambda d: d.get("role") == "学生"
        under14 = lambda d: student(d) and d.get("under14") == YES
        self.fields = [
            Field("name", t("label_name"), t("ask_name"), lambda raw, d: person_name(raw)),
            Field("role", t("label_role"), t("ask_role"), lambda raw, d: check_role(raw),
                  choices=lambda d: [(r, r) for r in ROLES]),
            Field("under14", t("label_under14"), t("ask_under14"), _yes_no(t), choices=lambda d: [(YES, YES), (NO, NO)],
                  when=student),
            Field("guardian_name", t("label_guardian_name"), t("ask_guardian_name"),
                  lambda raw, d: person_name(raw, "guardian_name"), when=under14),
            Field("phone", t("label_phone"), t("ask_phone"), lambda raw, d: normalize_phone(raw), show=display_phone,
                  when=lambda d: not under14(d)),
            Field("guardian_phone", t("label_guardian_phone"), t("ask_guardian_phone"),
                  lambda raw, d: normalize_phone(raw, "guardian_phone"), show=display_phone, when=under14),
            Field("guardian_ok", t("label_guardian_ok"), t("ask_guardian_ok"), _guardian_ok(t),
                  choices=lambda d: [(t("btn_guardian_ok"), CONSENTED)], when=under14),
            Field("attendees", t("label_attendees"), t("ask_attendees"), lambda raw, d: attendee_count(raw),
                  choices=lambda d: [(str(n), str(n)) for n in range(1, 6)]),
        ]

    # ---- listing ----------------------------------------------------------------------------------
    def on_command(self, event: Event) -> list[Reply]:
        if event.command == "my":
            return self.mine(event)
        self.state.clear(event.user)  # /lectures leaves any half-filled form
        return self.start(event)

    def start(self, event: Event, payload: str = "") -> list[Reply]:
        """/lectures, or a deep link straight to one session (/start lec_<id>)."""
        if payload.isdigit():
            return [self._detail(int(payload))]
        sessions = self.ctx.desk.lectures.open_sessions(self.ctx.now())
        subscribed = self.ctx.state.setting(event.user, SUBSCRIPTION) is not None
        toggle = [Button(self.texts("btn_unsubscribe" if subscribed else "btn_subscribe"),
                         "lec:unsub" if subscribed else "lec:sub")]
        if not sessions:
            return [Reply(self.texts("lectures_none"), [toggle])]
        rows = [[Button(f"{when_text(s.starts_at)} {s.title}"[:60], f"lec:view:{s.id}")] for s in sessions[:20]]
        return [Reply(self.texts("lectures_header"), rows + [toggle])]

    def announce(self, session: Session) -> int:
        """Queue a notice of a new session for every subscriber of its audience; returns how many."""
        reply = Reply(self.texts("announce") + "\n" + self._detail(session.id).text,
                      [[Button(self.texts("btn_join"), f"lec:join:{session.id}")]])
        count = 0
        for user, audience in self.ctx.state.users_with(SUBSCRIPTION):
            if audience == "全部" or audience in session.audience:
                self.ctx.notify(user, reply)
                count += 1
        return count

    def _detail(self, session_id: int, edit: bool = False) -> Reply:
        try:
            s = self.ctx.desk.lectures.get_session(session_id)
        except BookingError:
            return Reply(self.texts("session_gone"))
        if s.status != "open":
            return Reply(self.texts("session_gone"))
        text = self.texts("lecture_detail", title=s.title, when=when_text(s.starts_at, s.ends_at), venue=s.venue,
                          street=s.street, audience=s.audience, capacity=s.capacity, left=s.seats_left,
                          deadline=when_text(s.deadline))
        label = self.texts("btn_join" if s.seats_left else "btn_join_waitlist")
        return Reply(text, [[Button(label, f"lec:join:{s.id}")]], edit=edit)

    def title(self, values: dict) -> str:
        try:
            return self.texts("signup_title", title=self.ctx.desk.lectures.get_session(values["session_id"]).title)
        except BookingError:
            return self.texts("form_review_title")

    # ---- buttons ----------------------------------------------------------------------------------
    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]:
        action, rest = button_parts(event.button)
        arg = rest[0] if rest else ""
        if action == "view" and arg.isdigit():
            return [self._detail(int(arg), edit=True)]
        if action == "join" and arg.isdigit():
            if not self.gate.has_consent(event.user):
                return self.gate.ask(f"lec:join:{arg}")
            return self.begin(event, {"session_id": int(arg)})
        if action == "drop" and arg:
            return [Reply(self.texts("drop_confirm", ref=arg), [[Button(self.texts("btn_drop_yes"), f"lec:dropok:{arg}"),
                                                                 Button(self.texts("btn_cancel"), "lec:noop")]])]
        if action == "dropok" and arg:
            return self._drop(event, arg)
        if action == "sub":
            return [Reply(self.texts("subscribe_pick"), [[Button(a, f"lec:subto:{i}") for i, a in enumerate(AUDIENCES)]],
                          edit=True)]
        if action == "subto" and arg.isdigit() and int(arg) < len(AUDIENCES):
            self.ctx.state.set_setting(event.user, SUBSCRIPTION, AUDIENCES[int(arg)])
            return [Reply(self.texts("subscribed", audience=AUDIENCES[int(arg)]), edit=True)]
        if action == "unsub":
            self.ctx.state.clear_setting(event.user, SUBSCRIPTION)
            return [Reply(self.texts("unsubscribed"), edit=True)]
        if action == "noop":
            return [Reply(self.texts("cancelled"), edit=True)]
        return super().on_button(event, step, data)

    def _drop(self, event: Event, ref: str) -> list[Reply]:
        try:
            _, promoted = self.ctx.desk.lectures.cancel_registration(ref, event.user, self.ctx.now())
        except BookingError as error:
            return [Reply(str(error))]
        for reg in promoted:
            self.ctx.notify(reg.user_key, promoted_notice(self.texts, reg))
        return [Reply(self.texts("dropped", ref=ref), edit=True)]

    # ---- submit -----------------------------------------------------------------------------------
    def submit(self, event: Event, values: dict) -> list[Reply]:
        guardian = (values["guardian_name"], values["guardian_phone"]) if values.get("guardian_ok") else None
        phone = values["guardian_phone"] if guardian else values["phone"]  # a child under 14: reach the guardian
        reg = self.ctx.desk.lectures.sign_up(values["session_id"], event.user, values["name"], phone, values["role"],
                                             int(values["attendees"]), self.ctx.now(), guardian=guardian)
        s: Session = reg.session or self.ctx.desk.lectures.get_session(reg.session_id)
        if reg.status != CONFIRMED:
            return [Reply(self.texts("signup_waitlisted", ref=reg.ref))]
        text = self.texts("signup_confirmed", ref=reg.ref, title=s.title, when=when_text(s.starts_at, s.ends_at),
                          venue=s.venue)
        return [Reply(text, attachment=Attachment(f"{reg.ref}.ics", session_ics(s, reg), "text/calendar"))]

    # ---- /my and reminders -------------------------------------------------------------------------
    def mine(self, event: Event) -> list[Reply]:
        desk, rows, lines = self.ctx.desk, [], []
        for reg in desk.lectures.my_registrations(event.user):
            s = reg.session
            lines.append(self.texts("my_registration", ref=reg.ref, title=s.title, when=when_text(s.starts_at),
                                    status=reg.status_label))
            if reg.status != "cancelled" and s.starts_at > self.ctx.now():
                rows.append([Button(self.texts("btn_drop", ref=reg.ref), f"lec:drop:{reg.ref}")])
        for booking in desk.schools.for_user(event.user):
            program = desk.catalog.program(booking.request.program_id)
            lines.append(self.texts("my_booking", ref=booking.ref, school=booking.request.school,
                                    program=program.title if program else "", status=booking.decision_text))
            rows += self.booking_buttons(booking)
        if not lines:
            return [Reply(self.texts("my_none"))]
        return [Reply(self.texts("my_header") + "\n" + "\n".join(lines), rows)]

    def reminders(self) -> list[tuple[str, Reply, object]]:
        """Due day-before reminders as (user, reply, acknowledge) — acknowledge after delivery."""
        due = []
        for reg, s in self.ctx.desk.lectures.due_reminders(self.ctx.now()):
            reply = Reply(self.texts("reminder_lecture", title=s.title, when=when_text(s.starts_at, s.ends_at),
                                     venue=s.venue, ref=reg.ref))
            due.append((reg.user_key, reply, lambda reg_id=reg.id: self.ctx.desk.lectures.mark_reminded(reg_id)))
        return due
