"""Log lines that cannot be forged: control characters in a message (a newline from a "%0a" in a URL, an escape
sequence typed by a user) are written escaped, so one log record is always one line.

    configure_logging(logging.WARNING)   # what bot.py does at start-up
"""
from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    """Control characters (and line/paragraph separators, bidi overrides) as \\n, \\x1b, \\u2028 …"""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class SafeFormatter(logging.Formatter):
    """Escapes control characters in the message; a traceback (exc_info) keeps its own lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)


def configure_logging(level: int) -> None:
    """Log to stderr at `level`, every line through SafeFormatter."""
    logging.basicConfig(level=level, format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(SafeFormatter(FORMAT))
