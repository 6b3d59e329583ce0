"""The outbox: messages for people other than the one who acted (staff alerts, decisions, waitlist seats,
reminders, the rest of a long WeChat answer), delivered by whichever channel serves the recipient.

Recipients are user keys with a channel prefix ("tg:", "web:", "wx:", "cli:", …). A channel asks for its due
messages and reports on each one:

    for message in outbox.claim("tg:"):          # claimed atomically: no other claimer gets these rows
        ... send message.reply, parts from message.progress on ...
        outbox.report(message, Outcome.sent())   # or .retry(error, after=…), .failed(error), .wait(error),
                                                 # .transient(error)

or lets `deliver_due(outbox, "tg:", send)` do the claiming and reporting (async channels). A delivered message is
deleted; a failure is retried with back-off (one of the service itself, `transient`, until the message is a week
old); a permanent one (blocked, chat not found, deactivated) or
too many failures set it aside: its text is dropped and staff see who, which reference and why
(`python bot.py admin outbox`, /stats). Messages that hold other people's details (a new booking for staff) are
stored as a reference and rendered when sent, so nothing personal outlives delivery or a deletion.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from chat.state import ChatState, Queued
from chat.types import Reply, reply_from_json, reply_to_json

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6          # failed attempts before a message is set aside
BACKOFF = 15.0            # seconds before the first retry; doubles with each failure
MAX_BACKOFF = 3600.0      # at most this long between attempts
LEASE = 300.0             # a claim lapses after this long (a process that died while sending)
MAX_AGE = 7 * 86400.0     # a message not delivered within this long is set aside
WAIT = 2 * 86400.0        # a message waiting for the recipient (WeChat's 48-hour window) is tried again after this


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery attempt."""

    kind: str               # "sent", "retry", "failed" (permanent), "wait" (not the recipient's turn yet),
    #                         "transient" (the service is down or busy: retried with back-off until MAX_AGE)
    error: str = ""
    after: float = 0.0      # retry: at least this many seconds (Telegram's retry_after)

    @classmethod
    def sent(cls) -> "Outcome":
        return cls("sent")

    @classmethod
    def retry(cls, error: str, after: float = 0.0) -> "Outcome":
        return cls("retry", error, after)

    @classmethod
    def failed(cls, error: str) -> "Outcome":
        return cls("failed", error)

    @classmethod
    def wait(cls, error: str) -> "Outcome":
        return cls("wait", error)

    @classmethod
    def transient(cls, error: str) -> "Outcome":
        """The service failed, not the message: tries are counted but never end it (only MAX_AGE does)."""
        return cls("transient", error)


@dataclass
class Message:
    """A claimed message: deliver `reply` (from part `progress` on), then report."""

    id: int
    user: str
    reply: Reply
    claim: str
    attempts: int
    progress: int = 0       # a channel counts the parts it has delivered, so a retry does not repeat them


Renderer = Callable[[dict], "Reply | None"]


class Outbox:
    """Per-message delivery state over the chat database; the policy (back-off, limits) lives here."""

    def __init__(self, state: ChatState, render: Renderer | None = None, *, clock: Callable[[], float] = time.time,
                 max_attempts: int = MAX_ATTEMPTS, backoff: float = BACKOFF, lease: float = LEASE,
                 max_age: float = MAX_AGE):
        self.state, self.clock = state, clock
        self.render_template = render or (lambda data: None)
        self.max_attempts, self.backoff, self.lease, self.max_age = max_attempts, backoff, lease, max_age

    # ---- putting messages in ------------------------------------------------------------------------
    def put(self, user: str, reply: Reply, ref: str = "") -> int:
        """Queue a message for `user`; `ref` (a booking or sign-up code) is what staff see if it cannot be sent."""
        return self.state.enqueue(user, reply_to_json(reply), ref, self.clock())

    def put_rendered_later(self, user: str, kind: str, ref: str) -> int:
        """Queue a message rendered only when it is sent (from the record `ref` as it is then)."""
        return self.state.enqueue(user, {"render": kind, "ref": ref}, ref, self.clock())

    # ---- channels take messages out -----------------------------------------------------------------
    def claim(self, channel: str, limit: int = 50, *, user: str | None = None) -> list[Message]:
        """Due messages for users of `channel` (or exactly `user`), claimed for this caller, oldest first.

        Messages that render to nothing (the booking was withdrawn or deleted meanwhile) are removed here."""
        now = self.clock()
        rows = self.state.claim(channel, limit, now, self.lease, secrets.token_hex(8), user=user,
                                expired_before=now - self.max_age)
        messages = []
        for row in rows:
            try:
                reply = self._reply(row)
            except Exception as exc:  # a message that cannot be rendered is never going to be sent
                logger.exception("outbox message %s cannot be rendered", row.id)
                self.state.outbox_set_aside(row.id, row.claim, now, attempts=row.attempts,
                                            error=f"render: {type(exc).__name__}")
                continue
            if reply is None:
                self.state.outbox_done(row.id, row.claim)
                continue
            messages.append(Message(row.id, row.user, reply, row.claim, row.attempts, row.progress))
        return messages

    def _reply(self, row: Queued) -> Reply | None:
        if "render" in row.reply:
            return self.render_template(row.reply)
        return reply_from_json(row.reply)

    def report(self, message: Message, outcome: Outcome) -> None:
        """Record what became of a claimed message."""
        now, state = self.clock(), self.state
        if outcome.kind == "sent":
            state.outbox_done(message.id, message.claim)
            return
        if outcome.kind == "wait":
            state.outbox_later(message.id, message.claim, now + WAIT, attempts=message.attempts,
                               progress=message.progress, error=outcome.error)
            return
        attempts = message.attempts + 1
        if outcome.kind == "failed" or (attempts >= self.max_attempts and outcome.kind != "transient"):
            logger.warning("outbox message %s to %s set aside after %d attempt(s): %s", message.id,
                           message.user.partition(":")[0], attempts, outcome.error)
            state.outbox_set_aside(message.id, message.claim, now, attempts=attempts, error=outcome.error)
            return
        delay = max(outcome.after, min(MAX_BACKOFF, self.backoff * 2 ** (attempts - 1)))
        logger.info("outbox message %s: attempt %d failed (%s); next in %.0fs", message.id, attempts,
                    outcome.error, delay)
        state.outbox_later(message.id, message.claim, now + delay, attempts=attempts, progress=message.progress,
                           error=outcome.error)

    def release(self, message: Message) -> None:
        """Give a claimed message back untried (an earlier message to the same user failed)."""
        if message.progress:
            self.state.outbox_later(message.id, message.claim, self.clock(), attempts=message.attempts,
                                    progress=message.progress)
        else:
            self.state.outbox_release(message.id, message.claim)

    def wake(self, user: str) -> int:
        """The user is reachable again (wrote to us): whatever waits for them is due now."""
        return self.state.outbox_wake(user, self.clock())

    # ---- staff ---------------------------------------------------------------------------------------
    def counts(self, channel: str = "") -> dict:
        """{"waiting": n, "set_aside": n}."""
        return self.state.outbox_counts(channel)

    def waiting(self, channel: str = "", user: str | None = None) -> list[dict]:
        """Messages not yet delivered nor set aside, oldest first: id, user, ref, created, due, attempts, error."""
        return self.state.outbox_waiting(channel, user)

    def set_aside(self, limit: int = 100) -> list[dict]:
        """Messages given up on, newest first: id, user, ref, created, set_aside, attempts, error."""
        return self.state.outbox_set_aside_rows(limit)

    def drop_set_aside(self, before: float | None = None) -> int:
        return self.state.outbox_drop_set_aside(before)


Blocking = Callable[..., Awaitable[Any]]


async def deliver_due(outbox: Outbox, channel: str, send: Callable[[Message], Awaitable[Outcome]], *,
                      limit: int = 50, parallel: int = 8, rounds: int = 20,
                      blocking: Blocking | None = None) -> int:
    """Claim and send due messages for `channel` until none are left; returns how many were delivered.

    Different users' messages go out concurrently (at most `parallel` at a time), each user's in order; after a
    failure that user's later messages wait for the next round. `send` reports each attempt as an Outcome (and
    counts `message.progress`); an exception from it counts as a transient failure. `blocking` runs the
    database calls (default: a worker thread)."""
    run: Blocking = blocking or asyncio.to_thread
    gate = asyncio.Semaphore(parallel)
    delivered = 0

    async def one_user(messages: list[Message]) -> None:
        nonlocal delivered
        async with gate:
            for index, message in enumerate(messages):
                try:
                    outcome = await send(message)
                except Exception as exc:
                    logger.exception("sending outbox message %s failed", message.id)
                    outcome = Outcome.retry(f"{type(exc).__name__}")
                await run(outbox.report, message, outcome)
                if outcome.kind != "sent":
                    for later in messages[index + 1:]:
                        await run(outbox.release, later)
                    return
                delivered += 1

    for _ in range(rounds):
        batch = await run(outbox.claim, channel, limit)
        if not batch:
            break
        by_user: dict[str, list[Message]] = {}
        for message in batch:
            by_user.setdefault(message.user, []).append(message)
        await asyncio.gather(*(one_user(messages) for messages in by_user.values()))
        if len(batch) < limit:
            break
    return delivered
