"""Replies -> WeChat text messages: buttons as tappable links and numbers, files as links, long texts split.

WeChat text messages have no buttons. A button becomes a line `2. <a href="weixin://bizmsgmenu?…">label</a>`:
tapping it sends `msgmenucontent` back as the user's text (with `bizmsgmenuid`), and typing the number works too,
as in the terminal. A form's 取消/跳过 carry no number, so a typed "1" stays an answer (e.g. a head count).
What each number, link id and label means is kept per user (`Choices`), so the next message can be routed.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from chat.types import Button, Reply, button_parts, small_number
from runtime.textsplit import split_text

PART_BYTES = 2000           # WeChat cuts text messages near 2048 bytes; stay below with the link markup
KEEP_IDS = 60               # link ids remembered per user, so a tap on an older message still works
UNNUMBERED = ("cancel", "skip")
_UNSAFE = re.compile(r"[\s&<>\"'#%=?+\\]")
_SHORT = 6                  # labels up to this many characters share a line


@dataclass
class Choices:
    """What a user's last buttons mean: link ids (rolling), labels and numbers (latest message)."""

    next_id: int = 1
    ids: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    numbers: list[str] = field(default_factory=list)

    @classmethod
    def loads(cls, raw: str | None) -> "Choices":
        try:
            data = json.loads(raw or "{}")
            return cls(int(data.get("next", 1)), dict(data.get("ids", {})), dict(data.get("labels", {})),
                       list(data.get("numbers", [])))
        except (ValueError, TypeError, AttributeError):
            return cls()

    def dumps(self) -> str:
        return json.dumps({"next": self.next_id, "ids": self.ids, "labels": self.labels, "numbers": self.numbers},
                          ensure_ascii=False)

    def button_for(self, text: str, menu_id: str = "") -> str | None:
        """The callback data a tap or a typed number/label stands for, or None for ordinary text."""
        if menu_id and menu_id in self.ids:
            return self.ids[menu_id]
        text = text.strip()
        if text in self.labels:
            return self.labels[text]
        if (number := small_number(text)) is not None and 1 <= number <= len(self.numbers):
            return self.numbers[number - 1]
        return None

    def start_set(self) -> None:
        """New buttons replace the numbers and labels of the previous message (link ids live on)."""
        self.labels, self.numbers = {}, []

    def add(self, button: Button, numbered: bool) -> tuple[str, str, int | None]:
        """Remember a button; return its link id, the text a tap sends, and its number (if any)."""
        menu_id = str(self.next_id)
        self.next_id += 1
        self.ids[menu_id] = button.data
        while len(self.ids) > KEEP_IDS:
            self.ids.pop(next(iter(self.ids)))
        content = _UNSAFE.sub("", button.label) or f"选项{menu_id}"
        self.labels.setdefault(content, button.data)
        number = None
        if numbered:
            self.numbers.append(button.data)
            number = len(self.numbers)
        return menu_id, content, number


@dataclass
class Renderer:
    """Turns one turn's replies into message parts; `link_file(attachment)` gives a URL for a file."""

    links: bool = True
    part_bytes: int = PART_BYTES
    file_line: object = None  # callable(Attachment) -> str, the line that offers the file

    def render(self, replies: list[Reply], choices: Choices) -> list[str]:
        """All replies of one turn, as few messages as the length limit allows, in order."""
        if any(has_buttons(r) for r in replies):
            choices.start_set()
        blocks: list[str] = []
        for reply in replies:
            text = reply.text.strip()
            if text:
                blocks += [p for p in text.split("\n\n") if p.strip()]
            if reply.attachment is not None and self.file_line is not None:
                blocks.append(self.file_line(reply.attachment))
            lines = self._button_lines(reply.buttons, choices)
            if lines:
                blocks.append("\n".join(lines))
        return pack(blocks, self.part_bytes)

    def _button_lines(self, rows: list[list[Button]], choices: Choices) -> list[str]:
        lines: list[str] = []
        for row in (r for r in rows if r):
            cells = []
            for button in row:
                numbered = button_parts(button.data)[0] not in UNNUMBERED
                menu_id, content, number = choices.add(button, numbered)
                cells.append(self._cell(button.label, content, menu_id, number))
            if all(len(b.label) <= _SHORT for b in row):
                lines.append("   ".join(cells))
            else:
                lines += cells
        return lines

    def _cell(self, label: str, content: str, menu_id: str, number: int | None) -> str:
        if self.links:
            link = f'<a href="weixin://bizmsgmenu?msgmenucontent={content}&msgmenuid={menu_id}">{label}</a>'
            return f"{number}. {link}" if number else link
        return f"[{number}] {label}" if number else f"（回复「{content}」）"


def has_buttons(reply: Reply) -> bool:
    return any(row for row in reply.buttons)


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def pack(blocks: list[str], limit: int = PART_BYTES) -> list[str]:
    """Join blocks with blank lines into parts of at most `limit` UTF-8 bytes (link lines are short: never cut)."""
    return split_text("\n\n".join(blocks), limit, size)
