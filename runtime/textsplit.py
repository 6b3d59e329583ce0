"""Cut a long message into parts a messaging API accepts: at blank lines, then at line ends, then anywhere.

Each channel measures length its own way (Telegram in UTF-16 code units, WeChat in UTF-8 bytes)."""
from __future__ import annotations

from collections.abc import Callable

SEPARATORS = ("\n\n", "\n")  # paragraphs first, then lines, then a hard cut


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Parts of at most `limit` (as `measure` counts), without empty parts or edge newlines."""
    return [part for part in (p.strip("\n") for p in _split(text, limit, measure, SEPARATORS)) if part.strip()]


def _split(text: str, limit: int, measure: Callable[[str], int], separators: tuple[str, ...]) -> list[str]:
    if measure(text) <= limit:
        return [text]
    if not separators:
        return _hard_split(text, limit, measure)
    sep, finer = separators[0], separators[1:]
    parts: list[str] = []
    current = ""
    for piece in text.split(sep):
        joined = current + sep + piece if current else piece
        if measure(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        pieces = _split(piece, limit, measure, finer)
        parts.extend(pieces[:-1])
        current = pieces[-1]
    parts.append(current)
    return parts


def _hard_split(text: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    parts, current, size = [], [], 0
    for char in text:
        width = measure(char)
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    return parts + ["".join(current)]
