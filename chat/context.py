"""What every booking-side flow shares: state, wording, the booking desk, a clock and an outbox."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from booking import BookingDesk
from chat.state import ChatState
from chat.texts import Texts
from chat.types import Reply, reply_to_json
from runtime.ratelimit import SlidingWindow

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAIL = "mail:"  # outbox recipients that are e-mail addresses ("mail:zhang@school.sh.cn")


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
    # links into this bot that channels register (name -> URL template with {payload}), e.g.
    # {"Telegram": "https://t.me/pufa_bot?start={payload}", "网页": "https://pufa.example.cn/?start={payload}"}
    links: dict[str, str] = field(default_factory=dict)
    signups: SlidingWindow = field(default_factory=lambda: SlidingWindow(0))  # sign-up submissions per hour
    mail: bool = False                    # e-mail is on (SMTP set): copies also go to "mail:<address>"

    def now(self) -> datetime:
        return self.clock()

    def notify(self, user: str, reply: Reply) -> None:
        """Queue a message for someone other than the current user; a channel delivers it later."""
        self.state.enqueue(user, reply_to_json(reply))

    def mail_to(self, address: str, reply: Reply) -> None:
        """Queue an e-mail (text and attachment; buttons cannot be pressed in a mail) when e-mail is on."""
        if self.mail and address:
            self.notify(MAIL + address, Reply(reply.text, attachment=reply.attachment))

    def tell_staff(self, reply: Reply) -> None:
        """Alert the office: Telegram admins, and by e-mail every staff account with an address."""
        for admin in self.admins:
            self.notify(admin, reply)
        if self.mail:
            for address in self.desk.accounts.emails():
                self.mail_to(address, reply)

    def tell_school(self, booking, reply: Reply) -> None:
        """Tell the school that booked, where it booked and at the e-mail address it gave."""
        self.notify(booking.user_key, reply)
        self.mail_to(booking.request.email, reply)
