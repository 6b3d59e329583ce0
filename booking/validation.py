"""Field-by-field checks for the school form and the lecture sign-up, with Chinese messages."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import fields, replace
from datetime import date
from typing import Any, Callable

from .catalog import Catalog
from .dates import parse_dates
from .errors import ValidationError
from .models import ROLES, TIMES_OF_DAY, BookingRequest
from .phones import normalize_phone

MAX_HEAD_COUNT = 2000
MAX_TOPICS = 5
_LIST_SPLIT = re.compile(r"[,，、;；/\n]+")
_NOTHING = {"", "无", "没有", "暂无", "不需要", "-", "/"}


# Full-width digits, letters and the ideographic space become ASCII; full-width punctuation (，？：) stays as typed.
_FOLD = {**{0xFF10 + i: 0x30 + i for i in range(10)}, **{0xFF21 + i: 0x41 + i for i in range(26)},
         **{0xFF41 + i: 0x61 + i for i in range(26)}, 0x3000: 0x20}


def fold(raw: Any) -> str:
    """Full-width digits and letters as ASCII, keeping what else people typed (「，」「？」 stay)."""
    return str(raw if raw is not None else "").translate(_FOLD)


def clean(raw: Any) -> str:
    """Fold full-width digits and letters and collapse whitespace."""
    return re.sub(r"\s+", " ", fold(raw)).strip()


def _length(name: str, text: str, low: int, high: int, what: str, example: str) -> str:
    if not low <= len(text) <= high:
        if not text:
            raise ValidationError(f"请填写{what}，例如：{example}。", name)
        raise ValidationError(f"{what}应为{low}至{high}个字（现在是{len(text)}个字），例如：{example}。", name)
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ValidationError(f"{what}含有无法识别的字符，请重新输入，例如：{example}。", name)
    return text


def person_name(raw: str, field: str = "name") -> str:
    """A person's name: 1–30 characters, no digits."""
    text = _length(field, clean(raw), 1, 30, "姓名", "张老师 或 王丽")
    if re.search(r"\d|[@#$%^&*=<>{}\[\]|\\]", text):
        raise ValidationError("姓名中不能含有数字或特殊符号，请填写真实姓名，例如：王丽。", field)
    return text


def check_role(raw: str) -> str:
    """家长/学生/教师/其他 (老师 accepted for 教师)."""
    text = clean(raw).replace("老师", "教师")
    if text not in ROLES:
        raise ValidationError(f"身份请选择：{'、'.join(ROLES)}。", "role")
    return text


def attendee_count(raw: Any) -> int:
    """Number of people in one sign-up, 1–10."""
    count = _integer(raw, "attendees", "报名人数", "2")
    if not 1 <= count <= 10:
        raise ValidationError("每次报名人数须为1至10人，例如：2。超过10人请分批报名或联系主办方。", "attendees")
    return count


def _integer(raw: Any, field: str, what: str, example: str) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = re.sub(r"^(约|大约|共)|(人|名|位|左右|个)+$", "", clean(raw).replace(" ", ""))
    if not text.isdecimal() or len(text) > 9:  # what int() reads; more digits than any count needs
        raise ValidationError(f"{what}请填写数字，例如：{example}。", field)
    return int(text)


def _school(raw: str, catalog: Catalog, today: date) -> str:
    return _length("school", clean(raw), 2, 50, "学校名称", "上海市浦东新区某某小学")


def _street(raw: str, catalog: Catalog, today: date) -> str:
    return catalog.resolve_street(raw)


def _address(raw: str, catalog: Catalog, today: date) -> str:
    return _length("address", clean(raw), 4, 100, "学校地址", "浦东新区川沙路100号")


def _contact_name(raw: str, catalog: Catalog, today: date) -> str:
    return person_name(raw, "contact_name")


def _contact_role(raw: str, catalog: Catalog, today: date) -> str:
    return _length("contact_role", clean(raw), 1, 20, "联系人职务", "德育主任、班主任")


def _phone(raw: str, catalog: Catalog, today: date) -> str:
    return normalize_phone(raw)


def _grades(raw: str, catalog: Catalog, today: date) -> str:
    return _length("grades", clean(raw), 1, 40, "年级", "四年级 或 初一至初二")


def _head_count(raw: str, catalog: Catalog, today: date) -> int:
    count = _integer(raw, "head_count", "听课人数", "120")
    if not 1 <= count <= MAX_HEAD_COUNT:
        raise ValidationError(f"听课人数须在1至{MAX_HEAD_COUNT}人之间，例如：120。", "head_count")
    return count


def _program_id(raw: str, catalog: Catalog, today: date) -> str:
    text = clean(raw)
    for program in catalog.school_programs():
        if text in (program.id, program.title) or (len(text) >= 2 and text in program.title):
            return program.id
    names = "、".join(p.title for p in catalog.school_programs()[:3])
    public = catalog.program(text)
    if public is not None:
        raise ValidationError(f"「{public.title}」是公开讲座，请通过讲座报名参加；学校可预约的课程例如：{names}。",
                              "program_id")
    raise ValidationError(f"请从可预约的进校园课程中选择，例如：{names}。", "program_id")


def _topics(raw: Any, catalog: Catalog, today: date) -> tuple[str, ...]:
    items = raw if isinstance(raw, (list, tuple)) else _LIST_SPLIT.split(clean(raw))
    topics = tuple(dict.fromkeys(t for t in (clean(i) for i in items) if t and t not in _NOTHING and t != "不限"))
    if len(topics) > MAX_TOPICS:
        raise ValidationError(f"最多选择{MAX_TOPICS}个主题，例如：预防校园欺凌、网络安全与防沉迷。", "topics")
    for topic in topics:
        _length("topics", topic, 1, 30, "每个主题", "预防校园欺凌")
    return topics


def _preferred_dates(raw: Any, catalog: Catalog, today: date) -> tuple[date, ...]:
    if isinstance(raw, (list, tuple)):
        raw = " ".join(d.isoformat() if isinstance(d, date) else str(d) for d in raw)
    return tuple(parse_dates(str(raw), today))


def _time_of_day(raw: str, catalog: Catalog, today: date) -> str:
    text = clean(raw).replace("早上", "上午").replace("中午", "下午")
    for choice in TIMES_OF_DAY:
        if text.startswith(choice) or text == choice[0]:
            return choice
    raise ValidationError(f"时间段请选择：{'、'.join(TIMES_OF_DAY)}。", "time_of_day")


def _notes(raw: str, catalog: Catalog, today: date) -> str:
    """Free text over several lines; like every other field no control, format (bidi override, zero-width),
    private-use or unassigned characters."""
    text = fold(raw or "").replace("\r\n", "\n").replace("\t", " ").strip()
    if text in _NOTHING:
        return ""
    if len(text) > 300:
        raise ValidationError(f"备注最多300字（现在是{len(text)}字），请精简后再发送。", "notes")
    if any(ch != "\n" and unicodedata.category(ch).startswith("C") for ch in text):
        raise ValidationError("备注含有无法识别的字符，请重新输入，例如：需要投影仪。", "notes")
    return text


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}")


def email_address(raw: Any, field: str = "email") -> str:
    """An e-mail address (optional: empty or 无 means none), e.g. zhang@school.sh.cn."""
    text = clean(raw).replace("＠", "@").replace("。", ".")
    if text in _NOTHING:
        return ""
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise ValidationError("邮箱地址格式不对，请重新输入，例如：zhang@school.sh.cn；不需要邮件通知可点「跳过」。", field)
    return text.lower()


def _email(raw: Any, catalog: Catalog, today: date) -> str:
    return email_address(raw)


VALIDATORS: dict[str, Callable[[Any, Catalog, date], Any]] = {
    "school": _school, "street": _street, "address": _address, "contact_name": _contact_name,
    "contact_role": _contact_role, "phone": _phone, "grades": _grades, "head_count": _head_count,
    "program_id": _program_id, "topics": _topics, "preferred_dates": _preferred_dates,
    "time_of_day": _time_of_day, "notes": _notes, "email": _email,
}
assert set(VALIDATORS) == {f.name for f in fields(BookingRequest)}


def validate_field(name: str, raw_text: Any, today: date, catalog: Catalog | None = None) -> Any:
    """Check one school-form answer and return the normalised value, or raise ValidationError."""
    if name not in VALIDATORS:
        raise KeyError(f"unknown booking field {name!r}")
    return VALIDATORS[name](raw_text, catalog or Catalog.default(), today)


def validate_request(request: BookingRequest, today: date, catalog: Catalog | None = None) -> BookingRequest:
    """Re-check every field of a filled form (dates against today) and return the normalised request."""
    values = {f.name: validate_field(f.name, getattr(request, f.name), today, catalog) for f in fields(request)}
    return replace(request, **values)
