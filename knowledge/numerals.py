"""Chinese numerals <-> integers, enough for article numbers, ages and times in statutes."""
from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUM_CHARS = "零〇一二两三四五六七八九十百千"
CN_NUMBER = f"[{_NUM_CHARS}]+"
_CN_RUN = re.compile(CN_NUMBER)


def cn_to_int(text: str) -> int | None:
    """Parse 七十五 / 一百三十二 / 二〇二一 / 75; None when it is not a number."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _NUM_CHARS for ch in text):
        return None
    if not any(ch in _UNITS for ch in text):  # digit-by-digit: 二〇二一
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
    return total + (digit or 0)


def int_to_cn(number: int) -> str:
    """Render 75 as 七十五, the way statutes number their articles."""
    if number == 0:
        return "零"
    names = "零一二三四五六七八九"
    parts, zero = [], False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // unit_value % 10
        if digit == 0:
            zero = bool(parts)
            continue
        if zero:
            parts.append("零")
            zero = False
        parts.append(names[digit] + unit)
    text = "".join(parts)
    return text[1:] if text.startswith("一十") else text


COUNTERS = set("岁周条时点日号月年元块米人个次天名级倍分小课项款章节万亿%")  # what follows a number
RANGE = set("至到或、-~")


def _is_number(text: str, run: re.Match) -> bool:
    """True for 十六 or 八周岁 or 三至七年, false for 一起 / 一律 / 零花钱, where the character is a word."""
    raw = run.group(0)
    if any(ch in _UNITS for ch in raw) or len(raw) > 1:
        return True
    after = text[run.end():run.end() + 2]
    return bool(after) and (after[0] in COUNTERS or (
        after[0] in RANGE and len(after) > 1 and (after[1] in _NUM_CHARS or after[1].isdigit())))


def arabize(text: str) -> str:
    """Replace Chinese numbers with Arabic digits (十六周岁 -> 16周岁), leaving words like 一起 alone."""
    def sub(match: re.Match) -> str:
        value = cn_to_int(match.group(0)) if _is_number(text, match) else None
        return str(value) if value is not None else match.group(0)
    return _CN_RUN.sub(sub, text)
