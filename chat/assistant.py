"""The one router every channel calls: commands, button presses and text go to the right flow."""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from booking import BookingDesk, BookingError, SignupLimits
from booking.consent import normalize_code
from chat.ask import AskFlow, LawIndex
from chat.browse import BrowseFlow
from chat.consent import ConsentFlow
from chat.context import FlowContext, shanghai_now
from chat.desk import OfficeDesk
from chat.flow import Flow, Routes
from chat.improve import Improvement
from chat.lectures import LectureFlow
from chat.menu import AnswerFlow, MenuFlow
from chat.outbox import Outbox
from chat.privacy import PrivacyFlow
from chat.running import SessionOffice
from chat.schools import STAFF_ALERT, SchoolFlow
from chat.staff import SessionForm, StaffFlow
from chat.state import ChatState
from chat.texts import Texts
from chat.types import Button, Event, Reply, without_surrogates
from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine
from knowledge.live import LiveEngine
from runtime.ratelimit import PerUserAndPlace

logger = logging.getLogger(__name__)


class Assistant:
    """Transport-neutral bot: `handle(event)` returns the replies for the user who acted;
    messages for other people (waitlist promotions, staff alerts, decisions) collect in `outbox` (chat.outbox),
    from which each channel takes its own users' messages.

    Every command and button goes through one routing table (chat.flow.Routes) to a Flow."""

    def __init__(self, engine: Engine, state: ChatState, texts: Texts, desk: BookingDesk,
                 admins: tuple[str, ...] = (), retention_days: int = 90, clock: Callable = shanghai_now,
                 question_days: int = 180):
        engine = engine if isinstance(engine, LiveEngine) else LiveEngine(engine)  # swapped whole after a desk change
        self.engine, self.state, self.texts, self.desk = engine, state, texts, desk
        self.outbox = Outbox(state, self._render_queued)
        self.ctx = FlowContext(state, texts, desk, clock, admins, retention_days,
                               signups=PerUserAndPlace(desk.lectures.limits.burst_per_hour,
                                                       desk.lectures.limits.burst_per_address, window=3600.0),
                               outbox=self.outbox, question_days=question_days)
        self.laws = LawIndex(engine)
        self.asking = AskFlow(engine, state, texts, self.laws, run=self._command)
        self.browse = BrowseFlow(engine, texts, self.laws, ask=self.asking.ask)
        self.privacy = PrivacyFlow(self.ctx, self._resume)
        self.schools = SchoolFlow(self.ctx, self.privacy)
        self.lectures = LectureFlow(self.ctx, self.privacy, self.schools.my_buttons)
        self.consent = ConsentFlow(self.ctx)
        self.sessions = SessionForm(self.ctx, self.lectures.announce)
        self.staff = StaffFlow(self.ctx, self.sessions)
        self.running = SessionOffice(self.ctx, self.sessions)  # edits, messages, attendance
        self.menu = MenuFlow(state, texts, self.browse, self._enter, self._command)
        self.answers = AnswerFlow(self.asking, texts)
        self.routes = Routes([self.menu, self.answers, self.browse, self.privacy, self.lectures, self.schools,
                              self.consent, self.sessions, self.staff])
        self.flows = self.routes.flows
        self.office = OfficeDesk(self.ctx, engine)  # what the web desk's pages show
        self.improve = Improvement(self.ctx, engine)  # staff turn real questions into better answers

    @classmethod
    def open(cls, settings: KnowledgeSettings, admins: tuple[str, ...] = (), retention_days: int = 90,
             data_dir: Path | None = None, limits: SignupLimits | None = None,
             question_days: int = 180) -> "Assistant":
        """Open the knowledge base, chat state and bookings under the data folder."""
        data = data_dir or settings.data_dir
        engine = Engine.open(settings)
        return cls(engine, ChatState(data / "chat.sqlite"), Texts(settings.content_dir),
                   BookingDesk(data / "bookings.sqlite", settings.content_dir, limits), admins, retention_days,
                   question_days=question_days)

    def close(self) -> None:
        self.engine.stop()
        self.improve.close()
        self.state.close()
        self.desk.close()

    def _render_queued(self, data: dict) -> Reply | None:
        """An outbox message stored as a reference, rendered now (None: nothing to send any more)."""
        if data.get("render") == STAFF_ALERT:
            return self.schools.staff_alert(str(data.get("ref", "")))
        logger.warning("outbox message of an unknown kind %r dropped", data.get("render"))
        return None

    def reminders(self) -> list[tuple[str, Reply, Callable[[], None]]]:
        """Due reminders as (user, reply, acknowledge); call acknowledge once delivered."""
        return self.lectures.reminders() + self.schools.reminders()

    def queue_reminders(self, channel: str) -> int:
        """Move due reminders for users of `channel` into the outbox, which delivers them like any message."""
        count = 0
        for user, reply, acknowledge in self.reminders():
            if user.startswith(channel):
                self.outbox.put(user, reply)
                acknowledge()
                count += 1
        return count

    def purge(self) -> dict[str, int]:
        """The retention sweep: blank personal details of sessions and bookings that ended more than
        DATA_RETENTION_DAYS ago, delete unfinished forms and set-aside notifications that old, and questions older
        than QUESTION_RETENTION_DAYS; returns what was removed, by kind."""
        booked = self.desk.purge_past(self.ctx.now(), self.ctx.retention_days)
        now = time.time()  # the chat database keeps wall-clock times
        chat = self.state.purge(questions_before=now - self.ctx.question_days * 86400,
                                records_before=now - self.ctx.retention_days * 86400)
        return {"registrations": booked.registrations, "school_bookings": booked.school_bookings, **chat}

    # ---- entry point ----------------------------------------------------------------------------
    def handle(self, event: Event) -> list[Reply]:
        """Every update from every channel comes through here; domain errors become replies."""
        event = _clean(event)
        try:
            if event.public and event.text:  # never feed group chatter into a private form
                return [self.asking.ask(event.text, event.user)]
            if event.command:
                return self._command(event)
            if event.button:
                return self._button(event)
            code = normalize_code(event.text)
            if code and self.consent.knows(code):  # a guardian typed the code a child gave them (e.g. in WeChat)
                return self._enter(event, self.consent.name, code) or []
            current = self.state.get(event.user)
            flow = self.routes.holding(current.flow) if current else None
            if flow is not None:
                return flow.on_text(event, current.step, current.data)
            return self.asking.reply(event)
        except BookingError as error:
            return [Reply(str(error), error=True)]

    def offer_link(self, channel: str, template: str) -> None:
        """A channel's link into this bot (a URL with {payload} for a deep link such as consent_<code>), shown where
        a user must pass something on, e.g. the child's code for a guardian; the first one per channel stays."""
        self.ctx.links.setdefault(channel, template)

    def main_menu(self) -> list[list[Button]]:
        return self.menu.main_menu()

    def _resume(self, event: Event, target: str) -> list[Reply]:
        """Continue what the user was doing before the consent notice."""
        return self._button(replace(event, button=target, text="", command="", args=()))

    # ---- the one guard: every command, button and deep link reaches its flow through here ------------
    def _refused(self, flow: Flow | None, event: Event) -> list[Reply] | None:
        """Flows that ask for or show personal details answer only in private: in a group chat (event.public)
        every entry point to them — a /command, a button (menu buttons included), a deep link — is refused."""
        if event.public and (flow is None or not flow.public):
            return [Reply(self.texts("private_only"))]
        return None

    def _command(self, event: Event) -> list[Reply]:
        flow = self.routes.command(event.command)
        if flow is None:
            return [Reply(self.texts("unknown_command"))]
        return self._refused(flow, event) or flow.on_command(event)

    def _enter(self, event: Event, flow_name: str, payload: str) -> list[Reply] | None:
        """A deep link (/start lec_12, /start book): open the named flow; None when there is no such flow."""
        flow = self.routes.holding(flow_name)
        if flow is None:
            return None
        return self._refused(flow, event) or flow.start(event, payload)

    def _button(self, event: Event) -> list[Reply]:
        flow = self.routes.button(event.button)
        refused = self._refused(flow, event)
        if refused:
            return refused
        if flow is None:
            return [Reply(self.texts("stale_button"))]
        current = self.state.get(event.user)
        step, data = (current.step, current.data) if current and current.flow == flow.name else ("", {})
        return flow.on_button(event, step, data)


def _clean(event: Event) -> Event:
    """The event with text that cannot be encoded (lone surrogates from forged JSON) made harmless."""
    text, button = without_surrogates(event.text), without_surrogates(event.button)
    command, args = without_surrogates(event.command), tuple(without_surrogates(a) for a in event.args)
    if (text, button, command, args) == (event.text, event.button, event.command, event.args):
        return event
    return replace(event, text=text, button=button, command=command, args=args)
