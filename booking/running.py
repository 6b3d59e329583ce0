"""Running a lecture session: edits before it (time, venue, capacity, deadline) and attendance on the day.

Every rule is here, so the command line, the staff desk and the chat cannot disagree: capacity never drops below
the seats already taken, a raised capacity promotes from the waitlist in sign-up order, and only a confirmed
sign-up of this session can be ticked as present.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from .clock import aware, human, now_or, to_db
from .errors import BookingError, NotFound
from .lectures import MAX_CAPACITY, _session_or_raise, promote_waitlist
from .models import ACTIVE, CANCELLED, CONFIRMED, HELD, WAITLISTED, Registration, Session
from .store import BookingStore
from .validation import clean

logger = logging.getLogger(__name__)

EDITABLE = ("starts_at", "ends_at", "venue", "capacity", "deadline")


@dataclass(frozen=True)
class SessionEdit:
    """What an edit changed: the session before and after, the fields that differ, the sign-ups promoted from the
    waitlist into new seats, and the other active sign-ups (each to be told once)."""

    before: Session
    after: Session
    changed: tuple[str, ...]
    promoted: list[Registration]
    others: list[Registration]


class SessionRunning:
    """Edits and attendance; every write is one BEGIN IMMEDIATE transaction, audited under the staff member."""

    def __init__(self, store: BookingStore):
        self.store = store

    def edit_session(self, session_id: int, by: str, now: datetime | None = None, *,
                     starts_at: datetime | None = None, ends_at: datetime | None = None, venue: str | None = None,
                     capacity: int | None = None, deadline: datetime | None = None) -> SessionEdit:
        """Change what is given (None leaves a field as it is); refuses a capacity below the seats taken."""
        now = now_or(now)
        with self.store.write() as tx:
            before = _session_or_raise(tx, session_id)
            if before.status == CANCELLED:
                raise BookingError("本场讲座已取消，不能再修改。")
            if now >= before.starts_at:
                raise BookingError("讲座已开始或已结束，不能再修改时间、地点或名额。")
            new = {"starts_at": aware(starts_at) if starts_at else before.starts_at,
                   "ends_at": aware(ends_at) if ends_at else before.ends_at,
                   "venue": clean(venue) if venue is not None else before.venue,
                   "capacity": before.capacity if capacity is None else capacity,
                   "deadline": aware(deadline) if deadline else before.deadline}
            _check(new, before, now)
            changed = tuple(name for name in EDITABLE if new[name] != getattr(before, name))
            if not changed:
                raise BookingError("没有要修改的内容：填写的时间、地点、名额和截止时间都与原来相同。")
            tx.update_session(session_id, {name: to_db(new[name]) if isinstance(new[name], datetime) else new[name]
                                           for name in changed})
            promoted = promote_waitlist(tx, session_id, now)
            tx.audit(to_db(now), str(by), "edit_session", f"session:{session_id}",
                     {name: [_shown(getattr(before, name)), _shown(new[name])] for name in changed}
                     | {"promoted": [r.ref for r in promoted]})
            lifted = {r.id for r in promoted}
            others = [r for r in tx.registrations_of_session(session_id, ACTIVE) if r.id not in lifted]
            after = tx.session(session_id)
        logger.info("session %s edited by %s: %s", session_id, by, ", ".join(changed))
        return SessionEdit(before, after, changed, promoted, others)

    def recipients(self, session_id: int) -> list[Registration]:
        """Everyone signed up or waiting (one sign-up each): who a message to the session reaches."""
        with self.store.read() as tx:
            session = _session_or_raise(tx, session_id)
            if session.status == CANCELLED:
                raise BookingError("本场讲座已取消，报名的人已收到取消通知，不能再群发消息。")
            return tx.registrations_of_session(session_id, ACTIVE)

    def record_message(self, session_id: int, by: str, text: str, count: int, now: datetime | None = None) -> None:
        """Audit a message sent to everyone signed up (its length and reach; the text goes to the outbox only)."""
        with self.store.write() as tx:
            tx.audit(to_db(now_or(now)), str(by), "message_session", f"session:{session_id}",
                     {"recipients": count, "chars": len(text)})

    # ---- attendance ---------------------------------------------------------------------------------------
    def expected(self, session_id: int) -> list[Registration]:
        """The confirmed sign-ups: who the sign-in sheet and the attendance list name, in sign-up order."""
        with self.store.read() as tx:
            _session_or_raise(tx, session_id)
            return tx.registrations_of_session(session_id, (CONFIRMED,))

    def registration(self, ref: str) -> Registration:
        """The sign-up a JZ- code (typed or scanned) stands for, with its session; NotFound otherwise."""
        code = _code(ref)
        with self.store.read() as tx:
            reg = tx.registration(ref=code) if code else None
        if reg is None:
            raise NotFound(f"没有报名编号「{code or clean(ref)[:20]}」，请核对（例如 JZ-2026-0007）。")
        return reg

    def mark_attended(self, session_id: int, ref: str, came: bool, by: str,
                      now: datetime | None = None) -> tuple[Registration, bool]:
        """Tick (or untick) a confirmed sign-up of this session as present, by its JZ- code typed or scanned;
        returns it and whether it was already so (a second scan changes nothing)."""
        now = now_or(now)
        code = _code(ref)
        with self.store.write() as tx:
            session = _session_or_raise(tx, session_id)
            reg = tx.registration(ref=code) if code else None
            if reg is None or reg.session_id != session.id:
                raise NotFound(f"本场讲座没有报名编号「{code or clean(ref)[:20]}」，请核对（例如 JZ-2026-0007）。")
            if session.status == CANCELLED:
                raise BookingError("本场讲座已取消，不能签到。")
            if now.date() < session.starts_at.date():
                raise BookingError(f"讲座在 {human(session.starts_at)} 开始，当天才能签到。")
            if reg.status != CONFIRMED:
                raise BookingError(f"{reg.ref}（{reg.name or '—'}）{_why_not(reg)}，不能签到。")
            already = (reg.attended_at is not None) == came
            if not already:
                tx.update_registration(reg.id, {"attended_at": to_db(now) if came else None,
                                                "attended_by": str(by) if came else None})
                tx.audit(to_db(now), str(by), "attended" if came else "attended_undo", reg.ref,
                         {"session": session.id})
            return tx.registration(reg.id), already


def _check(new: dict, before: Session, now: datetime) -> None:
    if new["ends_at"] <= new["starts_at"]:
        raise BookingError("结束时间必须晚于开始时间。")
    if new["starts_at"] != before.starts_at and new["starts_at"] <= now:
        raise BookingError("开始时间已过，请填写将来的时间。")
    if new["deadline"] > new["starts_at"]:
        raise BookingError("报名截止时间不能晚于讲座开始时间。")
    if not 2 <= len(new["venue"]) <= 100:
        raise BookingError("请填写讲座地点（2至100字），例如：川沙新镇社区文化活动中心三楼报告厅。")
    capacity = new["capacity"]
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        raise BookingError(f"名额须为1至{MAX_CAPACITY}之间的整数。")
    if capacity < before.seats_taken:
        raise BookingError(f"名额不能少于已报名的人数：现在已确认（含待监护人确认）{before.seats_taken} 人，"
                           f"名额最少填 {before.seats_taken}。如确需减少，请先联系报名者取消报名。")


def _code(ref: str) -> str:
    """A JZ- code as typed or scanned: 「jz 2026 7」「JZ20260007」「JZ-2026-0007」 all read JZ-2026-0007."""
    found = re.fullmatch(r"JZ\W*(\d{4})\W*(\d{1,6})", clean(ref).upper())
    return f"JZ-{found[1]}-{int(found[2]):04d}" if found else ""


def _why_not(reg: Registration) -> str:
    if reg.status == WAITLISTED:
        return "还在候补中，没有确认座位"
    if reg.status == HELD:
        return "还在等监护人确认"
    return "已取消"


def _shown(value) -> str:
    return human(value) if isinstance(value, datetime) else str(value)
