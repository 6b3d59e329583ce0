"""Masking of personal details (phone, ID-card and e-mail addresses) before text is stored or logged."""
from __future__ import annotations

import re

_PHONE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)|(?<!\d)0\d{2,3}[-\s]?\d{7,8}(?!\d)")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])|(?<!\d)\d{15}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_LONG_DIGITS = re.compile(r"\d{9,}")


def mask_personal(text: str) -> str:
    """Hide phone numbers, ID-card numbers, e-mail addresses and long digit runs before anything is stored."""
    text = _ID_CARD.sub("[身份证号]", text)
    text = _PHONE.sub("[电话]", text)
    text = _EMAIL.sub("[邮箱]", text)
    return _LONG_DIGITS.sub("[数字]", text)
