"""Hostile input: no exception escapes, every input gets a reply, nothing is written that should not be."""
import random
import sqlite3

import pytest

from chat.types import Event
from tests.chat_fixtures import make_assistant, new_session

SEED = 20261128
FRAGMENTS = ["<script>alert(1)</script>", "<b>粗体</b>", "'; DROP TABLE registrations; --", "\" OR 1=1 --",
             "%s%s%n", "{0}{name}", "${jndi:ldap://x}", "../../etc/passwd", "\x00\x01\x1b[31m", "\u202e反转",
             "\u200b\u200c\u200d\ufeff", "🙂👨‍👩‍👧‍👦🏳️‍🌈", "ｆｕｌｌ－ｗｉｄｔｈ", "未保法第99999999999条", "第〇条",
             "2026-13-45", "12月32日", "2月30日", "昨天", "0000-00-00", "+86 000 0000 0000", "1381234567",
             "138123456789", "021-123", "abc", "-1", "0", "9" * 40, "1e9", "NaN", "/start lec_99999",
             "/law 未保法 0", "上海条例第0条", "未保法第75条" * 50, "孩子" * 5000]


def hostile_inputs(count: int) -> list[str]:
    rng = random.Random(SEED)
    inputs = list(FRAGMENTS)
    while len(inputs) < count:
        kind = rng.randrange(5)
        if kind == 0:    # random code points from all planes, including unassigned ones and surrogates' neighbours
            inputs.append("".join(chr(rng.choice([rng.randrange(0x20, 0x2FFF), rng.randrange(0x4E00, 0x9FFF),
                                                  rng.randrange(0x1F300, 0x1FAFF), rng.randrange(0xE000, 0xFFFD)]))
                                  for _ in range(rng.randrange(1, 60))))
        elif kind == 1:  # control and zero-width characters mixed into a real question
            noise = "".join(rng.choice("\u0000\u0007\u0008\u001b\u200b\u200d\u2060\ufeff\r\t") for _ in range(8))
            inputs.append(noise.join("孩子在学校被欺负怎么办"))
        elif kind == 2:  # very long messages
            inputs.append(rng.choice(["啊", "未成年人", "<i>", "'"]) * rng.randrange(2000, 10001))
        elif kind == 3:  # fragments glued together
            inputs.append("".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(2, 6))))
        else:            # malformed dates and phones
            inputs.append(rng.choice([f"{rng.randrange(0, 99999)}-{rng.randrange(0, 99)}-{rng.randrange(0, 99)}",
                                      f"{rng.randrange(0, 20)}月{rng.randrange(0, 40)}日",
                                      str(rng.randrange(10 ** 5, 10 ** 14)), f"+{rng.randrange(1, 999)} {rng.random()}"]))
    return inputs[:count]


def test_engine_answers_every_hostile_input(engine):
    for text in hostile_inputs(1000):
        answer = engine.answer(text)
        assert answer.answer.strip(), repr(text[:50])
        assert isinstance(answer.as_json()["matches"], list)


@pytest.mark.parametrize("flow_start,field_button", [("lec", None), ("sch", None)])
def test_every_form_field_survives_hostile_input(engine, tmp_path, flow_start, field_button):
    bot = make_assistant(engine, tmp_path)
    session = new_session(bot)
    user = "tg:66"
    start = f"privacy:agree:lec:join:{session.id}" if flow_start == "lec" else "privacy:agree:sch:new"
    bot.handle(Event(user=user, button=start))
    flow = bot.flows[flow_start]
    inputs = hostile_inputs(600)
    fields_seen = set()
    for index, text in enumerate(inputs):
        current = bot.state.get(user)
        if current is None or current[1] == "review":
            bot.handle(Event(user=user, command="cancel"))
            bot.handle(Event(user=user, button=start))
            current = bot.state.get(user)
        fields_seen.add(current[1])
        replies = bot.handle(Event(user=user, text=text))
        assert replies and all(r.text.strip() for r in replies), repr(text[:50])
        if index % 7 == 0:  # and hostile button data on the same form
            assert bot.handle(Event(user=user, button=f"{flow_start}:pick:{current[1]}:{text[:20]}"))
    assert len(fields_seen) >= 2 or flow is None
    bot.close()
    with sqlite3.connect(tmp_path / "bookings.sqlite") as conn:
        assert conn.execute("select count(*) from registrations").fetchone() == (0,)
        assert conn.execute("select count(*) from school_bookings").fetchone() == (0,)


def test_hostile_questions_are_stored_masked_and_bounded(engine, tmp_path):
    bot = make_assistant(engine, tmp_path)
    for text in hostile_inputs(300):
        assert bot.handle(Event(user="tg:1", text=text))
    bot.close()
    with sqlite3.connect(tmp_path / "chat.sqlite") as conn:
        rows = [r[0] for r in conn.execute("select text from questions")]
    assert len(rows) == 300
    assert all(len(text) <= 500 for text in rows)
    assert not any(any(ch.isdigit() for ch in text) and "9999999999" in text for text in rows)


def test_hostile_button_data_never_escapes(engine, tmp_path):
    """Forged or stale callback data (any prefix, any suffix) gets a reply, for staff and for everyone else."""
    bot = make_assistant(engine, tmp_path)
    new_session(bot)
    rng = random.Random(SEED)
    prefixes = ["menu", "art", "faq", "fb", "law", "top", "lec", "sch", "ses", "adm", "privacy", "nope", ""]
    parts = ["", "0", "1", "-1", "999999", "abc", "p2", "c0", "a9", "JZ-2026-0001", "PD-2026-0001", "x" * 30,
             "pick", "edit", "ok", "cancel", "skip", "view", "join", "drop", "dropok", "approve", "propose",
             "decline", "att", "close", "seen", "1-99999", "agree", "forget", "subto", "accept", "reject"]
    for n in range(600):
        data = ":".join([rng.choice(prefixes)] + [rng.choice(parts) for _ in range(rng.randrange(0, 4))])[:64]
        replies = bot.handle(Event(user=f"tg:{n % 3}", button=data, is_admin=n % 2 == 0))
        assert replies and all(r.text.strip() or r.attachment for r in replies), data
    bot.close()


def test_hostile_commands_never_escape(engine, tmp_path):
    """Every command with odd arguments, for staff and others, in private and in groups, gets a reply."""
    bot = make_assistant(engine, tmp_path)
    rng = random.Random(SEED + 1)
    commands = [c.command for c in bot.texts.commands] + ["unknown", "start", "law"]
    args = ["", "lec_", "lec_abc", "lec_99999", "book_x", "0", "-5", "99999999999", "未保法", "<b>", "'", "第", "😀"]
    for n in range(400):
        text = "/" + rng.choice(commands) + " " + " ".join(rng.choice(args) for _ in range(rng.randrange(0, 3)))
        event = Event.parse_text(f"tg:{n % 4}", text, is_admin=n % 3 == 0, public=n % 5 == 0)
        replies = bot.handle(event)
        assert replies and all(r.text.strip() or r.attachment for r in replies), text
    bot.close()


def test_staff_forms_survive_hostile_input(engine, tmp_path):
    """The session form and the propose/decline answers refuse bad input with a reply and write nothing wrong."""
    bot = make_assistant(engine, tmp_path)
    staff = "tg:9"
    for index, text in enumerate(hostile_inputs(300)):
        current = bot.state.get(staff)
        if current is None or current[1] == "review":
            bot.handle(Event(user=staff, command="cancel", is_admin=True))
            start = "adm:new" if index % 2 else f"adm:{'propose' if index % 4 == 1 else 'decline'}:PD-2026-0001"
            bot.handle(Event(user=staff, button=start, is_admin=True))
        replies = bot.handle(Event(user=staff, text=text, is_admin=True))
        assert replies and all(r.text.strip() for r in replies), repr(text[:50])
    bot.close()
    with sqlite3.connect(tmp_path / "bookings.sqlite") as conn:
        assert conn.execute("select count(*) from sessions").fetchone() == (0,)
