"""Dates as people type them (2026-12-15, 12月15日, 12/15, 下周三) and the booking window rules."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from .clock import human_date
from .errors import ValidationError

MIN_DAYS_AHEAD = 7
MAX_MONTHS_AHEAD = 6
MAX_PREFERRED = 3
WEEKDAYS = "一二三四五六日"
_EXAMPLE = "例如：2026-12-15、12月15日 或 12/15"

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_FULL = re.compile(r"(\d{4})\s*[-/.年]\s*" + _NUM + r"\s*[-/.月]\s*" + _NUM + r"\s*[日号]?")
_SHORT = re.compile(_NUM + r"\s*[-/.月]\s*" + _NUM + r"\s*[日号]?")
_WEEKDAY = re.compile(r"(本|这|下下|下)?个?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_RELATIVE = re.compile(r"大后天|后天|明天|今天")
_SEPARATORS = re.compile(r"^[\s,，、;；和或及/]*$")


def add_months(day: date, months: int) -> date:
    """Same day N months later, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def window(today: date) -> tuple[date, date]:
    """First and last date a school may ask for (7 days to 6 months ahead)."""
    return today + timedelta(days=MIN_DAYS_AHEAD), add_months(today, MAX_MONTHS_AHEAD)


def label(day: date) -> str:
    """2026年12月15日（周二）."""
    return f"{human_date(day)}（周{WEEKDAYS[day.weekday()]}）"


def check_window(day: date, today: date, shown: str | None = None) -> date:
    """Refuse past dates and dates outside the booking window, naming the rule and the range."""
    first, last = window(today)
    span = f"请选择 {human_date(first)} 至 {human_date(last)} 之间的日期"
    shown = shown or label(day)
    if day < today:
        raise ValidationError(f"「{shown}」已经过去了，{span}。", "preferred_dates")
    if day < first:
        raise ValidationError(f"需至少提前{MIN_DAYS_AHEAD}天预约，「{shown}」太近了，{span}。", "preferred_dates")
    if day > last:
        raise ValidationError(f"最多只能预约{MAX_MONTHS_AHEAD}个月以内的日期，「{shown}」太远了，{span}。",
                              "preferred_dates")
    return day


def _scan(raw: str, today: date) -> tuple[list[tuple[date, str]], str, str]:
    """(dates found in order with the words they came from, the text, the text with those words blanked)."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    found: list[tuple[int, date, str]] = []
    taken = [False] * len(text)
    for pattern, build in ((_FULL, _full), (_SHORT, _short), (_WEEKDAY, _weekday), (_RELATIVE, _relative)):
        for match in pattern.finditer(text):
            if any(taken[match.start():match.end()]):
                continue
            taken[match.start():match.end()] = [True] * (match.end() - match.start())
            day = build(match, today)
            shown = match.group(0) if pattern in (_FULL, _SHORT) else f"{match.group(0)}，即{label(day)}"
            found.append((match.start(), day, shown))
    blanked = "".join(" " if used else ch for ch, used in zip(text, taken))
    return [(day, shown) for _, day, shown in sorted(found, key=lambda item: item[0])], text, blanked


def read_dates(raw: str, today: date) -> list[tuple[date, str]]:
    """Find every date in the text, in order, with the words it came from (no window check)."""
    found, _, blanked = _scan(raw, today)
    if not found:
        raise ValidationError(f"请填写日期，{_EXAMPLE}。", "preferred_dates")
    if not _SEPARATORS.match(blanked):
        raise ValidationError(f"无法识别日期中的「{blanked.strip(' ,，、;；')}」，{_EXAMPLE}。", "preferred_dates")
    return found


def find_dates(raw: str, today: date) -> list[tuple[date, str]]:
    """The dates in a sentence that also says other things (「12月23号下午吧，16和18号讲师都排满了」)."""
    return _scan(raw, today)[0]


_PERIOD = r"(上午|早上|早晨|中午|下午|傍晚|晚上)"
_CLOCK = re.compile(_PERIOD + r"?\s*" + _NUM + r"\s*(?:[:：]\s*(\d{2})|点\s*(半|\d{1,2}\s*分?)?|时)")
_TIMES_OF_DAY = {"上午": "上午", "早上": "上午", "早晨": "上午", "中午": "下午", "下午": "下午", "傍晚": "下午",
                 "晚上": "下午", "全天": "全天", "一天": "全天"}


def time_of_day_in(raw: str) -> str | None:
    """上午/下午/全天 when the text names a part of the day (早上 counts as 上午, 中午 and 晚上 as 下午)."""
    text = unicodedata.normalize("NFKC", raw or "")
    hits = [(text.find(word), value) for word, value in _TIMES_OF_DAY.items() if word in text]
    return min(hits)[1] if hits else None


def read_datetime(raw: str, today: date) -> tuple[date, int, int]:
    """A date and a clock time as people write them: 「12月19日下午2点」「2026-12-20 14:00」「下周三上午9点半」."""
    found, text, blanked = _scan(raw, today)
    if len(found) != 1:
        raise ValidationError("请写一个日期和时间，例如：12月19日下午2点 或 2026-12-19 14:00。", "datetime")
    match = _CLOCK.search(blanked)
    if match is None:
        raise ValidationError("请写上几点，例如：12月19日下午2点 或 2026-12-19 14:00。", "datetime")
    period, hour = match.group(1), _number(match.group(2))
    minute_text = match.group(3) or match.group(4) or ""
    minute = 30 if minute_text == "半" else int(re.sub(r"\D", "", minute_text) or 0)
    if period in ("下午", "傍晚", "晚上") and hour < 12 or period == "中午" and hour < 11:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValidationError(f"时间「{match.group(0).strip()}」不存在，例如：下午2点 或 14:00。", "datetime")
    return found[0][0], hour, minute


def parse_dates(raw: str, today: date, limit: int = MAX_PREFERRED) -> list[date]:
    """Parse 1..limit preferred dates in the user's order and check each against the booking window."""
    if not (raw or "").strip():
        raise ValidationError(f"请填写1至{limit}个意向日期，{_EXAMPLE}。", "preferred_dates")
    days: list[date] = []
    for day, shown in read_dates(raw, today):
        check_window(day, today, shown)
        if day not in days:
            days.append(day)
    if len(days) > limit:
        raise ValidationError(f"最多填写{limit}个意向日期，请删去{len(days) - limit}个。", "preferred_dates")
    return days


def _number(text: str) -> int:
    """'12' or '十二' → 12."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(text, 0)


def _make(year: int, month: int, day: int, shown: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValidationError(f"日期「{shown}」不存在，请检查月份和日期，{_EXAMPLE}。", "preferred_dates") from None


def _full(match: re.Match, today: date) -> date:
    return _make(int(match.group(1)), _number(match.group(2)), _number(match.group(3)), match.group(0))


def _short(match: re.Match, today: date) -> date:
    """A month/day without a year: the reading (this year or next) nearest to today, future on ties."""
    month, day, shown = _number(match.group(1)), _number(match.group(2)), match.group(0)
    readings = []
    for year in (today.year, today.year + 1):
        try:
            readings.append(date(year, month, day))
        except ValueError:
            continue
    if not readings:
        _make(today.year, month, day, shown)  # raises the "does not exist" message
    return min(readings, key=lambda d: (abs((d - today).days), d < today))


def _weekday(match: re.Match, today: date) -> date:
    which, name = match.group(1), match.group(2)
    weekday = 6 if name in "天日" else int(name) - 1 if name.isdigit() else WEEKDAYS.index(name)
    monday = today - timedelta(days=today.weekday())
    if which in ("本", "这"):
        return monday + timedelta(days=weekday)
    if which == "下":
        return monday + timedelta(days=7 + weekday)
    if which == "下下":
        return monday + timedelta(days=14 + weekday)
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def _relative(match: re.Match, today: date) -> date:
    return today + timedelta(days={"今天": 0, "明天": 1, "后天": 2, "大后天": 3}[match.group(0)])
