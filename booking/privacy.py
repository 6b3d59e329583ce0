"""Privacy hooks: forget one user on request, and blank personal details of old records."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import aware, to_db, today
from .lectures import promote_waitlist
from .models import APPROVED, CANCELLED, PENDING, PROPOSED, WITHDRAWN, Registration
from .store import BookingStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Purged:
    """How many rows purge_past blanked."""

    registrations: int
    school_bookings: int


class Privacy:
    """Deletion on request (/deletemydata) and the retention sweep."""

    def __init__(self, store: BookingStore):
        self.store = store

    def forget_user(self, user_key: str, now: datetime) -> list[Registration]:
        """Cancel the user's future sign-ups and bookings, blank their details; returns promoted sign-ups."""
        now = aware(now)
        stamp = to_db(now)
        with self.store.write() as tx:
            future = tx.future_registrations_of_user(user_key, stamp)
            for reg in future:
                tx.update_registration(reg.id, {"status": CANCELLED, "cancelled_at": stamp,
                                                "cancel_reason": "forget_user"})
            promoted: list[Registration] = []
            for session_id in dict.fromkeys(reg.session_id for reg in future):
                promoted += promote_waitlist(tx, session_id, now)
            withdrawn, mine = [], tx.school_bookings(user_key=user_key)
            for booking in mine:
                upcoming = booking.status in (PENDING, PROPOSED) or (
                    booking.status == APPROVED and booking.scheduled_date and booking.scheduled_date >= today(now))
                if upcoming:
                    tx.update_school_booking(booking.ref, {"status": WITHDRAWN, "reason": "申请人已删除个人信息",
                                                           "updated_at": stamp})
                    withdrawn.append(booking.ref)
            blanked = tx.forget_registrations(user_key, stamp) + tx.forget_school_bookings(user_key, stamp)
            tx.scrub_audit_notes([booking.ref for booking in mine])  # notes the school and staff wrote
            tx.forget_guardian(user_key)  # the consents this person gave as a guardian no longer name their account
            tx.audit(stamp, "user", "forget_user", "-",
                     {"cancelled": len(future), "promoted": len(promoted), "withdrawn": withdrawn,
                      "blanked": blanked})
        self.store.db.checkpoint()  # the blanked details leave the write-ahead log too
        logger.info("forgot a user: %d sign-ups cancelled, %d promoted, %d bookings withdrawn",
                    len(future), len(promoted), len(withdrawn))
        return promoted

    def purge_past(self, now: datetime, days: int = 90) -> Purged:
        """Blank names, phones and user keys of sessions/bookings that ended more than `days` ago."""
        now = aware(now)
        cutoff = now - timedelta(days=days)
        stamp = to_db(now)
        with self.store.write() as tx:
            refs = tx.school_refs_to_purge(cutoff.date().isoformat())
            purged = Purged(tx.purge_registrations(to_db(cutoff), stamp),
                            tx.purge_school_bookings(cutoff.date().isoformat(), stamp))
            tx.scrub_audit_notes(refs)
            if purged.registrations or purged.school_bookings:
                tx.audit(stamp, "system", "purge_past", "-",
                         {"days": days, "registrations": purged.registrations,
                          "school_bookings": purged.school_bookings})
        self.store.db.checkpoint()
        return purged
