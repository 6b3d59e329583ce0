"""Public lecture sessions: creating them, sign-ups with a first-come waitlist, cancellations, reminders."""
from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from knowledge.model import Program

from . import consent
from .catalog import Catalog
from .consent import Guardian
from .clock import aware, human, now_or, to_db
from .errors import BookingError, NotFound, ValidationError
from .limits import SignupLimits
from .models import ACTIVE, CANCELLED, CLOSED, CONFIRMED, HELD, OPEN, WAITLISTED, Registration, Session
from .phones import normalize_phone
from .store import BookingStore, Tx
from .validation import attendee_count, check_role, clean, person_name

logger = logging.getLogger(__name__)

MAX_CAPACITY = 2000
REMINDER_LEAD = timedelta(hours=24)
REF_PREFIX = "JZ"


@dataclass(frozen=True)
class ConsentOutcome:
    """What a guardian's answer (or the expiry sweep) changed: the sign-ups concerned and those promoted from the
    waitlist into freed seats, so each can be told."""

    registrations: list[Registration]
    promoted: list[Registration]


class Lectures:
    """Sign-ups for public lecture sessions; every write is one BEGIN IMMEDIATE transaction."""

    def __init__(self, store: BookingStore, catalog: Catalog | None = None, limits: SignupLimits | None = None):
        self.store = store
        self.catalog = catalog or Catalog.default()
        self.limits = limits or SignupLimits()

    def create_session(self, program_id: str, title: str, starts_at: datetime, ends_at: datetime, venue: str,
                       street: str, audience: str | list[str], capacity: int, deadline: datetime,
                       created_by: str, now: datetime | None = None) -> Session:
        """Check and store a new session, open for sign-up until its deadline."""
        now = now_or(now)
        starts_at, ends_at, deadline = aware(starts_at), aware(ends_at), aware(deadline)
        program = self.session_program(program_id)
        if ends_at <= starts_at:
            raise BookingError("结束时间必须晚于开始时间。")
        if starts_at <= now:
            raise BookingError("开始时间已过，请填写将来的时间。")
        if deadline > starts_at:
            raise BookingError("报名截止时间不能晚于讲座开始时间。")
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
            raise BookingError(f"名额须为1至{MAX_CAPACITY}之间的整数。")
        venue = clean(venue)
        if not 2 <= len(venue) <= 100:
            raise BookingError("请填写讲座地点（2至100字），例如：川沙新镇社区文化活动中心三楼报告厅。")
        audience = "、".join(audience) if isinstance(audience, (list, tuple)) else clean(audience)
        values = {
            "program_id": program.id, "title": clean(title) or program.title,
            "starts_at": to_db(starts_at), "ends_at": to_db(ends_at), "deadline": to_db(deadline),
            "venue": venue, "street": self.catalog.resolve_street(street),
            "audience": audience or "、".join(program.audience), "capacity": capacity,
            "status": OPEN, "created_by": str(created_by), "created_at": to_db(now),
        }
        with self.store.write() as tx:
            session_id = tx.insert_session(values)
            tx.audit(to_db(now), str(created_by), "create_session", f"session:{session_id}",
                     {"program_id": program.id, "starts_at": values["starts_at"], "capacity": capacity})
            session = tx.session(session_id)
        logger.info("session %s (%s) created by %s", session.id, program.id, created_by)
        return session

    def session_program(self, program_id: str) -> Program:
        """The programme a public session may be created for: only public ones (schools book the others)."""
        program = self.catalog.program(program_id)
        if program is None:
            raise BookingError(f"未找到讲座项目「{program_id}」，请从 lectures.yaml 中的项目里选择。")
        if program.kind != "public":
            raise BookingError(f"「{program.title}」是供学校预约的课程，不开放公开报名场次，请选择公开讲座项目。")
        return program

    def get_session(self, session_id: int) -> Session:
        """One session with its live seat count, or NotFound."""
        with self.store.read() as tx:
            return _session_or_raise(tx, session_id)

    def open_for_sign_up(self, session_id: int, now: datetime) -> Session:
        """The session when it exists and still takes sign-ups; NotFound or BookingError saying why not (asked
        before a form starts, so nobody fills one in for nothing)."""
        session = self.get_session(session_id)
        _check_open(session, aware(now))
        return session

    def open_sessions(self, now: datetime) -> list[Session]:
        """Sessions still taking sign-ups, soonest first, each with seats_left."""
        with self.store.read() as tx:
            return tx.open_sessions(to_db(now))

    def upcoming_sessions(self, now: datetime) -> list[Session]:
        """Every session that has not ended yet, whatever its status: what staff manage."""
        with self.store.read() as tx:
            return tx.upcoming_sessions(to_db(now))

    def sign_up(self, session_id: int, user_key: str, name: str, phone: str, role: str, attendees: int,
                now: datetime, guardian: tuple[str, str] | None = None, age: int | None = None,
                origin: str = "") -> Registration:
        """Confirm the sign-up if the seats fit, else put it on the waitlist; returns it with its JZ- code.

        A student under 14 (`age`; a student of unknown age counts as one) needs `guardian` = (name, phone) and a
        guardian's consent: the seat is only held (or the waitlist place kept) for CONSENT_HOURS, and the returned
        registration carries the one-time `consent_code` the child gives the guardian (see confirm_consent); the
        hold remembers a digest of the child's client address (`origin`, web page) to recognise it in the answer.
        The limits (people per sign-up, sign-ups per phone and per name in one session) are checked here."""
        name, phone = person_name(name), normalize_phone(phone)
        role, attendees = check_role(role), attendee_count(attendees)
        if attendees > self.limits.max_attendees:
            raise ValidationError(f"每次报名最多 {self.limits.max_attendees} 人。人数更多请联系主办方。", "attendees")
        needs_consent = consent.needs_consent(role, age)
        guardian_values: dict = {}
        if needs_consent:
            if not guardian:
                raise ValidationError("未满14周岁的学生报名，需要填写监护人的姓名和电话，并由监护人确认同意。",
                                      "guardian_name")
            guardian_values = {"guardian_name": person_name(guardian[0], "guardian_name"),
                               "guardian_phone": normalize_phone(guardian[1], "guardian_phone")}
        now = aware(now)
        code = consent.new_code() if needs_consent else ""
        with self.store.write() as tx:
            session = _session_or_raise(tx, session_id)
            _check_open(session, now)
            existing = tx.active_registration(session.id, user_key)
            if existing is not None:
                raise BookingError(f"您已报名本场讲座（报名编号 {existing.ref}，{existing.status_label}），无需重复报名。"
                                   "如需更改人数，请先取消原报名再重新报名。")
            if tx.count_active(session.id, phone=phone) >= self.limits.per_phone:
                raise BookingError("这个电话号码在本场讲座已有报名，不能再用它报名。如有疑问请联系主办方。")
            if tx.count_active(session.id, name=name) >= self.limits.per_name:
                raise BookingError(f"「{name}」已报名本场讲座，无需重复报名。如有疑问请联系主办方。")
            fits = tx.seats_taken(session.id) + attendees <= session.capacity
            status = (HELD if needs_consent else CONFIRMED) if fits else WAITLISTED
            values = {
                "ref": tx.next_ref(REF_PREFIX, now.year), "session_id": session.id, "user_key": user_key,
                "name": name, "phone": phone, "role": role, "attendees": attendees,
                "status": status, "created_at": to_db(now), **guardian_values,
            }
            if needs_consent:
                expires = min(now + timedelta(hours=consent.CONSENT_HOURS), session.starts_at)
                values.update(consent=consent.PENDING, consent_code=consent.code_digest(code),
                              consent_expires_at=to_db(expires), consent_origin=consent.origin_digest(origin))
            try:
                reg_id = tx.insert_registration(values)
            except sqlite3.IntegrityError:  # the partial unique index; the check above should win first
                raise BookingError("您已报名本场讲座，无需重复报名。") from None
            return replace(tx.registration(reg_id), consent_code=code)

    # ---- guardian consent -----------------------------------------------------------------------------
    def consent_request(self, code: str, now: datetime, guardian: Guardian | None = None) -> Registration:
        """The sign-up a guardian's code stands for, while it awaits consent; NotFound otherwise. With `guardian`,
        BookingError unless that account may answer (consent.guardian_check)."""
        now = aware(now)
        with self.store.read() as tx:
            reg = _awaiting(tx, code, now)
        if guardian is not None:
            _check(reg, guardian, now)
        return reg

    def confirm_consent(self, code: str, guardian: Guardian, agree: bool, now: datetime) -> ConsentOutcome:
        """A guardian's answer, from an account that may give it (consent.guardian_check). Consent turns a held
        seat into a confirmed one (a waitlisted sign-up keeps its place and may now be promoted), flagged for a
        staff call-back when it came from the hold's own network; a refusal cancels the sign-up, blanks its
        details and frees the seat. The code works once."""
        now = aware(now)
        stamp = to_db(now)
        with self.store.write() as tx:
            reg = _awaiting(tx, code, now)
            check = _check(reg, guardian, now)
            if agree:
                values = {"consent": consent.GIVEN, "consent_code": None, "guardian_consent_at": stamp,
                          "guardian_user_key": guardian.key, "consent_origin": "", "consent_check": check}
                if reg.status == HELD:
                    values["status"] = CONFIRMED
                tx.update_registration(reg.id, values)
                promoted = promote_waitlist(tx, reg.session_id, now) if reg.status == WAITLISTED else []
            else:
                _release(tx, reg, consent.REFUSED, stamp)
                promoted = promote_waitlist(tx, reg.session_id, now) if reg.status == HELD else []
            tx.audit(stamp, "guardian", "consent_given" if agree else "consent_refused", reg.ref,
                     {"check": check} if agree and check else None)
            return ConsentOutcome([tx.registration(reg.id)], promoted)

    def to_call_back(self, now: datetime) -> list[Registration]:
        """Sign-ups whose guardian answered from the child's own network: staff call the guardian's phone before
        the session (「同一网络确认」)."""
        with self.store.read() as tx:
            return tx.to_call_back(to_db(aware(now)))

    def called_back(self, ref: str, staff: str, now: datetime) -> Registration:
        """Record that staff reached the guardian by phone and the consent stands."""
        stamp = to_db(aware(now))
        with self.store.write() as tx:
            reg = _find_registration(tx, ref)
            if reg is None or reg.consent_check != consent.SAME_NETWORK or reg.status == CANCELLED:
                raise NotFound("没有这条需要回访的报名。")
            tx.update_registration(reg.id, {"consent_check": consent.CALLED_BACK})
            tx.audit(stamp, staff, "consent_called_back", reg.ref)
            return tx.registration(reg.id)

    def renew_consent_code(self, ref: str, user_key: str, now: datetime) -> Registration:
        """A new code for the child's own sign-up still awaiting consent (the old one stops working); the hold's
        expiry stays as it was."""
        now = aware(now)
        code = consent.new_code()
        with self.store.write() as tx:
            reg = _find_registration(tx, ref)
            if reg is None or reg.user_key != user_key or not reg.awaiting_consent:
                raise NotFound("这条报名不需要或已不再等待监护人确认。发送 /my 查看报名状态。")
            if reg.consent_expires_at and reg.consent_expires_at <= now:
                raise BookingError("等待监护人确认的时间已过，这条报名会被取消。请重新报名。")
            tx.update_registration(reg.id, {"consent_code": consent.code_digest(code)})
            return replace(tx.registration(reg.id), consent_code=code)

    def expire_consents(self, now: datetime) -> ConsentOutcome:
        """Cancel sign-ups whose guardian did not answer in time, blank their details and free their seats."""
        now = aware(now)
        stamp = to_db(now)
        with self.store.read() as tx:  # the common case: nothing has expired, no write lock taken
            if not tx.expired_consents(stamp):
                return ConsentOutcome([], [])
        with self.store.write() as tx:
            expired = tx.expired_consents(stamp)
            for reg in expired:
                _release(tx, reg, consent.EXPIRED, stamp)
            promoted: list[Registration] = []
            for session_id in dict.fromkeys(reg.session_id for reg in expired if reg.status == HELD):
                promoted += promote_waitlist(tx, session_id, now)
            if expired:
                tx.audit(stamp, "system", "consent_expired", "-", {"refs": [reg.ref for reg in expired]})
            return ConsentOutcome([tx.registration(reg.id) for reg in expired], promoted)

    def consented_by(self, guardian_key: str) -> list[Registration]:
        """Sign-ups a guardian consented to from this account."""
        with self.store.read() as tx:
            return tx.consented_by(guardian_key)

    def cancel_registration(self, ref_or_id: str | int, user_key: str,
                            now: datetime) -> tuple[Registration, list[Registration]]:
        """Cancel the user's own sign-up and promote waitlisted ones into the freed seats (FIFO)."""
        now = aware(now)
        with self.store.write() as tx:
            reg = _find_registration(tx, ref_or_id)
            if reg is None or reg.user_key != user_key:
                raise NotFound("未找到您的这条报名记录，请核对报名编号（例如 JZ-2026-0007）。")
            if reg.status == CANCELLED:
                raise BookingError(f"报名 {reg.ref} 已取消，无需重复操作。")
            if reg.session and now >= reg.session.starts_at:
                raise BookingError("讲座已开始或已结束，无法再取消报名。")
            tx.update_registration(reg.id, {"status": CANCELLED, "cancelled_at": to_db(now),
                                            "cancel_reason": "user"})
            promoted = promote_waitlist(tx, reg.session_id, now)
            return tx.registration(reg.id), promoted

    def my_registrations(self, user_key: str) -> list[Registration]:
        """All of a user's sign-ups (including cancelled), latest session first, each with .session."""
        with self.store.read() as tx:
            return tx.registrations_of_user(user_key)

    def attendees(self, session_id: int) -> list[Registration]:
        """Active sign-ups of a session: confirmed first, then the waitlist in order."""
        with self.store.read() as tx:
            _session_or_raise(tx, session_id)
            return tx.registrations_of_session(session_id, ACTIVE)

    def totals_by(self, column: str, now: datetime | None = None) -> list[dict]:
        """Per "program_id" or "street": sessions, people confirmed, held, present and not come; waitlisted."""
        with self.store.read() as tx:
            return tx.signup_totals(column, to_db(now_or(now)))

    def close_session(self, session_id: int, by: str, now: datetime | None = None) -> Session:
        """Stop taking sign-ups (existing ones and waitlist promotion stay in force)."""
        now = now_or(now)
        with self.store.write() as tx:
            session = _session_or_raise(tx, session_id)
            if session.status != OPEN:
                raise BookingError(f"本场讲座{session.status_label}，无需再停止报名。")
            tx.set_session_status(session.id, CLOSED)
            tx.audit(to_db(now), str(by), "close_session", f"session:{session.id}")
            return tx.session(session.id)

    def cancel_session(self, session_id: int, by: str, now: datetime | None = None,
                       reason: str | None = None) -> list[Registration]:
        """Cancel a session and all its active sign-ups; returns those registrants so they can be told."""
        now = now_or(now)
        with self.store.write() as tx:
            session = _session_or_raise(tx, session_id)
            if session.status == CANCELLED:
                raise BookingError("本场讲座已取消，无需重复操作。")
            affected = tx.registrations_of_session(session.id, ACTIVE)
            for reg in affected:
                tx.update_registration(reg.id, {"status": CANCELLED, "cancelled_at": to_db(now),
                                                "cancel_reason": "session_cancelled"})
            tx.set_session_status(session.id, CANCELLED)
            tx.audit(to_db(now), str(by), "cancel_session", f"session:{session.id}",
                     {"affected": len(affected), "reason": reason or ""})
            cancelled = [tx.registration(reg.id) for reg in affected]
        logger.info("session %s cancelled by %s; %d sign-ups to notify", session.id, by, len(cancelled))
        return cancelled

    def due_reminders(self, now: datetime) -> list[tuple[Registration, Session]]:
        """Confirmed sign-ups whose session starts within 24 h and that have not been reminded."""
        now = aware(now)
        with self.store.read() as tx:
            return [(reg, reg.session) for reg in tx.due_reminders(to_db(now), to_db(now + REMINDER_LEAD))]

    def mark_reminded(self, reg_id: int, now: datetime | None = None) -> None:
        """Record that the reminder went out, so it is not sent twice."""
        with self.store.write() as tx:
            tx.update_registration(reg_id, {"reminded_at": to_db(now_or(now))})


def promote_waitlist(tx: Tx, session_id: int, now: datetime) -> list[Registration]:
    """Move waitlisted sign-ups into free seats in sign-up order, skipping parties too big to fit and children whose
    guardian has not consented yet (they keep their place and are considered again once consent is given)."""
    session = tx.session(session_id)
    if session is None or session.status == CANCELLED or now >= session.starts_at:
        return []
    free = session.capacity - tx.seats_taken(session_id)
    promoted = []
    for reg in tx.registrations_of_session(session_id, (WAITLISTED,)):
        if free <= 0:
            break
        if reg.attendees <= free and not reg.awaiting_consent:
            tx.update_registration(reg.id, {"status": CONFIRMED, "promoted_at": to_db(now)})
            free -= reg.attendees
            promoted.append(reg.id)
    return [tx.registration(reg_id) for reg_id in promoted]


def _awaiting(tx: Tx, code: str, now: datetime) -> Registration:
    """The sign-up awaiting consent under this code, not yet expired; NotFound otherwise."""
    normal = consent.normalize_code(code)
    reg = tx.awaiting_consent(consent.code_digest(normal)) if normal else None
    if reg is None or (reg.consent_expires_at is not None and reg.consent_expires_at <= now):
        raise NotFound("确认码无效或已过期（确认码只能用一次，48 小时内有效）。请让孩子发送 /my 查看报名状态，"
                       "需要时重新获取确认码。")
    return reg


def _check(reg: Registration, guardian: Guardian, now: datetime) -> str:
    return consent.guardian_check(reg.user_key, reg.consent_origin, reg.created_at, guardian.key, guardian.account_age,
                                  guardian.origin, now)


def _release(tx: Tx, reg: Registration, outcome: str, stamp: str) -> None:
    """Cancel a sign-up that has no consent and blank what was typed for it: without consent nothing is kept."""
    tx.update_registration(reg.id, {"status": CANCELLED, "cancelled_at": stamp, "cancel_reason": f"consent_{outcome}",
                                    "consent": outcome, "consent_code": None, "consent_origin": "", "name": "", "phone": "",
                                    "guardian_name": "", "guardian_phone": ""})


def _session_or_raise(tx: Tx, session_id: int) -> Session:
    session = tx.session(session_id) if isinstance(session_id, int) and 0 < session_id < 2 ** 63 else None
    if session is None:
        raise NotFound("未找到这场讲座，可能已被删除，请重新查看讲座列表。")
    return session


def _check_open(session: Session, now: datetime) -> None:
    if session.status == CANCELLED:
        raise BookingError("本场讲座已取消，无法报名。请查看其他场次。")
    if session.status == CLOSED:
        raise BookingError("本场讲座已停止报名。请查看其他场次。")
    if now > session.deadline:
        raise BookingError(f"本场讲座的报名已于 {human(session.deadline)} 截止。请查看其他场次。")


def _find_registration(tx: Tx, ref_or_id: str | int) -> Registration | None:
    if isinstance(ref_or_id, int) or str(ref_or_id).strip().isdigit():
        reg_id = int(str(ref_or_id).strip()) if str(ref_or_id).strip().isdecimal() else -1
        return tx.registration(reg_id=reg_id) if 0 < reg_id < 2 ** 63 else None
    return tx.registration(ref=clean(ref_or_id).upper())
