"""School bookings (法治进校园 / 法治副校长 classes): submission, staff review, school reply, reminders."""
from __future__ import annotations

import json
import logging
from datetime import date as Date, datetime, timedelta
from typing import Any

from .catalog import Catalog
from .clock import aware, human, human_date, now_or, to_db, today
from .dates import find_dates, read_dates
from .errors import AlreadyDecided, BookingError, NotFound, ValidationError
from .dates import check_window, time_of_day_in
from .models import (ACCEPTED, ACTIONS, APPROVED, COUNTERED, DECLINED, PENDING, PROPOSED, REJECTED, WITHDRAWN,
                     WITHDREW, AuditEntry, BookingRequest, SchoolBooking)
from .store import BookingStore, Tx
from .validation import clean, validate_field, validate_request

logger = logging.getLogger(__name__)

__all__ = ["BookingRequest", "Schools", "validate_field"]

REF_PREFIX = "PD"
REMINDER_DAYS = 3


class Schools:
    """Bookings of in-school classes, reviewed by office staff; decisions are race-safe."""

    def __init__(self, store: BookingStore, catalog: Catalog | None = None):
        self.store = store
        self.catalog = catalog or Catalog.default()

    def validate_field(self, name: str, raw_text: Any, today: Date) -> Any:
        """Check one form answer against this catalog (see validation.validate_field)."""
        return validate_field(name, raw_text, today, self.catalog)

    def submit(self, request: BookingRequest, user_key: str, now: datetime) -> SchoolBooking:
        """Re-check the whole form and store it as 待审核 with a PD-<year>-NNNN reference."""
        now = aware(now)
        request = validate_request(request, today(now), self.catalog)
        with self.store.write() as tx:
            duplicate = tx.open_duplicate(user_key, request.school, request.program_id, request.grades,
                                          today(now).isoformat())
            if duplicate is not None:
                raise BookingError(f"您已为{request.school}提交过相同的预约（编号 {duplicate.ref}，{duplicate.status}），"
                                   "请等待工作人员处理，无需重复提交。")
            ref = tx.next_ref(REF_PREFIX, now.year)
            tx.insert_school_booking({
                "ref": ref, "user_key": user_key, "school": request.school, "street": request.street,
                "address": request.address, "contact_name": request.contact_name,
                "contact_role": request.contact_role, "phone": request.phone, "grades": request.grades,
                "head_count": request.head_count, "program_id": request.program_id,
                "topics": json.dumps(list(request.topics), ensure_ascii=False),
                "preferred_dates": json.dumps([d.isoformat() for d in request.preferred_dates]),
                "time_of_day": request.time_of_day, "notes": request.notes, "email": request.email,
                "status": PENDING,
                "last_date": max(request.preferred_dates).isoformat(),
                "created_at": to_db(now), "updated_at": to_db(now),
            })
            return tx.school_booking(ref)

    def decide(self, ref: str, action: str, staff_id: str, now: datetime, date: Date | str | None = None,
               reason: str | None = None, time: str | None = None) -> SchoolBooking:
        """Approve (on the first open preferred date, or the one given), propose another date (and time of day)
        with a note, or decline with a reason, exactly once for each time the booking waits for the office."""
        now = aware(now)
        if action not in ACTIONS:
            raise BookingError("操作只能是：approve（确认）、propose（建议改期）或 decline（婉拒）。")
        with self.store.write() as tx:
            booking = _booking_or_raise(tx, ref)
            if booking.status != PENDING:
                raise AlreadyDecided(_already(booking), booking)
            values: dict[str, Any] = {"decision": action, "decided_by": str(staff_id), "decided_at": to_db(now),
                                      "updated_at": to_db(now)}
            if action == "decline":
                reason = clean(reason)
                if not reason:
                    raise BookingError("婉拒时请填写原因，例如：该时段讲师已满，请改约其他日期。")
                values.update(status=DECLINED, reason=reason[:200])
            else:
                if action == "propose" and date is None:
                    raise BookingError("建议改期时请填写新的日期，例如：2026-12-18。")
                day = _staff_date(date, now) if date is not None else _first_open_date(booking, now)
                values.update(status=APPROVED if action == "approve" else PROPOSED, scheduled_date=day.isoformat(),
                              last_date=max(day, *booking.request.preferred_dates).isoformat(),
                              reason=clean(reason)[:200] or None, scheduled_time=clean(time) or None)
            values["attention"] = None  # deciding is looking at whatever the school said
            tx.update_school_booking(booking.ref, values)
            tx.audit(to_db(now), str(staff_id), f"decide:{action}", booking.ref,
                     {"status": values["status"], "date": values.get("scheduled_date"),
                      "time": values.get("scheduled_time"), "note": values.get("reason")})
            decided = tx.school_booking(booking.ref)
        logger.info("booking %s: %s by %s", decided.ref, action, staff_id)
        return decided

    def accept_proposal(self, ref: str, user_key: str, now: datetime) -> SchoolBooking:
        """The school agrees to the date staff proposed; the booking becomes 已确认."""
        return self._school_reply(ref, user_key, now, accept=True)

    def reject_proposal(self, ref: str, user_key: str, now: datetime, reason: str | None = None) -> SchoolBooking:
        """The school turns the proposed date down; the booking is closed as 已取消 (they may book again)."""
        return self._school_reply(ref, user_key, now, accept=False, reason=reason or "学校未接受建议的日期")

    def counter_propose(self, ref: str, user_key: str, now: datetime, text: str) -> SchoolBooking:
        """The school answers a proposed date with date(s) of its own (and a note): the booking waits for the
        office again (待审核) with those dates as its preferred ones."""
        now = aware(now)
        found = find_dates(text or "", today(now))
        if not found:
            raise ValidationError("请写上您希望的日期，例如：12月23日下午，或 12月23日、12月25日。", "preferred_dates")
        days = list(dict.fromkeys(check_window(day, today(now), shown) for day, shown in found))[:3]
        with self.store.write() as tx:
            booking = _own_booking(tx, ref, user_key)
            if booking.status != PROPOSED:
                raise BookingError(f"预约 {booking.ref} 当前状态为「{booking.status}」，没有待您答复的改期建议。")
            values = {"status": PENDING, "preferred_dates": json.dumps([d.isoformat() for d in days]),
                      "last_date": max(days).isoformat(), "attention": COUNTERED,
                      "school_note": clean(text)[:200], "updated_at": to_db(now)}
            if (time := time_of_day_in(text)) is not None:
                values["time_of_day"] = time
            tx.update_school_booking(booking.ref, values)
            tx.audit(to_db(now), "school", "counter_propose", booking.ref,
                     {"dates": [d.isoformat() for d in days], "note": values["school_note"]})
            return tx.school_booking(booking.ref)

    def withdraw(self, ref: str, user_key: str, now: datetime, reason: str | None = None) -> SchoolBooking:
        """The school cancels its own booking before the date."""
        now = aware(now)
        with self.store.write() as tx:
            booking = _own_booking(tx, ref, user_key)
            if booking.status in (DECLINED, WITHDRAWN):
                raise BookingError(f"预约 {booking.ref} 当前状态为「{booking.status}」，无需取消。")
            if booking.scheduled_date and booking.scheduled_date < today(now):
                raise BookingError(f"预约 {booking.ref} 的日期已过，无法取消。")
            tx.update_school_booking(booking.ref, {"status": WITHDRAWN, "reason": clean(reason) or "学校取消",
                                                   "attention": WITHDREW, "updated_at": to_db(now)})
            tx.audit(to_db(now), "school", "withdraw", booking.ref, {"from": booking.status})
            return tx.school_booking(booking.ref)

    def withdraw_proposal(self, ref: str, staff_id: str, now: datetime) -> SchoolBooking:
        """Staff take back a date they proposed while the school has not answered: the booking waits for the
        office again (待审核) with the school's own preferred dates, so it can be approved or another date proposed."""
        now = aware(now)
        with self.store.write() as tx:
            booking = _booking_or_raise(tx, ref)
            if booking.status != PROPOSED:
                raise BookingError(f"预约 {booking.ref} 当前状态为「{booking.status}」，没有等学校答复的改期建议可以撤回。")
            tx.update_school_booking(booking.ref, {
                "status": PENDING, "decision": None, "decided_by": None, "decided_at": None, "scheduled_date": None,
                "scheduled_time": None, "reason": None, "updated_at": to_db(now),
                "last_date": max(booking.request.preferred_dates).isoformat()})
            tx.audit(to_db(now), str(staff_id), "withdraw_proposal", booking.ref,
                     {"date": booking.scheduled_date.isoformat() if booking.scheduled_date else None})
            return tx.school_booking(booking.ref)

    def acknowledge(self, ref: str, staff_id: str, now: datetime) -> SchoolBooking:
        """Staff have seen the school's answer (accepted, withdrawn …); it leaves the to-do list."""
        now = aware(now)
        with self.store.write() as tx:
            booking = _booking_or_raise(tx, ref)
            if booking.attention is None:
                return booking
            tx.update_school_booking(booking.ref, {"attention": None, "updated_at": to_db(now)})
            tx.audit(to_db(now), str(staff_id), "acknowledge", booking.ref, {"seen": booking.attention})
            return tx.school_booking(booking.ref)

    def pending(self) -> list[SchoolBooking]:
        """Bookings waiting for staff review, oldest first."""
        with self.store.read() as tx:
            return tx.school_bookings(status=PENDING)

    def open_for_staff(self) -> list[SchoolBooking]:
        """Every booking the office has to act on or look at: 待审核 (new, or the school proposed other dates),
        已改期待确认 (waiting for the school), and schools' answers and withdrawals not yet seen."""
        with self.store.read() as tx:
            return tx.open_school_bookings()

    def by_month(self) -> list[dict]:
        """Bookings per month they came in and status: rows {month, status, n}."""
        with self.store.read() as tx:
            return tx.bookings_by_month()

    def history(self, ref: str) -> list[AuditEntry]:
        """Who did what to this booking and when, oldest first."""
        return list(reversed(self.store.audit_log(limit=200, target=_normal_ref(ref))))

    def get(self, ref: str) -> SchoolBooking:
        """One booking by reference (PD-2026-0042), or NotFound."""
        with self.store.read() as tx:
            return _booking_or_raise(tx, ref)

    def for_user(self, user_key: str) -> list[SchoolBooking]:
        """All bookings a user submitted, oldest first."""
        with self.store.read() as tx:
            return tx.school_bookings(user_key=user_key)

    def all(self, status: str | None = None) -> list[SchoolBooking]:
        """All bookings (optionally of one status), e.g. for a CSV export."""
        with self.store.read() as tx:
            return tx.school_bookings(status=status)

    def due_school_reminders(self, now: datetime) -> list[SchoolBooking]:
        """Confirmed bookings whose date is within the next 3 days and that have not been reminded."""
        day = today(now)
        with self.store.read() as tx:
            return tx.due_school_reminders(day.isoformat(), (day + timedelta(days=REMINDER_DAYS)).isoformat())

    def mark_school_reminded(self, ref: str, now: datetime | None = None) -> None:
        """Record that the reminder for this booking went out."""
        with self.store.write() as tx:
            tx.update_school_booking(_normal_ref(ref), {"reminded_at": to_db(now_or(now))})

    def _school_reply(self, ref: str, user_key: str, now: datetime, *, accept: bool,
                      reason: str | None = None) -> SchoolBooking:
        now = aware(now)
        with self.store.write() as tx:
            booking = _own_booking(tx, ref, user_key)
            if booking.status != PROPOSED:
                raise BookingError(f"预约 {booking.ref} 当前状态为「{booking.status}」，没有待确认的改期。")
            values = {"status": APPROVED, "attention": ACCEPTED, "updated_at": to_db(now)} if accept else \
                {"status": WITHDRAWN, "reason": reason, "attention": REJECTED, "updated_at": to_db(now)}
            tx.update_school_booking(booking.ref, values)
            tx.audit(to_db(now), "school", "accept_proposal" if accept else "reject_proposal", booking.ref)
            return tx.school_booking(booking.ref)


def read_dates_or_none(text: str, day: Date) -> list | None:
    """The dates when the text is nothing but dates, else None (then the first date is meant, the rest is a note)."""
    try:
        return read_dates(text, day)
    except ValidationError:
        return None


def _normal_ref(ref: str) -> str:
    return clean(ref).upper()


def _booking_or_raise(tx: Tx, ref: str) -> SchoolBooking:
    booking = tx.school_booking(_normal_ref(ref))
    if booking is None:
        raise NotFound(f"未找到预约编号 {clean(ref)}，请核对后重试（格式如 PD-2026-0042）。")
    return booking


def _own_booking(tx: Tx, ref: str, user_key: str) -> SchoolBooking:
    booking = tx.school_booking(_normal_ref(ref))
    if booking is None or booking.user_key != user_key:
        raise NotFound(f"未找到您的预约 {clean(ref)}，请核对编号（格式如 PD-2026-0042）。")
    return booking


def _already(booking: SchoolBooking) -> str:
    if booking.decided_at is None:
        return f"预约 {booking.ref} 当前状态为「{booking.status}」，无需再处理。"
    return (f"预约 {booking.ref} 已由 {booking.decided_by} 于 {human(booking.decided_at)} 处理："
            f"{booking.decision_text}，无需重复操作。")


def _first_open_date(booking: SchoolBooking, now: datetime) -> Date:
    """The school's first preferred date that has not passed yet."""
    for day in booking.request.preferred_dates:
        if day >= today(now):
            return day
    raise BookingError(f"预约 {booking.ref} 的意向日期都已过去，请用「建议改期」(propose) 提出新的日期。")


def _staff_date(value: Date | str, now: datetime) -> Date:
    """A date staff typed (any format dates.py reads); not in the past, otherwise no window."""
    if isinstance(value, datetime):
        value = aware(value).date()
    if not isinstance(value, Date):
        found = find_dates(str(value), today(now))
        if not found:
            raise ValidationError("请写上建议的日期，例如：12月23日下午，讲师那天有空。", "date")
        if len({day for day, _ in found}) > 1 and read_dates_or_none(str(value), today(now)):
            raise ValidationError("请只填写一个日期，例如：2026-12-18。", "date")
        value = found[0][0]
    if value < today(now):
        raise ValidationError(f"日期 {human_date(value)} 已经过去，请填写今天或以后的日期。", "date")
    return value
