"""BookingDesk: the one object the bot keeps (bot_data["booking"]) and closes on shutdown."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .accounts import StaffAccounts
from .catalog import DEFAULT_CONTENT_DIR, Catalog
from .lectures import Lectures
from .limits import SignupLimits
from .models import Registration
from .privacy import Privacy, Purged
from .running import SessionRunning
from .schools import Schools
from .store import BookingStore


class BookingDesk:
    """Store, catalog and the services (lectures, running sessions, schools, privacy, staff accounts) over one
    SQLite file."""

    def __init__(self, db_path: Path | str, content_dir: Path | str = DEFAULT_CONTENT_DIR,
                 limits: SignupLimits | None = None):
        self.catalog = Catalog.load(content_dir)
        self.store = BookingStore(db_path)
        self.lectures = Lectures(self.store, self.catalog, limits)
        self.running = SessionRunning(self.store)
        self.schools = Schools(self.store, self.catalog)
        self.privacy = Privacy(self.store)
        self.accounts = StaffAccounts(self.store)

    def forget_user(self, user_key: str, now: datetime) -> list[Registration]:
        """See Privacy.forget_user."""
        return self.privacy.forget_user(user_key, now)

    def purge_past(self, now: datetime, days: int = 90) -> Purged:
        """See Privacy.purge_past."""
        return self.privacy.purge_past(now, days)

    def close(self) -> None:
        """Close the database connection."""
        self.store.close()
