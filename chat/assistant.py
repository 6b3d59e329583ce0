"""The one router every channel calls: commands, button presses and text go to the right flow."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from chat.ask import AskFlow, LawIndex
from chat.browse import BrowseFlow
from chat.state import ChatState
from chat.texts import Texts
from chat.types import Button, Event, Reply
from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine

logger = logging.getLogger(__name__)


class Flow(Protocol):
    """A multi-step flow (a form); it owns the user's state while it runs."""

    name: str

    def start(self, event: Event, payload: str = "") -> list[Reply]: ...

    def on_text(self, event: Event, step: str, data: dict) -> list[Reply]: ...

    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]: ...


@dataclass
class Services:
    engine: Engine
    state: ChatState
    texts: Texts


class Assistant:
    """Transport-neutral bot: `handle(event)` returns the replies to show."""

    def __init__(self, services: Services, flows: dict[str, Flow] | None = None,
                 commands: dict[str, str] | None = None):
        self.engine, self.state, self.texts = services.engine, services.state, services.texts
        self.laws = LawIndex(self.engine)
        self.asking = AskFlow(self.engine, self.state, self.texts, self.laws)
        self.browse = BrowseFlow(self.engine, self.texts, self.laws)
        self.flows: dict[str, Flow] = flows or {}
        self.flow_commands: dict[str, str] = commands or {}  # command -> flow name, e.g. book -> school

    @classmethod
    def open(cls, settings: KnowledgeSettings, state_path: Path | None = None) -> "Assistant":
        engine = Engine.open(settings)
        state = ChatState(state_path or settings.data_dir / "chat.sqlite")
        return cls(Services(engine, state, Texts(settings.content_dir)))

    def add_flow(self, flow: Flow, *commands: str) -> None:
        self.flows[flow.name] = flow
        for command in commands:
            self.flow_commands[command] = flow.name

    # ---- entry points -----------------------------------------------------------------------
    def handle(self, event: Event) -> list[Reply]:
        """Every update from every channel comes through here."""
        if event.command:
            return self._command(event)
        if event.button:
            return self._button(event)
        current = self.state.get(event.user)
        if current and current[0] in self.flows:
            flow, step, data = current
            return self.flows[flow].on_text(event, step, data)
        return [self.asking.ask(event.text)]

    def main_menu(self) -> list[list[Button]]:
        t = self.texts
        return [[Button(t("btn_ask"), "menu:ask"), Button(t("btn_topics"), "menu:topics")],
                [Button(t("btn_law"), "menu:law"), Button(t("btn_hotline"), "menu:hotline")],
                [Button(t("btn_lectures"), "menu:lectures"), Button(t("btn_book"), "menu:book")]]

    def _command(self, event: Event) -> list[Reply]:
        name = event.command
        if name == "start":
            payload = event.args[0] if event.args else ""
            flow, _, rest = payload.partition("_")
            if flow in self.flows:
                self.state.clear(event.user)
                return self.flows[flow].start(event, rest)
            return [Reply(self.texts("start"), self.main_menu())]
        if name == "help":
            return [Reply(self.texts.help(event.is_admin))]
        if name == "cancel":
            had = self.state.get(event.user)
            self.state.clear(event.user)
            return [Reply(self.texts("cancelled" if had else "nothing_to_cancel"))]
        if name == "topics":
            return [self.browse.topic_menu()]
        if name == "hotline":
            return [self.browse.hotline()]
        if name == "law":
            if event.args:
                return [self.asking.ask(" ".join(event.args) if any(not a.isdigit() for a in event.args)
                                        else f"未保法第{event.args[0]}条")]
            return [self.browse.law_menu()]
        if name in self.flow_commands:
            self.state.clear(event.user)
            return self.flows[self.flow_commands[name]].start(event)
        return [Reply(self.texts("unknown_command"))]

    def _button(self, event: Event) -> list[Reply]:
        data = event.button
        prefix = data.split(":", 1)[0]
        if prefix == "menu":
            target = data.split(":", 1)[1]
            if target == "ask":
                return [Reply(self.texts("ask_prompt"))]
            if target == "law":
                return [self.browse.law_menu(edit=True)]
            if target == "topics":
                return [self.browse.topic_menu(edit=True)]
            if target == "hotline":
                return [self.browse.hotline()]
            return self._command(Event(user=event.user, command=target, is_admin=event.is_admin))
        if prefix == "art":
            return [self.asking.article(data)]
        if prefix == "faq":
            return [self.asking.faq(data.split(":", 1)[1])]
        if prefix == "fb":
            return [self.asking.feedback(data)]
        if data == "law:menu":
            return [self.browse.law_menu(edit=True)]
        if prefix == "law":
            return [self.browse.law(data)]
        if data == "top:menu":
            return [self.browse.topic_menu(edit=True)]
        if prefix == "top":
            return [self.browse.topic(data)]
        for flow in self.flows.values():
            if prefix == flow.name:
                current = self.state.get(event.user)
                step, state = (current[1], current[2]) if current and current[0] == flow.name else ("", {})
                return flow.on_button(event, step, state)
        return [Reply(self.texts("stale_button"))]
