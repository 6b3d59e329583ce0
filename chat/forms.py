"""A form engine shared by every multi-step flow: ask each field, validate it, review, edit, submit.

State lives in ChatState (SQLite), so a user half-way through a form continues after a restart.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from booking import BookingError
from chat.context import FlowContext
from chat.types import Button, Event, Reply, button_parts, small_number

REVIEW = "review"


@dataclass
class Field:
    name: str
    label: str                                     # shown on the review screen
    prompt: str | Callable[[dict], str]            # what the bot asks (or made from the answers so far)
    parse: Callable[[str, dict], Any]              # raw text, answers so far -> value; raises BookingError
    choices: Callable[[dict], list[tuple[str, str]]] | None = None  # (label, raw value) buttons
    when: Callable[[dict], bool] | None = None     # ask only when this holds
    show: Callable[[Any], str] = str
    skippable: bool = False
    locked: Callable[[dict], bool] | None = None  # once this holds, the answer can no longer be changed
    group: str = ""                                # the review offers one 修改 button per group, then its fields

    def asked(self, data: dict) -> bool:
        return self.when is None or self.when(data)

    def editable(self, data: dict) -> bool:
        return self.asked(data) and not (self.locked and self.locked(data))


def to_json(value: Any) -> Any:
    """Form values as JSON: dates become ISO strings, tuples lists."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


class FormFlow:
    """A Flow (chat.flow) that keeps state: subclasses declare `name` and `fields`, and implement
    `submit(event, values)`; `commands` and `start` when the form opens from a /command or a deep link."""

    name = "form"
    fields: list[Field] = []
    commands: tuple[str, ...] = ()
    public = False
    limited = False  # submissions count against the sign-up burst limit (per client address, else per user)

    def __init__(self, ctx: FlowContext):
        self.ctx, self.state, self.texts = ctx, ctx.state, ctx.texts

    @property
    def buttons(self) -> tuple[str, ...]:
        return (self.name,)

    # ---- hooks --------------------------------------------------------------------------------
    def submit(self, event: Event, values: dict) -> list[Reply]:
        raise NotImplementedError

    def title(self, values: dict) -> str:
        return self.texts("form_review_title")

    # ---- Flow protocol --------------------------------------------------------------------------
    def start(self, event: Event, payload: str = "") -> list[Reply]:
        return self.begin(event, {})

    def on_command(self, event: Event) -> list[Reply]:
        return self.start(event)

    def begin(self, event: Event, values: dict) -> list[Reply]:
        """Start the form with some answers already known (e.g. the chosen session)."""
        return self._advance(event.user, dict(values), [])

    def on_text(self, event: Event, step: str, data: dict) -> list[Reply]:
        if step == REVIEW:
            return [self._review(data, self.texts("form_use_buttons"))]
        field = self._field(step)
        if field is None:
            self.state.clear(event.user)
            return [Reply(self.texts("stale_button"))]
        return self._answer(event.user, field, event.text, data)

    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]:
        action, rest = button_parts(event.button)
        if not step and action != "cancel":  # a button from a form that has ended or was never started
            return [Reply(self.texts("form_expired"))]
        if action == "cancel":
            self.state.clear(event.user)
            return [Reply(self.texts("cancelled"), edit=True)]
        if action == "pick" and len(rest) == 2 and (field := self._field(rest[0])) and step == field.name:
            options = field.choices(data) if field.choices else []
            index = small_number(rest[1])
            if index is None or index >= len(options):
                return [Reply(self.texts("stale_button"))]
            return self._answer(event.user, field, options[index][1], data)
        if action == "skip" and (field := self._field(step)) and field.skippable:
            return self._answer(event.user, field, "", data)
        if action == "edit" and rest and (field := self._field(rest[0])):
            if not field.editable(data):  # a field not asked here, or one whose answer is settled
                return [Reply(self.texts("form_locked"), error=True), self._review(data)] if step == REVIEW \
                    else [Reply(self.texts("stale_button"))]
            self.state.put(event.user, self.name, field.name, data)
            return [self._prompt(field, data)]
        if action == "grp" and step == REVIEW and rest:
            return [self._group(data, rest[0])]
        if action == "back" and step == REVIEW:
            return [self._review(data)]
        if action == "ok" and step == REVIEW:
            if any(f.asked(data) and f.name not in data for f in self.fields):
                return self._advance(event.user, data, [])  # an answer is missing: ask for it, never submit half
            if self.limited and not self.ctx.signups.allows(event.user, event.origin):
                return [Reply(self.texts("signup_too_fast"), error=True), self._review(data)]
            values = self._values(data)
            try:
                replies = self.submit(event, values)
            except BookingError as error:
                return [Reply(str(error), error=True), self._review(data)]
            self.state.clear(event.user)
            return replies
        return [Reply(self.texts("stale_button"))]

    # ---- internals --------------------------------------------------------------------------------
    def _field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def _values(self, data: dict) -> dict:
        """What is submitted: answers to the fields that apply (an answer left from before an edit made its field
        hidden is dropped) plus the values the form began with."""
        fields = {f.name: f for f in self.fields}
        return {k: v for k, v in data.items()
                if not k.startswith("_") and (k not in fields or fields[k].asked(data))}

    def _answer(self, user: str, field: Field, raw: str, data: dict) -> list[Reply]:
        try:
            value = field.parse(raw, data)
        except BookingError as error:  # a clear message and a second chance; nothing is lost
            return [Reply(str(error), error=True), self._prompt(field, data)]
        data[field.name] = to_json(value)
        return self._advance(user, data, [])

    def _advance(self, user: str, data: dict, replies: list[Reply]) -> list[Reply]:
        pending = [f for f in self.fields if f.asked(data) and f.name not in data]
        if pending:  # next unanswered field (also after an edit made a new one necessary)
            self.state.put(user, self.name, pending[0].name, data)
            return replies + [self._prompt(pending[0], data)]
        self.state.put(user, self.name, REVIEW, data)
        return replies + [self._review(data)]

    def _prompt(self, field: Field, data: dict) -> Reply:
        rows: list[list[Button]] = []
        if field.choices:
            buttons = [Button(label, f"{self.name}:pick:{field.name}:{i}")
                       for i, (label, _) in enumerate(field.choices(data))]
            rows += [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
        extra = [Button(self.texts("btn_skip"), f"{self.name}:skip")] if field.skippable else []
        rows.append(extra + [Button(self.texts("btn_cancel"), f"{self.name}:cancel")])
        return Reply(field.prompt(data) if callable(field.prompt) else field.prompt, rows)

    def _group(self, data: dict, index: str) -> Reply:
        """The fields of one group on the review, to pick the one to change."""
        groups = list(dict.fromkeys(f.group for f in self.fields if f.group and f.editable(data) and f.name in data))
        number = small_number(index)
        if number is None or number >= len(groups):
            return Reply(self.texts("stale_button"))
        edit = [Button(self.texts("btn_edit", label=f.label), f"{self.name}:edit:{f.name}") for f in self.fields
                if f.group == groups[number] and f.editable(data) and f.name in data]
        rows = [edit[i:i + 2] for i in range(0, len(edit), 2)]
        return Reply(self.texts("form_pick_field"), rows + [[Button(self.texts("btn_back"), f"{self.name}:back")]])

    def _review(self, data: dict, note: str = "") -> Reply:
        lines = [self.title(data)]
        for field in self.fields:
            if field.asked(data) and field.name in data:
                value = data[field.name]
                lines.append(f"· {field.label}：{field.show(value) if value not in ('', [], None) else '—'}")
        if note:
            lines.append(note)
        edit, groups = [], []
        for f in self.fields:
            if not (f.editable(data) and f.name in data):
                continue
            if not f.group:
                edit.append(Button(self.texts("btn_edit", label=f.label), f"{self.name}:edit:{f.name}"))
            elif f.group not in groups:
                groups.append(f.group)
                edit.append(Button(self.texts("btn_edit", label=f.group), f"{self.name}:grp:{len(groups) - 1}"))
        rows = [[Button(self.texts("btn_submit"), f"{self.name}:ok")]]  # the main action first ([1] in a terminal)
        rows += [edit[i:i + 3] for i in range(0, len(edit), 3)]
        rows.append([Button(self.texts("btn_cancel"), f"{self.name}:cancel")])
        return Reply("\n".join(lines), rows)

