"""The Flow protocol and the one routing table the Assistant dispatches through.

A flow answers the /commands it lists in `commands` and the buttons whose callback data starts with one of its
`buttons` prefixes and a colon; a flow that keeps per-user state (a form) stores it under its `name`, which is then
also its first button prefix, and gets the user's typed text while that state lasts. Callback data is each flow's
private wire format: channels pass it back unread, other code calls the flow's methods.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from chat.types import Event, Reply


@runtime_checkable
class Flow(Protocol):
    name: str                     # state key, and the first button prefix of a flow that keeps state
    commands: tuple[str, ...]     # the /commands it answers (without the slash)
    buttons: tuple[str, ...]      # callback-data prefixes it answers
    public: bool                  # usable in group chats: it never asks for or shows personal details

    def start(self, event: Event, payload: str = "") -> list[Reply]:
        """Open the flow: from the menu, or a deep link such as /start lec_12 (payload "12")."""
        ...

    def on_command(self, event: Event) -> list[Reply]:
        """One of its /commands."""
        ...

    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]:
        """One of its buttons; step and data are the user's state in this flow ("" and {} when there is none)."""
        ...

    def on_text(self, event: Event, step: str, data: dict) -> list[Reply]:
        """Typed text while the user is in this flow's state."""
        ...


class Routes:
    """The one routing table: "/command" and "prefix:" to the flow that answers it; each key routed once."""

    def __init__(self, flows: Iterable[Flow]):
        self.flows: dict[str, Flow] = {}
        self.table: dict[str, Flow] = {}
        for flow in flows:
            if flow.name in self.flows:
                raise ValueError(f"two flows are named {flow.name!r}")
            self.flows[flow.name] = flow
            for key in [f"/{c}" for c in flow.commands] + [f"{p}:" for p in flow.buttons]:
                if key in self.table:
                    raise ValueError(f"{key} is routed to both {self.table[key].name} and {flow.name}")
                self.table[key] = flow

    def command(self, name: str) -> Flow | None:
        return self.table.get(f"/{name}")

    def button(self, data: str) -> Flow | None:
        return self.table.get(data.split(":", 1)[0] + ":")

    def holding(self, flow_name: str) -> Flow | None:
        """The flow whose state a user is in."""
        return self.flows.get(flow_name)
