"""`python bot.py admin …` drives the same staff flows from the command line."""
import argparse
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from chat.admin_cli import add_arguments, run_admin
from chat.outbox import Outcome
from chat.types import Event
from runtime.settings import REPO
from tests.chat_fixtures import book_school, new_session, sign_up, take_outbox


def admin(data_dir, *args):
    env = {**os.environ, "KB_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "bot.py", "admin", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=120)


def test_create_list_export_and_backup(engine, kb_settings, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("kb.sqlite", "kb.manifest.json"):
        (data / name).write_bytes((kb_settings.data_dir / name).read_bytes())
    created = admin(data, "session-create", "--program", "family-education", "--start", "2026-12-20 14:00",
                    "--minutes", "90", "--venue", "浦东图书馆", "--street", "花木", "--audience", "家长",
                    "--capacity", "30", "--deadline", "2026-12-19 18:00")
    assert created.returncode == 0, created.stderr
    assert "/start lec_1" in created.stdout
    listed = admin(data, "sessions")
    assert "家庭教育指导讲座" in listed.stdout and "0/30" in listed.stdout
    exported = admin(data, "export", "--out", str(tmp_path / "out"))
    assert exported.returncode == 0 and (tmp_path / "out").is_dir()
    assert all(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in (tmp_path / "out").glob("*.csv"))
    backed = admin(data, "backup", str(tmp_path / "bk"))
    assert backed.returncode == 0
    copy = tmp_path / "bk" / "bookings.sqlite"
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert conn.execute("select count(*) from sessions").fetchone() == (1,)


def test_bad_input_is_explained(engine, kb_settings, tmp_path):
    result = admin(kb_settings.data_dir, "session-create", "--program", "nope")
    assert result.returncode == 1 and "可以用的项目编号" in result.stderr and "family-education" in result.stderr
    result = admin(kb_settings.data_dir, "approve", "PD-2026-0999")
    assert result.returncode == 1 and "未找到" in result.stderr


def run(bot, tmp_path, *argv):
    """`python bot.py admin ARGV` in this process, against the test's assistant."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return run_admin(bot, parser.parse_args([*argv, "--out", str(tmp_path / "out")]), tmp_path)


def test_session_create_reports_every_problem_at_once(bot, tmp_path, capsys):
    code = run(bot, tmp_path, "session-create", "--program", "nope", "--start", "2026-12-20 14:00",
               "--minutes", "5", "--venue", "浦东图书馆", "--street", "花木", "--audience", "家长",
               "--capacity", "0", "--deadline", "2026-12-19 18:00")
    err = capsys.readouterr().err
    assert code == 1 and "可以用的项目编号：family-education" in err
    assert "时长" in err and "名额" in err  # all three problems, not only the first


def test_school_only_programmes_get_no_public_session(bot, tmp_path, capsys):
    code = run(bot, tmp_path, "session-create", "--program", "kaijuan-youyi", "--start", "2026-12-20 14:00",
               "--minutes", "90", "--venue", "浦东图书馆", "--street", "花木", "--audience", "家长",
               "--capacity", "30", "--deadline", "2026-12-19 18:00")
    assert code == 1 and "供学校预约" in capsys.readouterr().err
    assert bot.desk.lectures.upcoming_sessions(bot.ctx.now()) == []


def test_cancelling_from_the_command_line_tells_everyone_signed_up(bot, tmp_path, capsys):
    session = new_session(bot)
    sign_up(bot, "tg:1")
    assert run(bot, tmp_path, "cancel", str(session.id)) == 0
    assert "已取消" in capsys.readouterr().out
    told = take_outbox(bot)
    assert [user for user, _ in told] == ["tg:1"] and session.title in told[0][1].text


def test_decisions_from_the_command_line_reach_the_school(bot, tmp_path, capsys):
    book_school(bot)
    take_outbox(bot)
    assert run(bot, tmp_path, "propose", "PD-2026-0001", "12月23日") == 0
    [(user, proposal)] = take_outbox(bot)
    assert user == "tg:3" and "sch:accept:PD-2026-0001" in [b.data for row in proposal.buttons for b in row]
    assert "PD-2026-0001" in capsys.readouterr().out


def test_the_whole_loop_from_the_command_line_and_a_second_decision_fails(bot, tmp_path, capsys):
    book_school(bot)
    take_outbox(bot)
    assert run(bot, tmp_path, "approve", "PD-2026-0001", "12月22日") == 0
    assert bot.desk.schools.get("PD-2026-0001").scheduled_date.isoformat() == "2026-12-22"  # the second wish
    capsys.readouterr()
    assert run(bot, tmp_path, "decline", "PD-2026-0001", "讲师已满") == 1
    assert "已经处理过" in capsys.readouterr().err


def test_pending_shows_every_open_status(bot, tmp_path, capsys):
    from chat.types import Event

    book_school(bot)
    assert run(bot, tmp_path, "propose", "PD-2026-0001", "12月23号下午吧，16和18号讲师都排满了") == 0
    booking = bot.desk.schools.get("PD-2026-0001")
    assert booking.status == "已改期待确认" and booking.time_text == "下午" and "讲师都排满了" in booking.reason
    capsys.readouterr()
    assert run(bot, tmp_path, "pending") == 0
    assert "PD-2026-0001" in capsys.readouterr().out  # waiting for the school: still on the list
    bot.handle(Event(user="tg:3", button="sch:accept:PD-2026-0001"))
    assert run(bot, tmp_path, "pending") == 0
    assert "学校已接受建议日期" in capsys.readouterr().out  # the school's answer, until staff have seen it
    assert run(bot, tmp_path, "ack", "PD-2026-0001") == 0
    capsys.readouterr()
    run(bot, tmp_path, "pending")
    assert "没有待办" in capsys.readouterr().out


def test_staff_accounts_from_the_command_line(bot, tmp_path, capsys):
    assert run(bot, tmp_path, "staff-add", "王丽", "--email", "wangli@example.cn") == 0
    out = capsys.readouterr().out
    assert "/staff/setup?key=" in out and "24 小时" in out
    key = out.split("key=")[1].split()[0]
    bot.desk.accounts.set_password(key, "a long passphrase", bot.ctx.now())
    assert run(bot, tmp_path, "staff-add", "王丽") == 1
    capsys.readouterr()
    assert run(bot, tmp_path, "staff-list") == 0
    assert "王丽" in (listed := capsys.readouterr().out) and "wangli@example.cn" in listed and "已设密码" in listed
    token, _ = bot.desk.accounts.open_session(bot.desk.accounts.sign_in("王丽", "a long passphrase", bot.ctx.now()),
                                              bot.ctx.now())
    assert run(bot, tmp_path, "staff-reset", "王丽") == 0
    assert bot.desk.accounts.session(token, bot.ctx.now()) is None  # a reset signs the person out
    assert run(bot, tmp_path, "staff-remove", "王丽") == 0
    assert bot.desk.accounts.all() == []
    assert run(bot, tmp_path, "staff-remove", "王丽") == 1
    actions = [e.action for e in bot.desk.store.audit_log(target="staff:王丽")]
    assert {"staff_add", "staff_reset", "staff_remove"} <= set(actions)


def test_a_staff_link_uses_web_public_url_or_says_it_needs_it(bot, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WEB_PUBLIC_URL", raising=False)
    assert run(bot, tmp_path, "staff-add", "李娜") == 0
    assert "没有设置 WEB_PUBLIC_URL" in capsys.readouterr().out
    monkeypatch.setenv("WEB_PUBLIC_URL", "https://pufa.example.cn/")
    assert run(bot, tmp_path, "staff-reset", "李娜") == 0
    out = capsys.readouterr().out
    assert "https://pufa.example.cn/staff/setup?key=" in out and "WEB_PUBLIC_URL" not in out


# ---- refusals exit non-zero with a clear message, never a traceback --------------------------------------------

def test_a_second_decision_exits_non_zero(bot, tmp_path, capsys):
    book_school(bot)
    assert run(bot, tmp_path, "approve", "PD-2026-0001") == 0
    for again in (["approve", "PD-2026-0001"], ["decline", "PD-2026-0001", "没有场地"],
                  ["propose", "PD-2026-0001", "12月23日"]):
        capsys.readouterr()
        assert run(bot, tmp_path, *again) == 1, again
        assert "已经处理过了" in capsys.readouterr().err


@pytest.mark.parametrize("arg", ["abc", "-1", "0", "99999999999999999999", "１２", "²"])
def test_session_numbers_are_checked(bot, tmp_path, capsys, arg):
    new_session(bot)
    for action in ("attendees", "close", "cancel"):
        assert run(bot, tmp_path, action, arg) == 1
        err = capsys.readouterr().err
        assert "场次" in err and "Traceback" not in err


def test_unwritable_export_and_backup_folders_are_refused_before_saying_done(bot, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    for argv in (["export", "--out", "/dev/null/x"], ["backup", "/proc/x"], ["attendees", "1", "--out", "/proc/x"]):
        new_session(bot)
        assert run_admin(bot, parser.parse_args(argv), tmp_path) == 1, argv
        out, err = capsys.readouterr()
        assert "已导出" not in out and "已保存" not in out and "已备份" not in out
        assert "无法写入" in err


def test_exports_and_backups_go_to_the_data_folder_by_default_and_are_private(bot, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    data = tmp_path / "data"
    assert run_admin(bot, parser.parse_args(["export"]), data) == 0
    assert run_admin(bot, parser.parse_args(["backup"]), data) == 0
    out = capsys.readouterr().out
    assert not list(tmp_path.glob("*.csv"))                       # nothing lands silently in the current folder
    exports = list((data / "exports").glob("*.csv"))
    assert len(exports) == 2 and all(str(p.resolve()) in out for p in exports)
    [backups] = list((data / "backups").iterdir())
    for path in [*exports, *backups.iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((data / "exports").stat().st_mode) == 0o700


def test_purge_uses_the_configured_retention(engine, kb_settings, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("kb.sqlite", "kb.manifest.json"):
        (data / name).write_bytes((kb_settings.data_dir / name).read_bytes())
    env = {**os.environ, "KB_DATA_DIR": str(data), "DATA_RETENTION_DAYS": "7", "QUESTION_RETENTION_DAYS": "30"}
    result = subprocess.run([sys.executable, "bot.py", "admin", "purge"], capture_output=True, text=True, cwd=REPO,
                            env=env, timeout=120)
    assert result.returncode == 0 and "个人信息 7 天" in result.stdout and "提问记录 30 天" in result.stdout


def test_outbox_report_lists_set_aside_messages(bot, tmp_path, capsys):
    book_school(bot)
    [message] = bot.outbox.claim("tg:")
    bot.outbox.report(message, Outcome.failed("Bad Request: chat not found"))
    assert run(bot, tmp_path, "outbox") == 0
    out = capsys.readouterr().out
    assert "未能送达、已停止重试：1 条" in out and "PD-2026-0001" in out and "chat not found" in out
    assert "python bot.py admin outbox" in bot.handle(Event(user="tg:9", command="stats", is_admin=True))[0].text
    assert run(bot, tmp_path, "outbox", "clear") == 0
    assert bot.outbox.counts() == {"waiting": 0, "set_aside": 0}
