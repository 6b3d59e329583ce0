"""The one router every channel calls: commands, button presses and text go to the right flow."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from booking import BookingDesk, BookingError
from chat.ask import AskFlow, LawIndex
from chat.browse import BrowseFlow
from chat.context import FlowContext, shanghai_now
from chat.lectures import LectureFlow
from chat.privacy import PrivacyFlow
from chat.schools import SchoolFlow
from chat.staff import SessionForm, StaffFlow
from chat.state import ChatState
from chat.texts import Texts
from chat.types import Button, Event, Reply, reply_from_json
from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine

logger = logging.getLogger(__name__)
STAFF_COMMANDS = ("pending", "sessions", "stats", "unanswered", "export")
PRIVATE_COMMANDS = ("lectures", "book", "my", "privacy", "forget", *STAFF_COMMANDS)
PUBLIC_BUTTONS = ("menu", "art", "faq", "fb", "law", "top")


class Assistant:
    """Transport-neutral bot: `handle(event)` returns the replies for the user who acted;
    messages for other people (waitlist promotions, staff alerts, decisions) collect in the outbox."""

    def __init__(self, engine: Engine, state: ChatState, texts: Texts, desk: BookingDesk,
                 admins: tuple[str, ...] = (), retention_days: int = 90, clock: Callable = shanghai_now):
        self.engine, self.state, self.texts, self.desk = engine, state, texts, desk
        self.ctx = FlowContext(state, texts, desk, clock, admins, retention_days)
        self.laws = LawIndex(engine)
        self.asking = AskFlow(engine, state, texts, self.laws)
        self.browse = BrowseFlow(engine, texts, self.laws)
        self.privacy = PrivacyFlow(self.ctx, self._resume)
        self.lectures = LectureFlow(self.ctx, self.privacy)
        self.schools = SchoolFlow(self.ctx, self.privacy)
        self.sessions = SessionForm(self.ctx, self.lectures.announce)
        self.staff = StaffFlow(self.ctx, self.sessions)
        self.flows = {f.name: f for f in (self.privacy, self.lectures, self.schools, self.sessions, self.staff)}

    @classmethod
    def open(cls, settings: KnowledgeSettings, admins: tuple[str, ...] = (), retention_days: int = 90,
             data_dir: Path | None = None) -> "Assistant":
        """Open the knowledge base, chat state and bookings under the data folder."""
        data = data_dir or settings.data_dir
        engine = Engine.open(settings)
        return cls(engine, ChatState(data / "chat.sqlite"), Texts(settings.content_dir),
                   BookingDesk(data / "bookings.sqlite", settings.content_dir), admins, retention_days)

    def close(self) -> None:
        self.state.close()
        self.desk.close()

    def outbox(self, channel: str = "") -> list[tuple[str, Reply, Callable[[], None]]]:
        """Undelivered messages for other users as (user, reply, acknowledge); acknowledge once sent.

        They wait in the database, so staff actions from the command line reach people too."""
        return [(user, reply_from_json(data), lambda i=message_id: self.state.delivered(i))
                for message_id, user, data in self.state.undelivered(channel)]

    def reminders(self) -> list[tuple[str, Reply, Callable[[], None]]]:
        """Due reminders as (user, reply, acknowledge); call acknowledge once delivered."""
        return self.lectures.reminders() + self.schools.reminders()

    def purge(self) -> object:
        """Blank personal details of past sessions and bookings older than the retention period."""
        return self.desk.purge_past(self.ctx.now(), self.ctx.retention_days)

    # ---- entry point ----------------------------------------------------------------------------
    def handle(self, event: Event) -> list[Reply]:
        """Every update from every channel comes through here; domain errors become replies."""
        try:
            if event.public and (event.command in PRIVATE_COMMANDS or (
                    event.button and event.button.split(":", 1)[0] not in PUBLIC_BUTTONS)):
                return [Reply(self.texts("private_only"))]
            if event.public and event.text:  # never feed group chatter into a private form
                return [self.asking.ask(event.text)]
            if event.command:
                return self._command(event)
            if event.button:
                return self._button(event)
            current = self.state.get(event.user)
            if current and current[0] in self.flows:
                flow, step, data = current
                return self.flows[flow].on_text(event, step, data)
            return [self.asking.ask(event.text)]
        except BookingError as error:
            return [Reply(str(error), error=True)]

    def main_menu(self) -> list[list[Button]]:
        t = self.texts
        return [[Button(t("btn_ask"), "menu:ask"), Button(t("btn_topics"), "menu:topics")],
                [Button(t("btn_law"), "menu:law"), Button(t("btn_hotline"), "menu:hotline")],
                [Button(t("btn_lectures"), "menu:lectures"), Button(t("btn_book"), "menu:book")]]

    def _resume(self, event: Event, target: str) -> list[Reply]:
        """Continue what the user was doing before the consent notice."""
        return self._button(Event(user=event.user, button=target, is_admin=event.is_admin))

    def _command(self, event: Event) -> list[Reply]:
        name = event.command
        simple: dict[str, Callable[[], list[Reply]]] = {
            "help": lambda: [Reply(self.texts.help(event.is_admin))],
            "topics": lambda: [self.browse.topic_menu()],
            "hotline": lambda: [self.browse.hotline()],
            "lectures": lambda: self.lectures.start(event),
            "book": lambda: self.schools.start(event),
            "my": lambda: self.lectures.mine(event),
            "privacy": lambda: self.privacy.show(event),
            "forget": lambda: self.privacy.confirm_forget(event),
        }
        if name == "start":
            return self._start(event)
        if name == "cancel":
            had = self.state.get(event.user)
            self.state.clear(event.user)
            return [Reply(self.texts("cancelled" if had else "nothing_to_cancel"))]
        if name == "law":
            return self._law(event)
        if name in STAFF_COMMANDS:
            return self.staff.command(event)
        if name in simple:
            if name in ("lectures", "book"):
                self.state.clear(event.user)
            return simple[name]()
        return [Reply(self.texts("unknown_command"))]

    def _start(self, event: Event) -> list[Reply]:
        """/start, or a deep link such as /start lec_12 that opens a lecture directly."""
        payload = event.args[0] if event.args else ""
        flow, _, rest = payload.partition("_")
        if flow == "lec":
            return self.lectures.start(event, rest)
        if flow == "book":
            return self.schools.start(event)
        return [Reply(self.texts("start"), self.main_menu())]

    def _law(self, event: Event) -> list[Reply]:
        if not event.args:
            return [self.browse.law_menu()]
        text = " ".join(event.args)
        return [self.asking.ask(f"未保法第{text}条" if text.isdigit() else text)]

    def _button(self, event: Event) -> list[Reply]:
        data = event.button
        prefix, _, rest = data.partition(":")
        if prefix == "menu":
            if rest == "ask":
                return [Reply(self.texts("ask_prompt"))]
            if rest in ("law", "topics"):
                return [self.browse.law_menu(edit=True) if rest == "law" else self.browse.topic_menu(edit=True)]
            return self._command(Event(user=event.user, command=rest, is_admin=event.is_admin))
        routes: dict[str, Callable[[], list[Reply]]] = {
            "art": lambda: [self.asking.article(data)],
            "faq": lambda: [self.asking.faq(rest)],
            "fb": lambda: [self.asking.feedback(data)],
            "law": lambda: [self.browse.law_menu(edit=True) if rest == "menu" else self.browse.law(data)],
            "top": lambda: [self.browse.topic_menu(edit=True) if rest == "menu" else self.browse.topic(data)],
        }
        if prefix in routes:
            return routes[prefix]()
        if prefix in self.flows:
            current = self.state.get(event.user)
            step, state = (current[1], current[2]) if current and current[0] == prefix else ("", {})
            return self.flows[prefix].on_button(event, step, state)
        return [Reply(self.texts("stale_button"))]
