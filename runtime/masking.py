"""Masking of personal details (phone, ID-card and e-mail addresses, names people give) before text is stored
or logged.

Every pattern runs in time linear in the text: none can start a match in the middle of a run it would also match
from the run's start (a look-behind rules that out) and the quantifiers that could backtrack are possessive or
bounded, so a hostile 100,000-character message costs milliseconds. `mask_personal(text, limit)` cuts the text
first, without leaving half a number behind at the cut.
"""
from __future__ import annotations

import re

_PHONE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)|(?<!\d)0\d{2,3}[-\s]?\d{7,8}(?!\d)")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])|(?<!\d)\d{15}(?!\d)")
# local part from the start of its run only, possessive: a long run without "@" is read once, not once per letter
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++")
_LONG_DIGITS = re.compile(r"\d{9,}+")

# 「我叫欧阳翠花」「孩子名叫王小明」「姓名：李四」「我的名字是张三」: 2–4 Han characters after a self-introduction.
# Not 「我叫他别去」「叫什么」: words that follow 叫 but are not names are left alone.
_NAME_CUE = re.compile(
    r"(?:我|本人|孩子|小孩|儿子|女儿|孙子|孙女|学生|他|她)(?:的)?(?:名字|姓名)?(?:叫做|名叫|叫)(?=[\u4e00-\u9fff])"
    r"|(?:名字|姓名)(?:是|叫|为)?[:：]?\s{0,3}(?=[\u4e00-\u9fff])")
_NAME = re.compile(r"[\u4e00-\u9fff·]{2,4}")
_NOT_NAMES = tuple("他她它你我们什么谁啥哪这那不没别去来在要想说给让是的了也都就还很怎多有可到个一家学老同")
_CUT_DIGITS = "0123456789+- \t\u3000"              # what half a phone or ID-card number at a cut is made of
_CUT_EMAIL = re.compile(r"[\w.+-]*@[\w.-]*\Z")       # half an e-mail address at a cut


def mask_names(text: str) -> str:
    """Replace a name someone gives for themselves or their child with 「[姓名]」."""
    out, last = [], 0
    for cue in _NAME_CUE.finditer(text):
        if cue.start() < last:
            continue
        name = _NAME.match(text, cue.end())
        if name is None:
            continue
        if name.group()[0] in _NOT_NAMES:
            continue
        out.append(text[last:name.start()])
        out.append("[姓名]")
        last = name.end()
    out.append(text[last:])
    return "".join(out)


def mask_personal(text: str, limit: int | None = None) -> str:
    """Hide phone numbers, ID-card numbers, e-mail addresses, long digit runs and given names.

    With `limit`, only the first `limit` characters are kept (cut before masking, so the cost is bounded too;
    a number or address cut in two at the end is dropped rather than left half visible)."""
    if limit is not None and len(text) > limit:
        text = text[:limit].rstrip(_CUT_DIGITS)
        half = _CUT_EMAIL.search(text, max(0, len(text) - 80))
        if half:
            text = text[:half.start()]
    text = _ID_CARD.sub("[身份证号]", text)
    text = _PHONE.sub("[电话]", text)
    text = _EMAIL.sub("[邮箱]", text)
    text = _LONG_DIGITS.sub("[数字]", text)
    return mask_names(text)
