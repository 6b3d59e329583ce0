"""What every booking-side flow shares: state, wording, the booking desk, a clock and an outbox."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from booking import BookingDesk
from chat.outbox import Outbox
from chat.state import ChatState
from chat.texts import Texts
from chat.types import Reply

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_now() -> datetime:
    return datetime.now(SHANGHAI)


def when_text(start: datetime, end: datetime | None = None) -> str:
    """2026年12月15日 14:00–15:30, in Shanghai time."""
    start = start.astimezone(SHANGHAI)
    text = f"{start.year}年{start.month}月{start.day}日 {start:%H:%M}"
    return text + (f"–{end.astimezone(SHANGHAI):%H:%M}" if end else "")


@dataclass
class FlowContext:
    state: ChatState
    texts: Texts
    desk: BookingDesk
    clock: Callable[[], datetime] = shanghai_now
    admins: tuple[str, ...] = ()          # user keys of office staff, e.g. "tg:12345"
    retention_days: int = 90
    outbox: Outbox | None = None
    question_days: int = 180              # how long the (masked, anonymous) question log keeps a question

    def __post_init__(self) -> None:
        if self.outbox is None:
            self.outbox = Outbox(self.state)

    def now(self) -> datetime:
        return self.clock()

    def notify(self, user: str, reply: Reply, ref: str = "") -> None:
        """Queue a message for someone other than the current user; a channel delivers it later.

        Only the recipient's own details may be in it (it is deleted once delivered, and /forget reaches it);
        `ref` names the sign-up or booking it is about, for staff if it cannot be delivered."""
        self.outbox.put(user, reply, ref)

    def alert_staff(self, kind: str, ref: str) -> None:
        """Tell every staff member about a record; the message is rendered from the record when it is sent,
        so the school's contact details are never copied into the outbox."""
        for admin in self.admins:
            self.outbox.put_rendered_later(admin, kind, ref)
