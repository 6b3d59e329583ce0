"""Split long lists into pages of buttons with previous/next controls."""
from __future__ import annotations

from chat.types import Button

PAGE_SIZE = 8


def page(items: list, number: int, size: int = PAGE_SIZE) -> tuple[list, int, int]:
    """The items on page `number` (1-based, clamped), the page number used and the page count."""
    pages = max(1, -(-len(items) // size))
    number = min(max(1, number), pages)
    return items[(number - 1) * size:number * size], number, pages


def nav_row(prefix: str, number: int, pages: int, prev_label: str, next_label: str) -> list[Button]:
    row = []
    if number > 1:
        row.append(Button(prev_label, f"{prefix}:p{number - 1}"))
    if number < pages:
        row.append(Button(next_label, f"{prefix}:p{number + 1}"))
    return row
