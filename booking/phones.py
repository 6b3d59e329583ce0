"""Phone numbers: mainland mobiles or Shanghai (021) landlines, stored as E.164."""
from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from .errors import ValidationError

_EXAMPLE = "例如：13812345678 或 021-12345678"
_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_phone(raw: str, field: str = "phone") -> str:
    """Validate a mobile or Shanghai landline and return it as E.164 (+8613812345678)."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    compact = re.sub(r"[\s\-()（）.]", "", text)
    if not compact:
        raise ValidationError(f"请填写联系电话，{_EXAMPLE}。", field)
    if not re.fullmatch(r"\+?\d+", compact):
        raise ValidationError(f"电话号码只能包含数字，{_EXAMPLE}。", field)
    if not 8 <= len(compact.lstrip("+")) <= 15:
        raise ValidationError(f"电话号码位数不对：手机号为11位，上海座机为8位（可加区号021），{_EXAMPLE}。", field)
    if re.fullmatch(r"\d{8}", compact):
        compact = "021" + compact  # an 8-digit Shanghai local number
    try:
        number = phonenumbers.parse(compact, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(f"无法识别这个电话号码，{_EXAMPLE}。", field) from None
    if number.country_code != 86:
        raise ValidationError(f"请填写中国大陆的手机号或上海座机号，{_EXAMPLE}。", field)
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"电话号码位数或号段不对，请核对后重新填写，{_EXAMPLE}。", field)
    kind = phonenumbers.number_type(number)
    national = str(number.national_number)
    if kind in _MOBILE:
        pass
    elif kind == PhoneNumberType.FIXED_LINE:
        if not national.startswith("21"):
            raise ValidationError(f"座机请填写上海本地号码（区号021），或改填手机号，{_EXAMPLE}。", field)
    else:
        raise ValidationError(f"请填写手机号或上海座机号（不支持400/800等号码），{_EXAMPLE}。", field)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """National display form (138 1234 5678 / 021 1234 5678); blank stays blank."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "CN"), PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def masked_phone(e164: str) -> str:
    """For a sheet others may read: the first and last digits only (139 **** 5678 / 021 **** 1234)."""
    shown = display_phone(e164)
    groups = shown.split(" ")
    if len(groups) != 3:
        return shown[:3] + " **** " + shown[-4:] if len(shown) > 7 else "****"
    return f"{groups[0]} {'*' * len(groups[1])} {groups[2]}"
