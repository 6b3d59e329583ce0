"""The records the booking domain hands out: sessions, registrations, school bookings, audit entries."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .clock import from_db

ROLES = ("家长", "学生", "教师", "其他")
TIMES_OF_DAY = ("上午", "下午", "全天")

CONFIRMED, WAITLISTED, CANCELLED = "confirmed", "waitlisted", "cancelled"
HELD = "held"  # a seat held for a child under 14 until a guardian consents (booking.consent)
ACTIVE = (CONFIRMED, HELD, WAITLISTED)
REGISTRATION_LABELS = {CONFIRMED: "已确认", HELD: "待监护人确认（座位保留中）", WAITLISTED: "候补中", CANCELLED: "已取消"}
OPEN, CLOSED = "open", "closed"
SESSION_LABELS = {OPEN: "报名中", CLOSED: "已停止报名", CANCELLED: "已取消"}

PENDING, APPROVED, PROPOSED, DECLINED, WITHDRAWN = "待审核", "已确认", "已改期待确认", "已婉拒", "已取消"
ACTIONS = ("approve", "propose", "decline")
OPEN_STATUSES = (PENDING, PROPOSED)  # a decision or an answer is still awaited
# a school's answer staff have not yet looked at (school_bookings.attention)
ACCEPTED, COUNTERED, REJECTED, WITHDREW = "accepted", "countered", "rejected", "withdrawn"
ATTENTION_LABELS = {ACCEPTED: "学校已接受建议日期", COUNTERED: "学校另提了日期", REJECTED: "学校未接受建议日期",
                    WITHDREW: "学校撤回了预约"}


@dataclass(frozen=True)
class Session:
    """A public lecture session with its live seat count."""

    id: int
    program_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    street: str
    audience: str
    capacity: int
    deadline: datetime
    status: str
    created_by: str
    seats_taken: int = 0
    waitlisted: int = 0

    @property
    def seats_left(self) -> int:
        """Free seats (never negative)."""
        return max(self.capacity - self.seats_taken, 0)

    @property
    def status_label(self) -> str:
        return SESSION_LABELS.get(self.status, self.status)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Session":
        return cls(
            id=row["id"], program_id=row["program_id"], title=row["title"],
            starts_at=from_db(row["starts_at"]), ends_at=from_db(row["ends_at"]), venue=row["venue"],
            street=row["street"], audience=row["audience"], capacity=row["capacity"],
            deadline=from_db(row["deadline"]), status=row["status"], created_by=row["created_by"],
            seats_taken=row.get("seats_taken") or 0, waitlisted=row.get("waitlisted") or 0,
        )


@dataclass(frozen=True)
class Registration:
    """One person's sign-up (possibly for several attendees) to a session."""

    id: int
    ref: str
    session_id: int
    user_key: str
    name: str
    phone: str
    role: str
    attendees: int
    status: str
    created_at: datetime
    cancelled_at: datetime | None = None
    promoted_at: datetime | None = None
    reminded_at: datetime | None = None
    guardian_name: str = ""
    guardian_phone: str = ""
    guardian_consent_at: datetime | None = None
    consent: str = ""                       # "" (not needed), pending, given, refused, expired
    consent_expires_at: datetime | None = None
    guardian_user_key: str = ""             # the account the guardian confirmed from
    consent_origin: str = ""                # digest of the child's client address while the hold waits
    consent_check: str = ""                 # "same_network": staff call the guardian back; "called_back": done
    cancel_reason: str = ""
    attended_at: datetime | None = None     # ticked or scanned as present on the day
    session: Session | None = field(default=None, compare=False)
    consent_code: str = field(default="", compare=False)  # only on the object sign_up/renew returns; never stored

    @property
    def awaiting_consent(self) -> bool:
        return self.consent == "pending" and self.status != CANCELLED

    @property
    def status_label(self) -> str:
        if self.status == WAITLISTED and self.awaiting_consent:
            return "候补中（待监护人确认）"
        return REGISTRATION_LABELS.get(self.status, self.status)

    @classmethod
    def from_row(cls, row: dict[str, Any], session: Session | None = None) -> "Registration":
        return cls(
            id=row["id"], ref=row["ref"], session_id=row["session_id"], user_key=row["user_key"],
            name=row["name"], phone=row["phone"], role=row["role"], attendees=row["attendees"],
            status=row["status"], created_at=from_db(row["created_at"]),
            cancelled_at=from_db(row["cancelled_at"]), promoted_at=from_db(row["promoted_at"]),
            reminded_at=from_db(row["reminded_at"]), guardian_name=row.get("guardian_name") or "",
            guardian_phone=row.get("guardian_phone") or "", guardian_consent_at=from_db(row.get("guardian_consent_at")),
            consent=row.get("consent") or "", consent_expires_at=from_db(row.get("consent_expires_at")),
            guardian_user_key=row.get("guardian_user_key") or "", consent_origin=row.get("consent_origin") or "",
            consent_check=row.get("consent_check") or "", cancel_reason=row.get("cancel_reason") or "",
            attended_at=from_db(row.get("attended_at")), session=session,
        )


@dataclass(frozen=True)
class BookingRequest:
    """What a school asks for; fields hold validated values (see validation.validate_field)."""

    school: str
    street: str
    address: str
    contact_name: str
    contact_role: str
    phone: str
    grades: str
    head_count: int
    program_id: str
    topics: tuple[str, ...] = ()
    preferred_dates: tuple[date, ...] = ()
    time_of_day: str = "上午"
    notes: str = ""
    email: str = ""


@dataclass(frozen=True)
class SchoolBooking:
    """A school's request plus the office's decision on it."""

    id: int
    ref: str
    user_key: str
    request: BookingRequest
    status: str
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision: str | None = None
    scheduled_date: date | None = None
    reason: str | None = None
    reminded_at: datetime | None = None
    scheduled_time: str | None = None   # 上午/下午/全天 or a clock time, when staff set one with the date
    attention: str | None = None        # a school's answer staff have not yet seen (ATTENTION_LABELS)
    school_note: str = ""               # what the school wrote with its counter-proposal or withdrawal

    @property
    def time_text(self) -> str:
        """The time of day the class is set for: staff's, else the school's wish."""
        return self.scheduled_time or self.request.time_of_day

    @property
    def attention_label(self) -> str:
        return ATTENTION_LABELS.get(self.attention or "", "")

    @property
    def decision_text(self) -> str:
        """Short Chinese summary of the decision, e.g. 已确认（2026年12月15日）."""
        if self.status in (APPROVED, PROPOSED) and self.scheduled_date:
            return f"{self.status}（{self.scheduled_date.year}年{self.scheduled_date.month}月{self.scheduled_date.day}日）"
        if self.status in (DECLINED, WITHDRAWN) and self.reason:
            return f"{self.status}（{self.reason}）"
        return self.status

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "SchoolBooking":
        request = BookingRequest(
            school=row["school"], street=row["street"], address=row["address"],
            contact_name=row["contact_name"], contact_role=row["contact_role"], phone=row["phone"],
            grades=row["grades"], head_count=row["head_count"], program_id=row["program_id"],
            topics=tuple(json.loads(row["topics"])),
            preferred_dates=tuple(date.fromisoformat(d) for d in json.loads(row["preferred_dates"])),
            time_of_day=row["time_of_day"], notes=row["notes"], email=row.get("email") or "",
        )
        return cls(
            id=row["id"], ref=row["ref"], user_key=row["user_key"], request=request, status=row["status"],
            created_at=from_db(row["created_at"]), decided_by=row["decided_by"],
            decided_at=from_db(row["decided_at"]), decision=row["decision"],
            scheduled_date=date.fromisoformat(row["scheduled_date"]) if row["scheduled_date"] else None,
            reason=row["reason"], reminded_at=from_db(row["reminded_at"]),
            scheduled_time=row.get("scheduled_time"), attention=row.get("attention"),
            school_note=row.get("school_note") or "",
        )


@dataclass(frozen=True)
class StaffAccount:
    """An office staff member who signs in to the web desk."""

    id: int
    name: str
    email: str
    created_at: datetime
    created_by: str
    has_password: bool
    failed: int = 0
    locked_until: datetime | None = None
    last_sign_in: datetime | None = None

    @property
    def actor(self) -> str:
        """How the audit table names this person's actions."""
        return f"staff:{self.name}"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "StaffAccount":
        return cls(id=row["id"], name=row["name"], email=row["email"], created_at=from_db(row["created_at"]),
                   created_by=row["created_by"], has_password=bool(row["password_hash"]),
                   failed=row["failed"], locked_until=from_db(row["locked_until"]),
                   last_sign_in=from_db(row["last_sign_in"]))


@dataclass(frozen=True)
class AuditEntry:
    """One recorded staff (or privacy) action."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "AuditEntry":
        return cls(id=row["id"], at=from_db(row["at"]), actor=row["actor"], action=row["action"],
                   target=row["target"], detail=json.loads(row["detail"] or "{}"))
