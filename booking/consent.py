"""Guardian consent for children under 14: the rule, the hold's lifetime, and the one-time codes.

个人信息保护法 第三十一条 and 未成年人保护法 第七十二条 require a parent's or other guardian's consent before the
personal information of a child under 14 is processed. A sign-up for such a child therefore only *holds* a seat
(for CONSENT_HOURS) until a guardian confirms it from their own account or device with a one-time code the child
passes on; a refusal or an expired hold cancels the sign-up, blanks what the child typed and frees the seat.
Only a digest of each code is stored.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .errors import BookingError, ValidationError

CONSENT_AGE = 14                    # under this age a guardian must consent
CONSENT_HOURS = 48                  # how long a seat is held for the guardian's answer
PENDING, GIVEN, REFUSED, EXPIRED = "pending", "given", "refused", "expired"
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read out and type
CODE_LENGTH = 8                                     # 31^8 ≈ 8.5e11 codes
_TYPED_CODE = re.compile(r"^\s*(?:监护人)?(?:确认码|确认|同意)?[\s:：]*([A-Za-z2-9][A-Za-z0-9 \-]{7,12})\s*$")


def new_code() -> str:
    """A fresh one-time code for a guardian, e.g. K7QM4MZP."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """The code in what someone typed or a link carried ("k7qm-4mzp", "确认码 K7QM4MZP"), or None."""
    match = _TYPED_CODE.match(text or "")
    if not match:
        return None
    code = re.sub(r"[\s\-]", "", match.group(1)).upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def code_digest(code: str) -> str:
    """What is stored instead of the code (the code is random, so a plain hash cannot be reversed)."""
    return hashlib.sha256(("guardian-consent:" + code.upper()).encode()).hexdigest()


def student_age(raw: object, today: date) -> int:
    """A student's age from "12", "12岁" or a birth year "2014"/"2014年". With only a birth year the lower bound is
    taken (born in 2012 is 13 until the birthday in 2026), so a child is never counted older than they may be."""
    text = re.sub(r"\s+", "", str(raw if raw is not None else ""))
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    year = re.fullmatch(r"(\d{4})年?(?:出生|生)?", text)
    if year:
        born = int(year.group(1))
        if not today.year - 25 <= born <= today.year - 3:
            raise ValidationError(f"出生年份请填写 {today.year - 25}–{today.year - 3} 之间的年份，例如：2014。", "age")
        return today.year - born - 1
    age = re.fullmatch(r"(?:今年)?(\d{1,2})(?:周岁|岁半|岁)?", text)
    if not age:
        raise ValidationError("请填写学生的年龄（周岁，例如：12）或出生年份（例如：2014）。", "age")
    value = int(age.group(1))
    if not 3 <= value <= 25:
        raise ValidationError("学生年龄请填写 3–25 之间的周岁数，例如：12。", "age")
    return value


def needs_consent(role: str, age: int | None) -> bool:
    """True when a guardian must consent: a student under CONSENT_AGE (a student of unknown age counts as one)."""
    return role == "学生" and (age is None or age < CONSENT_AGE)


# ---- what a guardian's answer can prove ---------------------------------------------------------------------
SAME_NETWORK, CALLED_BACK = "same_network", "called_back"  # consent_check: staff call the guardian / have called


@dataclass(frozen=True)
class Guardian:
    """Who answers a consent request: the account, how long it has existed where the channel can tell (a browser
    session; None for a WeChat OpenID or Telegram id) and the client address (web page; "" elsewhere)."""

    key: str
    account_age: float | None = None
    origin: str = ""


def origin_digest(origin: str) -> str:
    """What a hold keeps of the child's client address: enough to recognise it, kept only until the answer."""
    return hashlib.sha256(("hold-origin:" + origin).encode()).hexdigest() if origin else ""


def guardian_check(child_key: str, hold_origin: str, held_at: datetime, guardian_key: str,
                   account_age: float | None, origin: str, now: datetime) -> str:
    """Whether this account may answer for the guardian, and what its answer proves.

    Refused (BookingError): the child's own account, and a browser session begun after the hold (a private tab
    is a new session). A WeChat OpenID or Telegram id (`account_age` None) is an account tied to a phone number
    that a child cannot make in a second. An answer from the hold's own client address is taken but returns
    SAME_NETWORK: staff call the guardian's phone back before the session; otherwise ''."""
    if guardian_key == child_key:
        raise BookingError("需要监护人用自己的手机或账号确认：报名的这个账号不能替监护人确认。"
                           "请把确认码交给爸爸妈妈或其他监护人。")
    if account_age is not None and now - timedelta(seconds=account_age) >= held_at:
        raise BookingError("为了确认是监护人本人，请用孩子报名之前就在用的账号确认：在本助手的微信公众号或 Telegram "
                           "里发送确认码，或用您自己此前打开过本网页的浏览器。刚打开的新网页（例如无痕窗口）"
                           "不能替监护人确认。")
    return SAME_NETWORK if hold_origin and origin_digest(origin) == hold_origin else ""
