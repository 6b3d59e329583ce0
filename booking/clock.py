"""Shanghai time helpers, so every stored instant uses one offset and compares as text."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def aware(moment: datetime) -> datetime:
    """Return the moment in Asia/Shanghai, refusing naive datetimes (a programming error)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware (Asia/Shanghai)")
    return moment.astimezone(SHANGHAI)


def to_db(moment: datetime) -> str:
    """Format an instant for storage: ISO 8601, seconds, always +08:00 (sortable as text)."""
    return aware(moment).replace(microsecond=0).isoformat()


def from_db(text: str | None) -> datetime | None:
    """Parse a stored instant back into an aware Shanghai datetime."""
    return datetime.fromisoformat(text).astimezone(SHANGHAI) if text else None


def now_or(now: datetime | None) -> datetime:
    """The given instant in Shanghai, or the current one when none is given."""
    return aware(now) if now is not None else datetime.now(SHANGHAI)


def today(now: datetime) -> date:
    """The calendar date in Shanghai at this instant."""
    return aware(now).date()


def human(moment: datetime) -> str:
    """Chinese display form, e.g. 12月15日 14:00."""
    moment = aware(moment)
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def human_date(day: date) -> str:
    """Chinese display form of a date, e.g. 2026年12月15日."""
    return f"{day.year}年{day.month}月{day.day}日"
