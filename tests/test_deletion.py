"""Deletion that really deletes: after /forget or the retention purge a person's name and phone number are in no
byte of any data file (databases, -wal and -shm, backups made after), and every file the service makes is private."""
from __future__ import annotations

import argparse
import os
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from chat.admin_cli import add_arguments, run_admin
from chat.types import Event
from runtime.masking import mask_personal
from runtime.settings import REPO
from tests.chat_fixtures import (ADMIN, NOW, SCHOOL_ANSWERS, book_school, make_assistant, new_session, say, sign_up,
                                 take_outbox)

NAME, PHONE = "欧阳翠花", "13987654321"          # the person who asks to be forgotten
SCHOOL_CONTACT = SCHOOL_ANSWERS[3]                 # 张老师, the contact book_school types
OTHER_NAME, OTHER_PHONE = "司马光明", "13711112222"  # someone who stays


def raw_files(folder: Path) -> dict[Path, bytes]:
    """Every file under the folder, byte for byte (databases, their -wal and -shm, backups, exports)."""
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def holding(folder: Path, *needles: str) -> list[str]:
    """Files that contain any of the strings, in UTF-8 or UTF-16 (SQLite may store either)."""
    found = []
    for path, content in raw_files(folder).items():
        for needle in needles:
            if needle.encode() in content or needle.encode("utf-16-le") in content:
                found.append(f"{path.name}: {needle}")
    return found


def peek_outbox(bot) -> list:
    """What waits in the outbox, rendered, without taking it."""
    messages = bot.outbox.claim("", limit=1000)
    for message in messages:
        bot.outbox.release(message)
    return [(m.user, m.reply) for m in messages]


def backup(bot, data: Path, target: Path) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert run_admin(bot, parser.parse_args(["backup", str(target)]), data) == 0


def test_forget_leaves_no_byte_of_a_name_or_phone_in_any_file(engine, tmp_path, capsys):
    data = tmp_path / "data"
    bot = make_assistant(engine, data)
    new_session(bot, capacity=5)
    sign_up(bot, "tg:3", name=NAME, phone=PHONE)
    sign_up(bot, "tg:4", name=OTHER_NAME, phone=OTHER_PHONE)
    book_school(bot, user="tg:3")                       # a staff alert is queued for the booking
    say(bot, ADMIN, button="adm:propose:PD-2026-0001")
    say(bot, ADMIN, text="12月23日")
    say(bot, "tg:3", button="sch:counter:PD-2026-0001")  # the school answers with its own date and a note …
    say(bot, "tg:3", text=f"12月29日，请联系{NAME} {PHONE}")  # … which staff are told about
    assert NAME in " ".join(r.text for _, r in peek_outbox(bot))
    say(bot, "tg:3", text=f"我叫{NAME}，电话{PHONE}，孩子在学校被欺负怎么办")
    say(bot, "tg:3", command="book")                     # a form left half-way, holding the name again
    say(bot, "tg:3", button="sch:new")
    for answer in SCHOOL_ANSWERS[:3] + [NAME]:
        say(bot, "tg:3", text=answer)
    backup(bot, data, tmp_path / "before")               # a backup from before the deletion holds it, of course
    assert holding(tmp_path / "before", NAME, PHONE)

    say(bot, "tg:3", button="privacy:forget")
    backup(bot, data, data / "backups" / "after")         # … a backup made after must not
    assert holding(data, NAME, PHONE, SCHOOL_CONTACT) == []
    assert holding(data, OTHER_NAME, OTHER_PHONE)        # the other person is still there (the test can see data)
    assert (data / "chat.sqlite-wal").stat().st_size == 0 and (data / "bookings.sqlite-wal").stat().st_size == 0
    for db in (bot.state.db, bot.desk.store.db):           # freed pages and cells are overwritten with zeros
        assert db.conn.execute("PRAGMA secure_delete").fetchone() == {"secure_delete": 1}
    assert take_outbox(bot) == []                          # the alert about the withdrawn booking is not sent
    bot.close()
    assert holding(data, NAME, PHONE, SCHOOL_CONTACT) == []


def test_the_retention_purge_leaves_no_byte_behind(engine, tmp_path):
    data = tmp_path / "data"
    clock = [NOW]
    bot = make_assistant(engine, data, clock=lambda: clock[0])
    session = new_session(bot, capacity=5, starts=NOW + timedelta(days=8))
    sign_up(bot, "tg:3", name=NAME, phone=PHONE)
    book_school(bot, user="tg:5")
    take_outbox(bot)
    say(bot, "tg:5", text=f"我的名字叫{NAME}，请问孩子被欺负怎么办")
    with bot.state.db.write() as conn:                   # the question was asked long ago
        conn.execute("UPDATE questions SET asked_at = ?", [time.time() - 400 * 86400])
    clock[0] = session.ends_at + timedelta(days=400)     # long after the session and the booking's dates
    done = bot.purge()
    assert done["registrations"] == 1 and done["school_bookings"] == 1 and done["questions"] == 1
    backup(bot, data, data / "backups" / "after")
    assert holding(data, NAME, PHONE, SCHOOL_CONTACT) == []
    bot.close()


def test_question_log_masks_names_people_give(bot):
    for text in [f"我叫{NAME}，孩子被打了", f"我的名字是{NAME}", f"姓名：{NAME}", f"我儿子叫{NAME}在学校被欺负"]:
        say(bot, "tg:1", text=text)
    with bot.state.db.read() as conn:
        stored = [r["text"] for r in conn.execute("SELECT text FROM questions")]
    assert stored and not any(NAME in text for text in stored)
    assert all("[姓名]" in text for text in stored)
    assert mask_personal("我叫他别去学校") == "我叫他别去学校"    # 叫 that is not a name stays


def test_masking_is_linear_in_the_length_of_the_text():
    for text in ["a" * 100_000, "a@" * 50_000, "a." * 50_000 + "@", "1" * 100_000, "我叫" * 50_000,
                 "x@y" + ".z" * 50_000, "孩子" * 50_000]:
        started = time.perf_counter()
        mask_personal(text)
        mask_personal(text, 500)
        assert time.perf_counter() - started < 0.5, text[:10]
    assert mask_personal("x" * 495 + "138123456789999", 505) == "x" * 495  # no half number at the cut


def test_session_ids_used_as_user_keys_by_older_code_leave_the_databases(tmp_path):
    raw = "A" * 32
    path = tmp_path / "chat.sqlite"
    with sqlite3.connect(path) as conn:                   # a file from before: the session id itself as user key
        conn.execute("CREATE TABLE states (user TEXT PRIMARY KEY, flow TEXT, step TEXT, data TEXT, updated REAL)")
        conn.execute("INSERT INTO states VALUES (?, 'lec', 'name', '{}', 0)", [f"web:{raw}"])
    from chat.state import ChatState

    state = ChatState(path)
    with state.db.read() as conn:
        [user] = [r["user"] for r in conn.execute("SELECT user FROM states")]
    assert user.startswith("web:old-") and raw not in user
    state.close()
    assert raw.encode() not in path.read_bytes()


def test_every_file_and_folder_the_service_makes_is_private(kb_settings, tmp_path):
    """The real command line (which sets the umask at start-up): databases, their -wal/-shm, exports, backups."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("kb.sqlite", "kb.manifest.json"):
        (data / name).write_bytes((kb_settings.data_dir / name).read_bytes())
    env = {**os.environ, "KB_DATA_DIR": str(data)}
    script = ("import os, sys; os.umask(0o022); sys.argv = ['bot.py', 'admin', sys.argv[1]]; import bot; "
              "sys.exit(bot.main(sys.argv[1:]))")
    for action in ("export", "backup"):
        result = subprocess.run([sys.executable, "-c", script, action], capture_output=True, text=True, cwd=REPO,
                                env=env, timeout=120)
        assert result.returncode == 0, result.stderr
    made = [data] + [p for p in data.rglob("*") if p.name not in ("kb.sqlite", "kb.manifest.json")]  # the folder
    #   itself was made 0755 before the service ran: it is tightened too
    assert any(p.name.endswith("-shm") for p in made) or any(p.name.endswith(".sqlite") for p in made)
    for path in made:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.relative_to(data)} is {oct(mode)}"
