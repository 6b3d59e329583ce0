"""Form field checks: phones, dates, streets and the other school-form fields."""
from datetime import date

import pytest

from booking import Catalog, ValidationError, validate_field
from booking.dates import parse_dates, window
from booking.phones import normalize_phone

TODAY = date(2026, 11, 28)  # a Saturday
CATALOG = Catalog.default()

GOOD_PHONES = [
    ("13812345678", "+8613812345678"),
    ("+86 138 1234 5678", "+8613812345678"),
    ("138-1234-5678", "+8613812345678"),
    ("１３８１２３４５６７８", "+8613812345678"),
    ("021-12345678", "+862112345678"),
    ("(021) 6234 5678", "+862162345678"),
    ("12345678", "+862112345678"),
    ("62345678", "+862162345678"),
]
BAD_PHONES = ["", "12345", "1381234567", "138123456789", "abc", "010-62345678", "0755-12345678",
              "4008123123", "+1 650 253 0000"]


@pytest.mark.parametrize("raw,expected", GOOD_PHONES)
def test_good_phones_normalise_to_e164(raw, expected):
    assert validate_field("phone", raw, TODAY) == expected


@pytest.mark.parametrize("raw", BAD_PHONES)
def test_bad_phones_explain_in_chinese(raw):
    with pytest.raises(ValidationError) as err:
        normalize_phone(raw)
    assert "例如" in str(err.value) and err.value.field == "phone"


GOOD_DATES = [
    ("2026-12-15", [date(2026, 12, 15)]),
    ("2026/12/15", [date(2026, 12, 15)]),
    ("2026年12月15日", [date(2026, 12, 15)]),
    ("12月15日", [date(2026, 12, 15)]),
    ("12月15号", [date(2026, 12, 15)]),
    ("12/15", [date(2026, 12, 15)]),
    ("12-15", [date(2026, 12, 15)]),
    ("十二月十五日", [date(2026, 12, 15)]),
    ("3月1日", [date(2027, 3, 1)]),  # no year: the next future reading
    ("下下周三", [date(2026, 12, 9)]),
    ("12月15日、12/17，2026-12-18", [date(2026, 12, 15), date(2026, 12, 17), date(2026, 12, 18)]),
    ("12月15日 和 12月15日", [date(2026, 12, 15)]),
]


@pytest.mark.parametrize("raw,expected", GOOD_DATES)
def test_dates_as_people_write_them(raw, expected):
    assert list(validate_field("preferred_dates", raw, TODAY)) == expected


@pytest.mark.parametrize("raw,words", [
    ("2026-11-20", "已经过去"),
    ("11月20日", "已经过去"),
    ("12月1日", "至少提前7天"),
    ("下周三", "至少提前7天"),
    ("明天", "至少提前7天"),
    ("2027-07-01", "6个月"),
    ("2月30日", "不存在"),
    ("12月15日 上午", "无法识别"),
    ("hello", "请填写"),
    ("", "请填写1至3个"),
    ("12/15 12/16 12/17 12/18", "最多填写3个"),
])
def test_bad_dates_say_which_rule_failed(raw, words):
    with pytest.raises(ValidationError) as err:
        parse_dates(raw, TODAY)
    assert words in str(err.value)


def test_window_message_names_the_allowed_range():
    first, last = window(TODAY)
    assert (first, last) == (date(2026, 12, 5), date(2027, 5, 28))
    with pytest.raises(ValidationError) as err:
        parse_dates("12月1日", TODAY)
    assert "2026年12月5日" in str(err.value) and "2027年5月28日" in str(err.value)


@pytest.mark.parametrize("raw,expected", [
    ("川沙", "川沙新镇"), ("陆家嘴", "陆家嘴街道"), ("川沙新镇", "川沙新镇"), ("川沙镇", "川沙新镇"),
    ("浦东新区张江镇", "张江镇"), ("潍坊", "潍坊新村街道"), ("唐镇", "唐镇"), ("南码头", "南码头路街道"),
])
def test_streets_resolve_when_unambiguous(raw, expected):
    assert validate_field("street", raw, TODAY, CATALOG) == expected


@pytest.mark.parametrize("raw,words", [("高", "高桥镇、高行镇、高东镇"), ("徐家汇", "不是浦东新区"), ("", "请填写")])
def test_bad_streets_are_explained(raw, words):
    with pytest.raises(ValidationError) as err:
        validate_field("street", raw, TODAY, CATALOG)
    assert words in str(err.value)


def test_catalog_has_the_36_streets():
    assert len(CATALOG.streets) == 36 and len(set(CATALOG.streets)) == 36


def test_the_catalogue_comes_from_the_one_content_loader(tmp_content):
    from knowledge.content import load_content

    content = load_content(tmp_content)
    catalog = Catalog.load(tmp_content)
    assert list(catalog.programs.values()) == content.programs and list(catalog.streets) == content.streets


def test_a_broken_catalogue_names_file_line_and_entry(tmp_content):
    from runtime.yamlfile import ContentError

    path = tmp_content / "lectures.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("kind: public", "kind: open-to-all", 1), encoding="utf-8")
    with pytest.raises(ContentError) as err:
        Catalog.load(tmp_content)
    rows = text.splitlines()
    kind = rows.index("    kind: public")
    line = max(i for i in range(kind) if rows[i].lstrip().startswith("- id:")) + 1  # the entry's first line
    assert str(err.value).startswith(f"{path}:{line}: [") and "kind 只能是" in str(err.value)


@pytest.mark.parametrize("name,raw,expected", [
    ("school", "  上海市浦东新区 川沙小学 ", "上海市浦东新区 川沙小学"),
    ("head_count", "约120人", 120),
    ("head_count", "３００", 300),
    ("grades", "四年级", "四年级"),
    ("program_id", "kaijuan-youyi", "kaijuan-youyi"),
    ("program_id", "开卷有益", "kaijuan-youyi"),
    ("topics", "预防校园欺凌、网络安全与防沉迷", ("预防校园欺凌", "网络安全与防沉迷")),
    ("topics", "无", ()),
    ("time_of_day", "下午", "下午"),
    ("notes", "没有", ""),
    ("contact_name", "王丽", "王丽"),
])
def test_good_fields(name, raw, expected):
    assert validate_field(name, raw, TODAY, CATALOG) == expected


@pytest.mark.parametrize("name,raw", [
    ("school", "A"), ("school", "学" * 51), ("head_count", "0"), ("head_count", "2001"),
    ("head_count", "很多"), ("grades", ""), ("grades", "年" * 41), ("program_id", "family-education"),
    ("program_id", "不存在的课"), ("time_of_day", "晚上"), ("notes", "字" * 301), ("contact_name", "张3"),
    ("address", "川沙"),
])
def test_bad_fields_have_chinese_messages(name, raw):
    with pytest.raises(ValidationError) as err:
        validate_field(name, raw, TODAY, CATALOG)
    message = str(err.value)
    assert message and any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_unknown_field_is_a_programming_error():
    with pytest.raises(KeyError):
        validate_field("favourite_colour", "red", TODAY)
