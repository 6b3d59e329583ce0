"""Chat state is stored the way bookings are (runtime.database): private file, WAL, recorded migrations, and
databases written by older code are brought forward without losing anything."""
import os
import sqlite3
import stat

import pytest

from chat.state import MIGRATIONS, ChatState

# The schema as the code before recorded migrations created it: first without the outbox and the topic column,
# later with both (and an ad-hoc ALTER for files in between).
FIRST = """
create table if not exists states (user text primary key, flow text, step text, data text, updated real);
create table if not exists questions (id integer primary key, asked_at real, text text, answered integer,
    status text, top_kind text, top_id text, confidence real, reviewed integer default 0);
create table if not exists feedback (question_id integer, vote integer, at real, primary key (question_id));
create table if not exists settings (user text, key text, value text, primary key (user, key));
"""
LAST = """
create table if not exists states (user text primary key, flow text, step text, data text, updated real);
create table if not exists questions (id integer primary key, asked_at real, text text, answered integer,
    status text, top_kind text, top_id text, confidence real, reviewed integer default 0, topic text);
create table if not exists feedback (question_id integer, vote integer, at real, primary key (question_id));
create table if not exists settings (user text, key text, value text, primary key (user, key));
create table if not exists outbox (id integer primary key, user text, reply text, created real, delivered real);
"""


def old_database(path, schema):
    with sqlite3.connect(path) as conn:
        conn.executescript(schema)
        conn.execute("insert into states values ('tg:1', 'lec', 'phone', '{\"name\": \"王五\"}', 0)")
        conn.execute("insert into questions (asked_at, text, answered, status, top_kind, top_id, confidence) "
                     "values (1e9, '孩子被欺负怎么办', 1, 'answered', 'faq', 'school-bullying', 0.9)")
        conn.execute("insert into feedback values (1, 1, 1e9)")
        conn.execute("insert into settings values ('tg:1', 'consent', '2026-11-28T10:00:00')")
        if "outbox" in schema:  # one message delivered (kept by the old code), one still waiting
            conn.execute("""insert into outbox (user, reply, created, delivered) values
                ('tg:5', '{"text": "已送达", "buttons": []}', 1e9, 1e9 + 1),
                ('tg:6', '{"text": "等待发送", "buttons": []}', 1e9, null),
                ('tg:9', '{"text": "【新的学校预约 PD-2026-0007】\\n联系人：张老师 13812345678", "buttons": []}', 1e9, null)""")
    os.chmod(path, 0o644)


@pytest.mark.parametrize("schema", [FIRST, LAST], ids=["first", "last"])
def test_a_database_from_the_old_code_migrates_forward(tmp_path, schema):
    path = tmp_path / "chat.sqlite"
    old_database(path, schema)
    state = ChatState(path)
    assert state.db.applied_migrations() == [name for name, _ in MIGRATIONS]
    assert state.get("tg:1") == ("lec", "phone", {"name": "王五"})
    assert state.setting("tg:1", "consent") == "2026-11-28T10:00:00"
    assert state.stats(0)["total"] == 1 and state.stats(0)["up"] == 1
    new = state.log_question("监护权是什么", True, "answered", "faq", "x", 0.8, topic="家庭保护")
    assert state.vote(new, -1)
    state.enqueue("tg:2", {"text": "有空位了", "buttons": []})
    queued = state.claim("tg:", 10, now=2e9, lease=60, token="t")
    expected = ([("tg:6", "等待发送")] if schema is LAST else []) + [("tg:2", "有空位了")]
    assert [(q.user, q.reply.get("text")) for q in queued if q.user != "tg:9"] == expected  # delivered rows are gone
    if schema is LAST:  # a waiting staff alert keeps only its booking's reference
        [alert] = [q.reply for q in queued if q.user == "tg:9"]
        assert alert == {"render": "staff_booking", "ref": "PD-2026-0007"}
        assert b"13812345678" not in path.read_bytes()
    state.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "chat.sqlite"
    ChatState(path).close()
    state = ChatState(path)
    assert state.db.applied_migrations() == [name for name, _ in MIGRATIONS]
    with state.db.read() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()["journal_mode"] == "wal"
        assert "topic" in {r["name"] for r in conn.execute("PRAGMA table_info(questions)")}
    state.close()


def test_flow_state_reads_by_name_and_by_position(tmp_path):
    state = ChatState(tmp_path / "chat.sqlite")
    state.put("web:1", "sch", "street", {"school": "川沙小学"})
    current = state.get("web:1")
    assert (current.flow, current.step, current.data) == ("sch", "street", {"school": "川沙小学"})
    assert current[1] == "street"
    state.forget("web:1")
    assert state.get("web:1") is None
    state.close()
