"""What every booking-side flow shares: state, wording, the booking desk, a clock and an outbox."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from booking import BookingDesk
from chat.outbox import Outbox
from chat.state import ChatState
from chat.texts import Texts
from chat.types import Reply
from runtime.ratelimit import PerUserAndPlace

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
    wechat_name: str = ""                 # WECHAT_ACCOUNT_NAME: the 公众号 a guardian can type the code into
    # links into this bot that channels register (name -> URL template with {payload}), e.g.
    # {"Telegram": "https://t.me/pufa_bot?start={payload}", "网页": "https://pufa.example.cn/?start={payload}"}
    links: dict[str, str] = field(default_factory=dict)
    signups: PerUserAndPlace = field(default_factory=lambda: PerUserAndPlace(0, 0, 3600.0))  # sign-ups per hour
    mail: bool = False                    # e-mail is on (SMTP set): copies also go to "mail:<address>"
    outbox: Outbox | None = None
    question_days: int = 180              # how long the (masked, anonymous) question log keeps a question
    checkin_url: str = ""                 # the desk's check-in page with {ref}, for the QR code on a confirmation

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

    def mail_to(self, address: str, reply: Reply, ref: str = "") -> None:
        """Queue an e-mail (text and attachment; buttons cannot be pressed in a mail) when e-mail is on."""
        if self.mail and address:
            self.notify(MAIL + address, Reply(reply.text, attachment=reply.attachment), ref)

    def tell_staff(self, reply: Reply, ref: str = "") -> None:
        """Alert the office: Telegram admins, and by e-mail every staff account with an address."""
        for admin in self.admins:
            self.notify(admin, reply, ref)
        if self.mail:
            for address in self.desk.accounts.emails():
                self.mail_to(address, reply, ref)

    def alert_staff(self, kind: str, ref: str) -> None:
        """Like tell_staff, for a message about a record that holds someone's details (a new booking): it is
        rendered from the record when it is sent, so the contact details are never copied into the outbox."""
        recipients = list(self.admins)
        if self.mail:
            recipients += [MAIL + address for address in self.desk.accounts.emails() if address]
        for user in recipients:
            self.outbox.put_rendered_later(user, kind, ref)

    def tell_school(self, booking, reply: Reply) -> None:
        """Tell the school that booked, where it booked and at the e-mail address it gave."""
        self.notify(booking.user_key, reply, booking.ref)
        self.mail_to(booking.request.email, reply, booking.ref)
