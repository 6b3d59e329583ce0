"""A per-user sliding-window limit, so one user cannot flood the bot (or make it flood Telegram)."""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum


class Verdict(Enum):
    OK = "ok"        # handle it
    WARN = "warn"    # over the limit: say "too fast" once
    DROP = "drop"    # still over the limit and already warned: ignore quietly


class SlidingWindow:
    """At most `per_minute` accepted events per user in any 60 seconds; 0 means no limit."""

    def __init__(self, per_minute: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.window, self.clock = per_minute, window, clock
        self._hits: dict[str, deque[float]] = {}
        self._warned: set[str] = set()
        self._swept = clock()

    def check(self, user: str) -> Verdict:
        """Count one event for a user and say whether to handle it."""
        if self.per_minute <= 0:
            return Verdict.OK
        now = self.clock()
        self._sweep(now)
        hits = self._hits.setdefault(user, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.per_minute:
            hits.append(now)
            self._warned.discard(user)
            return Verdict.OK
        if user in self._warned:
            return Verdict.DROP
        self._warned.add(user)
        return Verdict.WARN

    def _sweep(self, now: float) -> None:
        """Forget users who have been quiet for a whole window, so memory stays small."""
        if now - self._swept < self.window:
            return
        self._swept = now
        for user in [u for u, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[user]
            self._warned.discard(user)


class PerUserAndPlace:
    """A limit per user (a browser session, a Telegram or WeChat account) plus a higher ceiling per place (a
    client address): one person cannot use up the address a school's Wi-Fi or a reverse proxy gives many people,
    and a burst of fresh sessions from one address is still bounded."""

    def __init__(self, per_user: int, per_place: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.users = SlidingWindow(per_user, window, clock)
        self.places = SlidingWindow(per_place, window, clock)

    def allows(self, user: str, place: str = "") -> bool:
        """Count one event; False when the user or the place is over its limit."""
        if self.users.check(user) is not Verdict.OK:
            return False
        return not place or self.places.check(place) is Verdict.OK
