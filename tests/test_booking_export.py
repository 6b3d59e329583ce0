"""CSV exports: BOM, CRLF, quoting, and the formula-injection guard."""
import csv
import io
from dataclasses import replace
from datetime import date, datetime

from booking import BookingRequest, Registration, SchoolBooking, registrations_csv, school_bookings_csv
from booking.clock import SHANGHAI
from booking.export import safe_cell

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
REQUEST = BookingRequest(
    school="=HYPERLINK(\"http://evil\",\"点我\")", street="川沙新镇", address="浦东新区川沙路100号, 2号楼",
    contact_name="王丽", contact_role="+管理员", phone="+862112345678", grades="-初一", head_count=120,
    program_id="kaijuan-youyi", topics=("预防校园欺凌", "自我保护"), preferred_dates=(date(2026, 12, 15),),
    notes="@SUM(1+1)\n第二行，含\"引号\"")
BOOKING = SchoolBooking(id=1, ref="PD-2026-0001", user_key="tg:1", request=REQUEST, status="待审核", created_at=NOW)


def read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_bom_crlf_and_round_trip():
    data = school_bookings_csv([BOOKING])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.endswith(b"\r\n") and data.split(b"\n")[0].endswith(b"\r")  # header and row end in CRLF
    assert b'"@SUM(1+1)\n' not in data and b"\"'@SUM(1+1)\n" in data  # quoted multi-line cell, guarded
    header, row = read(data)
    assert header[0] == "预约编号" and row[0] == "PD-2026-0001"
    cells = dict(zip(header, row))
    assert cells["地址"] == "浦东新区川沙路100号, 2号楼"
    assert cells["电话"] == "021 1234 5678"
    assert cells["主题"] == "预防校园欺凌、自我保护"
    assert cells["课程"] == "法治副校长示范课「开卷有益」"


def test_formula_injection_is_neutralised():
    header, row = read(school_bookings_csv([BOOKING]))
    cells = dict(zip(header, row))
    assert cells["学校"] == "'=HYPERLINK(\"http://evil\",\"点我\")"
    assert cells["职务"] == "'+管理员"
    assert cells["年级"] == "'-初一"
    assert cells["备注"] == "'@SUM(1+1)\n第二行，含\"引号\""
    assert safe_cell("\t=1") == "'\t=1" and safe_cell(-5) == -5 and safe_cell("正常") == "正常"


def test_registrations_export():
    reg = Registration(id=1, ref="JZ-2026-0001", session_id=1, user_key="u", name="-王丽", phone="+8613812345678",
                       role="家长", attendees=2, status="waitlisted", created_at=NOW)
    header, row, second = read(registrations_csv([reg, replace(reg, ref="JZ-2026-0002", status="confirmed")]))
    cells = dict(zip(header, row))
    assert cells["姓名"] == "'-王丽" and cells["电话"] == "138 1234 5678"
    assert cells["状态"] == "候补中" and cells["人数"] == "2" and cells["报名时间"] == "2026-11-28 10:00"
    assert second[0] == "JZ-2026-0002" and second[header.index("状态")] == "已确认"
