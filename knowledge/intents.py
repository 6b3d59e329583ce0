"""Requests that are not legal questions (hotlines, my sign-ups, lectures, school booking, privacy), in everyday words."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.model import Trigger
from knowledge.understand import Understanding
from runtime.yamlfile import ContentError, load_yaml, require

COMMANDS = ("hotline", "my", "lectures", "book", "privacy")
LEGAL_ASKS = {"refund", "punishment", "liability", "procedure"}  # questions the law answers, not a flow
MAX_REQUEST_CHARS = 60  # a longer message tells a story: the law answers it, even if it mentions a school


@dataclass
class Intent:
    id: str
    command: str          # the flow's command, which every channel offers as a button
    when: list[Trigger]
    unless: list[Trigger]
    unless_harm: bool = False  # a message telling of a harm gets the law instead (「孩子被打了找谁」)


class IntentReader:
    def __init__(self, intents: list[Intent]):
        self.intents = intents

    def match(self, text: str, understood: Understanding, harm: bool = False) -> Intent | None:
        """The request a message makes, or None when it asks about the law or tells of a harm (the law answers)."""
        if set(understood.asks) & LEGAL_ASKS or len(text) > MAX_REQUEST_CHARS:
            return None
        return next((i for i in self.intents if any(t.fires(text) for t in i.when)
                     and not any(t.fires(text) for t in i.unless) and not (harm and i.unless_harm)), None)


def load_intents(root: Path) -> list[Intent]:
    path = root / "intents.yaml"
    data = load_yaml(path)
    intents = []
    for item in require(path, data, "intents", list):
        intent_id = require(path, item, "id", str)
        command = require(path, item, "command", str, intent_id)
        if command not in COMMANDS:
            raise ContentError(path, f"command 只能是：{'、'.join(COMMANDS)}", item.line, intent_id)
        try:
            when = [Trigger.parse(str(x)) for x in require(path, item, "when", list, intent_id)]
            unless = [Trigger.parse(str(x)) for x in item.get("unless") or []]
        except ValueError as exc:
            raise ContentError(path, str(exc), item.line, intent_id) from exc
        intents.append(Intent(intent_id, command, when, unless, bool(item.get("unless_harm"))))
    return intents
