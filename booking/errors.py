"""Domain errors whose message is the Chinese text shown to the user as is."""
from __future__ import annotations

from typing import Any


class BookingError(Exception):
    """A booking rule refused the request; str(error) is the user-facing reply."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationError(BookingError):
    """A form field could not be accepted; the message says why and gives an example."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(BookingError):
    """The session, registration or booking asked for does not exist (for this user)."""


class AlreadyDecided(BookingError):
    """Staff tried to decide a booking that already has a decision; carries that booking."""

    def __init__(self, message: str, booking: Any):
        super().__init__(message)
        self.booking = booking
