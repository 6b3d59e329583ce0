"""Public lectures: list sessions, sign up (a student under 14 only with a guardian's consent, given from the
guardian's own account: chat/consent.py), waitlist, /my and cancel."""
from __future__ import annotations

import re

from booking import BookingError, ValidationError, session_ics
from booking.consent import CONSENT_AGE, student_age
from booking.models import CONFIRMED, ROLES, Registration, Session
from booking.phones import display_phone, normalize_phone
from booking.validation import attendee_count, check_role, person_name
from chat.checkin import checkin_card
from chat.context import FlowContext, when_text
from chat.forms import Field, FormFlow
from chat.texts import Texts
from chat.types import Attachment, Button, Event, Reply, button_parts, small_number
from knowledge.numerals import arabize

STUDENT = "学生"
_AGE_TALK = re.compile(r"^(?:我|他|她|孩子)?(?:今年|现在|已经|刚|是)*(?:满)?|(?<=岁)了$|(?<=\d)了$")
SUBSCRIPTION = "announce"                  # chat-state setting: the audience a user wants announcements for
AUDIENCES = ("家长", "学生", "教师", "全部")


def promoted_notice(texts: Texts, reg: Registration) -> Reply:
    """Tell someone from the waitlist that they now have a seat."""
    s = reg.session
    return Reply(texts("promoted", ref=reg.ref, title=s.title, when=when_text(s.starts_at, s.ends_at), venue=s.venue),
                 attachment=Attachment(f"{reg.ref}.ics", session_ics(s, reg), "text/calendar"))


def consented_notice(texts: Texts, reg: Registration) -> Reply:
    """Tell the child that the guardian agreed: the seat is theirs (with the calendar file), or the waitlist."""
    s = reg.session
    if reg.status != CONFIRMED:
        return Reply(texts("consent_given_waitlisted", ref=reg.ref, title=s.title))
    return Reply(texts("consent_given_child", ref=reg.ref, title=s.title, when=when_text(s.starts_at, s.ends_at),
                       venue=s.venue),
                 attachment=Attachment(f"{reg.ref}.ics", session_ics(s, reg), "text/calendar"))


def age_words(raw: str) -> str:
    """An age as people type it (「十三岁」「我13」「我今年13岁了」) in the form booking.consent reads (「13岁」)."""
    text = arabize(str(raw or "")).strip().strip("。！!.，,～~ ")
    return _AGE_TALK.sub("", text)


def is_minor(data: dict) -> bool:
    """The form is for a student under 14: a guardian must consent, and the role and age can no longer change."""
    return data.get("role") == STUDENT and isinstance(data.get("age"), int) and data["age"] < CONSENT_AGE


class LectureFlow(FormFlow):
    """/lectures and /my; sign-up is a form whose answers survive a restart."""

    name = "lec"
    commands = ("lectures", "my")
    limited = True

    def __init__(self, ctx: FlowContext, gate, booking_buttons=None):
        super().__init__(ctx)
        self.gate = gate
        self.booking_buttons = booking_buttons or (lambda booking: [])  # the school flow's /my buttons
        t = ctx.texts
        student = lambda d: d.get("role") == STUDENT
        most = ctx.desk.lectures.limits.max_attendees
        self.fields = [
            Field("name", t("label_name"), t("ask_name"), lambda raw, d: person_name(raw)),
            Field("role", t("label_role"), t("ask_role"), lambda raw, d: check_role(raw),
                  choices=lambda d: [(r, r) for r in ROLES], locked=is_minor),
            Field("age", t("label_age"), t("ask_age"), self._age, when=student, show=lambda v: t("show_age", age=v)),
            Field("guardian_name", t("label_guardian_name"), t("ask_guardian_name"),
                  lambda raw, d: person_name(raw, "guardian_name"), when=is_minor),
            Field("phone", t("label_phone"), t("ask_phone"), lambda raw, d: normalize_phone(raw), show=display_phone,
                  when=lambda d: not is_minor(d)),
            Field("guardian_phone", t("label_guardian_phone"), t("ask_guardian_phone"),
                  lambda raw, d: normalize_phone(raw, "guardian_phone"), show=display_phone, when=is_minor),
            Field("attendees", t("label_attendees"), t("ask_attendees", most=most), self._attendees,
                  choices=lambda d: [(str(n), str(n)) for n in range(1, min(5, most) + 1)]),
            Field("fit", t("label_fit"), lambda d: t("ask_fit", left=self._left(d), count=d["attendees"]), self._fit,
                  choices=lambda d: [(t("btn_fit_seats", left=self._left(d)), "seats"),
                                     (t("btn_fit_waitlist", count=d["attendees"]), "waitlist")],
                  when=lambda d: 0 < self._left(d) < int(d.get("attendees") or 0),
                  show=lambda v: t(f"show_fit_{v}")),
        ]

    def _age(self, raw: str, data: dict) -> int:
        """修改年龄 on the review corrects an age under 14 but never drops the guardian's consent."""
        age = student_age(age_words(raw), self.ctx.now().date())
        if is_minor(data) and age >= CONSENT_AGE:
            raise ValidationError(self.texts("age_edit_keeps_consent", age=CONSENT_AGE), "age")
        return age

    def _left(self, data: dict) -> int:
        """Seats left in the chosen session now (0 when it is gone)."""
        try:
            return self.ctx.desk.lectures.get_session(int(data["session_id"])).seats_left
        except (BookingError, KeyError, TypeError, ValueError):
            return 0

    def _fit(self, raw: str, data: dict) -> str:
        """More people than seats left: take the seats left, or put everyone on the waitlist."""
        text = raw.strip()
        if text in ("seats", "waitlist"):
            return text
        if "候补" in text or "排队" in text or "等" in text:
            return "waitlist"
        if "报" in text or "只" in text or text == str(self._left(data)):
            return "seats"
        raise ValidationError(self.texts("fit_expected"), "fit")

    def _attendees(self, raw: str, data: dict) -> int:
        count = attendee_count(raw)
        most = self.ctx.desk.lectures.limits.max_attendees
        if count > most:
            raise ValidationError(self.texts("too_many_attendees", most=most), "attendees")
        return count

    # ---- listing ----------------------------------------------------------------------------------
    def on_command(self, event: Event) -> list[Reply]:
        if event.command == "my":
            return self.mine(event)
        self.state.clear(event.user)  # /lectures leaves any half-filled form
        return self.start(event)

    def start(self, event: Event, payload: str = "") -> list[Reply]:
        """/lectures, or a deep link straight to one session (/start lec_<id>)."""
        self.release_expired()
        if (session_id := small_number(payload)) is not None:
            return [self._detail(session_id)]
        sessions = self.ctx.desk.lectures.open_sessions(self.ctx.now())
        subscribed = self.ctx.state.setting(event.user, SUBSCRIPTION) is not None
        toggle = [Button(self.texts("btn_unsubscribe" if subscribed else "btn_subscribe"),
                         "lec:unsub" if subscribed else "lec:sub")]
        if not sessions:
            return [Reply(self.texts("lectures_none"), [toggle])]
        shown = sessions[:20]
        lines = [self.texts("lecture_line", n=n, when=when_text(s.starts_at), title=s.title, venue=s.venue,
                            street=s.street, audience=s.audience, seats=self._seats(s)) for n, s in enumerate(shown, 1)]
        rows = [[Button(f"{n}. {when_text(s.starts_at)} {s.title}"[:60], f"lec:view:{s.id}")]
                for n, s in enumerate(shown, 1)]
        return [Reply("\n".join([self.texts("lectures_header"), *lines]), rows + [toggle])]

    def _seats(self, s: Session) -> str:
        return self.texts("lecture_seats_left", left=s.seats_left) if s.seats_left else self.texts("lecture_full")

    def announce(self, session: Session) -> int:
        """Queue a notice of a new session for every subscriber of its audience; returns how many."""
        reply = Reply(self.texts("announce") + "\n" + self._detail(session.id).text,
                      [[Button(self.texts("btn_join"), f"lec:join:{session.id}")]])
        count = 0
        for user, audience in self.ctx.state.users_with(SUBSCRIPTION):
            if audience == "全部" or audience in session.audience:
                self.ctx.notify(user, reply, f"session:{session.id}")
                count += 1
        return count

    def _detail(self, session_id: int, edit: bool = False) -> Reply:
        try:
            s = self.ctx.desk.lectures.get_session(session_id)
        except BookingError:
            return self._gone()
        if s.status != "open":
            return self._gone()
        text = self.texts("lecture_detail", title=s.title, when=when_text(s.starts_at, s.ends_at), venue=s.venue,
                          street=s.street, audience=s.audience, capacity=s.capacity, left=s.seats_left,
                          deadline=when_text(s.deadline))
        label = self.texts("btn_join" if s.seats_left else "btn_join_waitlist")
        return Reply(text, [[Button(label, f"lec:join:{s.id}")]], edit=edit)

    def _gone(self) -> Reply:
        return Reply(self.texts("session_gone"), [[self._menu("btn_lectures", "lectures")]])

    def _menu(self, label: str, command: str) -> Button:
        """A button that does what a /command would, so nobody is told to type one."""
        return Button(self.texts(label), f"menu:{command}")

    def title(self, values: dict) -> str:
        try:
            return self.texts("signup_title", title=self.ctx.desk.lectures.get_session(values["session_id"]).title)
        except BookingError:
            return self.texts("form_review_title")

    # ---- buttons ----------------------------------------------------------------------------------
    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]:
        action, rest = button_parts(event.button)
        arg = rest[0] if rest else ""
        number = small_number(arg)
        if action in ("view", "join") and number is None:  # forged or garbled
            return [self._gone()]
        if action == "view" and number is not None:
            return [self._detail(number, edit=True)]
        if action == "join" and number is not None:
            try:
                self.ctx.desk.lectures.open_for_sign_up(number, self.ctx.now())
            except BookingError as error:
                return [Reply(str(error), error=True)]
            if not self.gate.has_consent(event.user):
                return self.gate.ask(event.user, f"lec:join:{arg}")
            return self.begin(event, {"session_id": number})
        if action == "drop" and arg:
            return [Reply(self.texts("drop_confirm", ref=arg), [[Button(self.texts("btn_drop_yes"), f"lec:dropok:{arg}"),
                                                                 Button(self.texts("btn_cancel"), "lec:noop")]])]
        if action == "dropok" and arg:
            return self._drop(event, arg)
        if action == "code" and arg:
            return self._renew_code(event, arg)
        if action == "sub":
            return [Reply(self.texts("subscribe_pick"), [[Button(a, f"lec:subto:{i}") for i, a in enumerate(AUDIENCES)]],
                          edit=True)]
        if action == "subto" and number is not None and number < len(AUDIENCES):
            self.ctx.state.set_setting(event.user, SUBSCRIPTION, AUDIENCES[number])
            return [Reply(self.texts("subscribed", audience=AUDIENCES[number]), edit=True)]
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
            self.ctx.notify(reg.user_key, promoted_notice(self.texts, reg), reg.ref)
        return [Reply(self.texts("dropped", ref=ref), edit=True)]

    # ---- submit -----------------------------------------------------------------------------------
    def submit(self, event: Event, values: dict) -> list[Reply]:
        self.release_expired()
        minor = values.get("role") == STUDENT and "guardian_name" in values and "guardian_phone" in values
        guardian = (values["guardian_name"], values["guardian_phone"]) if minor else None
        phone = values["guardian_phone"] if guardian else values["phone"]  # a child under 14: reach the guardian
        age = values.get("age") if values.get("role") == STUDENT else None
        attendees = int(values["attendees"])
        if values.get("fit") == "seats" and self._left(values):  # the seats left, as many as there are now
            attendees = min(attendees, self._left(values))
        reg = self.ctx.desk.lectures.sign_up(values["session_id"], event.user, values["name"], phone, values["role"],
                                             attendees, self.ctx.now(), guardian=guardian, age=age,
                                             origin=event.origin)
        s: Session = reg.session or self.ctx.desk.lectures.get_session(reg.session_id)
        if reg.awaiting_consent:
            return [self.consent_pending(reg)]
        if reg.status != CONFIRMED:
            return [Reply(self.texts("signup_waitlisted", ref=reg.ref))]
        text = self.texts("signup_confirmed", ref=reg.ref, title=s.title, when=when_text(s.starts_at, s.ends_at),
                          venue=s.venue)
        return [Reply(text, [[self._menu("btn_my", "my")]],
                      attachment=Attachment(f"{reg.ref}.ics", session_ics(s, reg), "text/calendar")),
                checkin_card(self.ctx, reg)]

    # ---- guardian consent: the child's side --------------------------------------------------------
    def consent_pending(self, reg: Registration) -> Reply:
        """What the child is told after signing up: the one-time code to give a guardian, and where to use it."""
        key = "consent_seat_held" if reg.status == "held" else "consent_seat_waitlist"
        name = self.ctx.wechat_name
        where = self.texts("consent_where_named", name=name) if name else self.texts("consent_where")
        ways = [self.texts("consent_way_typed", where=where)]
        ways += [self.texts("consent_way_link", channel=channel, url=template.format(payload=f"consent_{reg.consent_code}"))
                 for channel, template in self.ctx.links.items()]
        return Reply(self.texts("signup_needs_consent", ref=reg.ref, seat=self.texts(key), code=reg.consent_code,
                                ways="\n".join(ways), until=when_text(reg.consent_expires_at)))

    def _renew_code(self, event: Event, ref: str) -> list[Reply]:
        try:
            reg = self.ctx.desk.lectures.renew_consent_code(ref, event.user, self.ctx.now())
        except BookingError as error:
            return [Reply(str(error), error=True)]
        return [self.consent_pending(reg)]

    def release_expired(self) -> int:
        """Cancel sign-ups whose guardian did not answer in time; tell the children and whoever got the seats."""
        outcome = self.ctx.desk.lectures.expire_consents(self.ctx.now())
        for reg in outcome.registrations:
            self.ctx.notify(reg.user_key, Reply(self.texts("consent_expired_child", ref=reg.ref,
                                                           title=reg.session.title if reg.session else "")), reg.ref)
        for reg in outcome.promoted:
            self.ctx.notify(reg.user_key, promoted_notice(self.texts, reg), reg.ref)
        return len(outcome.registrations)

    # ---- /my and reminders -------------------------------------------------------------------------
    def mine(self, event: Event) -> list[Reply]:
        desk, rows, lines = self.ctx.desk, [], []
        for reg in desk.lectures.my_registrations(event.user):
            s = reg.session
            lines.append(self.texts("my_registration", ref=reg.ref, title=s.title, when=when_text(s.starts_at),
                                    status=reg.status_label))
            if reg.awaiting_consent and reg.consent_expires_at:
                lines.append(self.texts("my_awaiting_consent", until=when_text(reg.consent_expires_at)))
                rows.append([Button(self.texts("btn_consent_code"), f"lec:code:{reg.ref}")])
            if reg.status != "cancelled" and s.starts_at > self.ctx.now():
                rows.append([Button(self.texts("btn_drop", ref=reg.ref), f"lec:drop:{reg.ref}")])
        for booking in desk.schools.for_user(event.user):
            program = desk.catalog.program(booking.request.program_id)
            lines.append(self.texts("my_booking", ref=booking.ref, school=booking.request.school,
                                    program=program.title if program else "", status=booking.decision_text))
            rows += self.booking_buttons(booking)
        if not lines:
            return [Reply(self.texts("my_none"), [[self._menu("btn_lectures", "lectures"),
                                                   self._menu("btn_book", "book")]])]
        return [Reply(self.texts("my_header") + "\n" + "\n".join(lines), rows)]

    def reminders(self) -> list[tuple[str, Reply, object]]:
        """Due day-before reminders as (user, reply, acknowledge) — acknowledge after delivery. Every channel
        asks for them every few minutes, so expired consent holds are released here too."""
        self.release_expired()
        due = []
        for reg, s in self.ctx.desk.lectures.due_reminders(self.ctx.now()):
            reply = Reply(self.texts("reminder_lecture", title=s.title, when=when_text(s.starts_at, s.ends_at),
                                     venue=s.venue, ref=reg.ref))
            due.append((reg.user_key, reply, lambda reg_id=reg.id: self.ctx.desk.lectures.mark_reminded(reg_id)))
        return due
