"""Masking of personal details before text is stored or logged: phone (also in Chinese numerals), ID-card and
e-mail addresses, QQ and WeChat ids, names people give (「我叫…」「我是张伟」「名叫…」「我姓赵」, a child's name
after 孩子/女儿), named schools, classes and home addresses down to the flat (路/弄/号/室).

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
    r"|(?:名字|姓名)(?:是|叫|为)?[:：]?\s{0,3}(?=[\u4e00-\u9fff])"
    r"|(?:名叫|叫做|外号叫|绰号叫|同学叫|朋友叫|老师叫|班主任叫)(?=[\u4e00-\u9fff])")
_NAME = re.compile(r"[\u4e00-\u9fff·]{2,4}")
# common surnames (the 百家姓's frequent ones, and compounds); words like 和/于/明/常 that often follow 孩子 are left out
_COMPOUND_SURNAMES = "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐"
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
             "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴莫孔汤"
             "温康施牛樊葛邢乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕季"
             "裴霍涂苗谷盛曲翁冉骆蓝游辛靳管柴蒙鲍喻祁蒲房滕屈饶解牟艾尤穆农司卓缪简项芦麦褚娄"
             "窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬卞姬仇栾隋刁荣巫寇桑郎甄丛仲虞敖巩佘池邝")
_SURNAME = "(?:" + _COMPOUND_SURNAMES.replace(" ", "|") + "|[" + _SURNAMES + "])"
_NOT_GIVEN = "的了在是想要有被和与跟也都就还很会能可今昨现前后去来说问打骂把给让对从上下读念人生们师"
_GIVEN = "[^\\W\\d_a-zA-Z" + _NOT_GIVEN + "]"
_BOUNDARY = r"(?=[，,。.、\s（(：:；;！!？?]|[在今读上是的被和跟也都就还很会]|$)"
_SELF_NAMED = re.compile(r"(?:我是|本人是)(" + _SURNAME + _GIVEN + r"{1,2}?)" + _BOUNDARY)  # 「我是张伟，」
_CHILD_NAMED = re.compile(  # 「孩子王小明在…」「女儿李小红，」: a surname and a two-character given name
    r"(?:孩子|小孩|儿子|女儿|闺女|孙子|孙女|学生|同学)(" + _SURNAME + _GIVEN + r"{2})" + _BOUNDARY)
_FAMILY_NAME = re.compile(r"(?<!百)姓(" + _SURNAME + r")(?![名氏])")  # 「我姓赵」「一个姓王的老师」
_QQ = re.compile(r"(?i)(?<![a-z])(?:qq|扣扣|企鹅)(?:号码|号)?\s{0,2}[:：是为]?\s{0,2}\d{5,12}+")
_WECHAT = re.compile(r"(?i)(?:微信|薇信|威信|v信|vx|wx|weixin|wechat)(?:号码|号|id)?\s{0,2}[:：是为]?\s{0,2}"
                     r"(?<![a-z0-9])[a-z][-_a-z0-9]{5,19}+")
# classes: 「三年级二班」「初二（3）班」「高一3班」「5班」 (a number before 班: not 上班, 加班)
_CLASS = re.compile(r"(?:[一二三四五六七八九\d]年级|[初高][一二三]|预备)?\s?[（(]?[一二三四五六七八九十\d]{1,2}[)）]?班")
_SCHOOL = re.compile(r"小学|中学|幼儿园|附中|附小|学校")
_GENERIC_SCHOOLS = ("公办", "民办", "公立", "私立", "重点", "普通", "寄宿", "职业", "培训", "国际", "双语", "实验",
                    "新的", "原来", "现在")
_UNITS = re.compile(r"(?:[\d一二三四五六七八九十百零〇]{1,5}\s?(?:支弄|弄|号楼|号|栋|幢|座|单元|楼|层|室)){1,6}")
_UNIT = re.compile(r"支弄|弄|号楼|号|栋|幢|座|单元|楼|层|室")
_PLACE_END = "路街道村弄区镇苑园城坊墅寓湾里"  # what ends the name before a house number: 张杨路, 花木新村
_STOP = set("在上读去的了是和与我你他她们市这那个所家住到从近附里前后边旁有对面被孩子就于，,。 ")
_DIGITS = str.maketrans("〇零一幺二两三四五六七八九０１２３４５６７８９", "0011223456789" "0123456789")
_NOT_NAMES = tuple("他她它你我们什么谁啥哪这那不没别去来在要想说给让是的了也都就还很怎多有可到个一家学老同")
_CUT_DIGITS = "0123456789+- \t\u3000〇零一幺二两三四五六七八九０１２３４５６７８９"              # what half a phone or ID-card number at a cut is made of
_CUT_EMAIL = re.compile(r"[\w.+-]*@[\w.-]*\Z")       # half an e-mail address at a cut


def mask_names(text: str) -> str:
    """Replace a name someone gives for themselves or their child (or a surname: 「我姓赵」) with 「[姓名]」."""
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
    text = "".join(out)
    for pattern in (_SELF_NAMED, _CHILD_NAMED, _FAMILY_NAME):
        text = pattern.sub(lambda m: m.group()[:m.start(1) - m.start()] + "[姓名]", text)
    return text


def mask_personal(text: str, limit: int | None = None) -> str:
    """Hide phone numbers, ID-card numbers, e-mail addresses, QQ and WeChat ids, long digit runs (also written in
    Chinese numerals), given names, named schools, classes and home addresses.

    With `limit`, only the first `limit` characters are kept (cut before masking, so the cost is bounded too;
    a number or address cut in two at the end is dropped rather than left half visible)."""
    if limit is not None and len(text) > limit:
        text = text[:limit].rstrip(_CUT_DIGITS)
        half = _CUT_EMAIL.search(text, max(0, len(text) - 80))
        if half:
            text = text[:half.start()]
    text = _EMAIL.sub("[邮箱]", text)
    text = _QQ.sub("[QQ号]", text)
    text = _WECHAT.sub("[微信号]", text)
    for pattern, label in ((_ID_CARD, "[身份证号]"), (_PHONE, "[电话]"), (_LONG_DIGITS, "[数字]")):
        text = _sub_read(pattern, label, text)
    text = mask_places(text)
    return mask_names(text)


def mask_places(text: str) -> str:
    """Replace a named school, a class and a home address (a place name with house numbers, or two or more of
    弄/号/楼/室) with 「[学校]」「[班级]」「[地址]」."""
    text = _CLASS.sub("[班级]", text)
    text = _replace(text, _SCHOOL, _school_start, "[学校]")
    return _replace(text, _UNITS, _address_start, "[地址]")


def _sub_read(pattern: re.Pattern, label: str, text: str) -> str:
    """Replace what the pattern finds in the text as read with Chinese and full-width digits made ASCII
    (「一三八一二三四五六七八」 is a phone number); the translation keeps every position."""
    out, last = [], 0
    for match in pattern.finditer(text.translate(_DIGITS)):
        out += [text[last:match.start()], label]
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def _replace(text: str, pattern: re.Pattern, start_of, label: str) -> str:
    """Replace each match from where `start_of(text, match)` says it begins (None: leave it)."""
    out, last = [], 0
    for match in pattern.finditer(text):
        begin = start_of(text, match)
        if begin is None or begin < last:
            continue
        out += [text[last:begin], label]
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def _name_before(text: str, end: int, most: int) -> int:
    """Where the proper name ending at `end` begins: back over Han characters up to a particle or verb."""
    begin = end
    while begin > 0 and end - begin < most and "\u4e00" <= text[begin - 1] <= "\u9fff" and text[begin - 1] not in _STOP:
        begin -= 1
    return begin


def _school_start(text: str, match: re.Match) -> int | None:
    begin = _name_before(text, match.start(), 12)
    prefix = text[begin:match.start()]
    return begin if len(prefix) >= 2 and prefix not in _GENERIC_SCHOOLS else None


def _address_start(text: str, match: re.Match) -> int | None:
    if match.start() > 0 and text[match.start() - 1] in _PLACE_END:
        return _name_before(text, match.start(), 12)
    return match.start() if len(_UNIT.findall(match.group())) >= 2 else None
