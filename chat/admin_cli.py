"""`python bot.py admin …`: the staff operations from the command line, through the same flows as Telegram."""
from __future__ import annotations

import argparse
import getpass
import os
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

from typing import TYPE_CHECKING

from booking import BookingError
from chat.context import SHANGHAI
from chat.types import Event, Reply
from runtime.settings import environment, web_public_url

if TYPE_CHECKING:
    from chat.assistant import Assistant

ACTIONS = {
    "pending": "待办的学校预约（新预约、等学校答复的、学校的答复）",
    "approve": "同意预约：approve PD-2026-0001 [意向日期之一，默认第一个]",
    "propose": "建议改期：propose PD-2026-0001 12月23日下午，16和18号讲师都排满了",
    "decline": "婉拒：decline PD-2026-0001 原因", "ack": "学校的答复已看过：ack PD-2026-0001",
    "sessions": "讲座场次", "session-create": "新建场次（见 --help 的选项）", "attendees": "名单：attendees 场次号",
    "session-edit": "修改场次：session-edit 场次号 [--start …] [--minutes …] [--venue …] [--capacity …] "
                    "[--deadline …]，已报名和候补的人都会收到通知",
    "session-message": "给场次的所有报名者发消息：session-message 场次号 消息（先显示预览和人数；加 --yes 才发送）",
    "checkin": "签到：checkin 场次号 报名编号（JZ-2026-0007）",
    "close": "停止报名：close 场次号", "cancel": "取消场次：cancel 场次号", "stats": "统计", "unanswered": "未能回答的问题",
    "export": "导出 CSV", "backup": "备份数据库：backup 目标文件夹", "purge": "按保存期限清除过期个人信息",
    "outbox": "待发和未能送达的通知；outbox clear 删除未能送达的记录",
    "staff-add": "新建工作人员网页账号：staff-add 姓名 [--email 邮箱]，打印 24 小时内有效的设置密码链接",
    "staff-list": "工作人员账号", "staff-remove": "删除账号：staff-remove 姓名",
    "staff-reset": "重设密码（并解锁）：staff-reset 姓名，打印新的设置密码链接",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=list(ACTIONS), help="；".join(f"{k}：{v}" for k, v in ACTIONS.items()))
    parser.add_argument("args", nargs="*")
    parser.add_argument("--yes", action="store_true", help="session-message：看过预览，确认发送")
    parser.add_argument("--out", type=Path, default=None,
                        help="导出文件（CSV）保存到哪个文件夹；默认是数据文件夹下的 exports/")
    for name in ("program", "title", "start", "minutes", "venue", "street", "audience", "capacity", "deadline",
                 "email"):
        parser.add_argument(f"--{name}", default="")


def _save(replies: list[Reply], out_dir: Path) -> list[Path]:
    """Write the replies' attachments (CSV files) into out_dir, private to this user; OSError if it cannot."""
    saved = []
    for reply in replies:
        if reply.attachment:
            out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            target = out_dir / reply.attachment.filename
            _write_private(target, reply.attachment.content)
            saved.append(target.resolve())
    return saved


def _write_private(path: Path, content: bytes) -> None:
    """Create or replace a file readable by its owner only, from the moment it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(content)
    os.chmod(path, 0o600)


def backup(data_dir: Path, target_dir: Path) -> list[Path]:
    """Consistent, self-contained copies of the live databases, made with SQLite's online backup API, private
    (0600) from the start."""
    target_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    copies = []
    for name in ("bookings.sqlite", "chat.sqlite"):
        source = data_dir / name
        if not source.exists():
            continue
        target = target_dir / name
        os.close(os.open(target, os.O_CREAT | os.O_RDWR, 0o600))
        src, dst = sqlite3.connect(source), sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file: no -wal beside it
        finally:
            src.close()
            dst.close()
        target.chmod(0o600)
        copies.append(target.resolve())
    return copies


def _session_id(text: str) -> int:
    """A session number from the command line, or a clear refusal."""
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2 ** 63:
        raise BookingError(f"场次号应是正整数（见 sessions 列出的编号），不是「{text}」。")
    return int(text)


def run_admin(assistant: "Assistant", args: argparse.Namespace, data_dir: Path) -> int:
    """Carry out one staff action; the actor recorded in the audit log is cli:<login name>.

    It calls the staff operations the chat flows call (never their button data), so users are told the same."""
    actor = f"cli:{getpass.getuser()}"
    staff, a, rest = assistant.staff, args.action, args.args
    event = Event(user=actor, command=a, is_admin=True)
    reports = {"pending": staff.pending, "sessions": staff.sessions, "stats": staff.stats,
               "unanswered": staff.unanswered, "export": staff.export}
    try:
        if a in reports:
            replies = reports[a](event)
        elif a == "approve" and rest:
            replies = staff.approve(actor, rest[0], " ".join(rest[1:]) or None)
        elif a == "propose" and len(rest) >= 2:
            replies = staff.propose(actor, rest[0], " ".join(rest[1:]))
        elif a == "ack" and rest:
            replies = staff.acknowledge(actor, rest[0])
        elif a.startswith("staff-") and (rest or a == "staff-list"):
            replies = _staff_accounts(assistant, actor, a, rest, args.email)
        elif a == "decline" and len(rest) >= 2:
            replies = staff.decline(actor, rest[0], " ".join(rest[1:]))
        elif a in ("attendees", "close", "cancel") and rest:
            session_id = _session_id(rest[0])
            replies = (staff.attendees(session_id) if a == "attendees" else
                       staff.close_session(actor, session_id) if a == "close" else
                       staff.cancel_session(actor, session_id))
        elif a == "session-create":
            replies = _create_session(assistant, actor, args)
        elif a in ("session-edit", "session-message", "checkin") and rest:
            replies = _run_session(assistant, actor, a, _session_id(rest[0]), rest[1:], args)
        elif a == "backup":
            stamp = datetime.now(SHANGHAI).strftime("%Y%m%d-%H%M%S")
            copies = backup(data_dir, Path(rest[0]) if rest else data_dir / "backups" / stamp)
            replies = [Reply("已备份：" + "、".join(map(str, copies)))]
        elif a == "outbox":
            replies = _outbox(assistant, rest)
        elif a == "purge":
            done = assistant.purge()
            replies = [Reply(f"已按保存期限（个人信息 {assistant.ctx.retention_days} 天，提问记录 "
                             f"{assistant.ctx.question_days} 天）清除：讲座报名 {done['registrations']} 条、学校预约 "
                             f"{done['school_bookings']} 个、提问记录 {done['questions']} 条、未填完的表单 "
                             f"{done['forms']} 份、未能送达的通知记录 {done['set_aside']} 条。")]
        else:
            print(f"参数不完整：{ACTIONS[a]}")
            return 2
        saved = _save(replies, args.out or data_dir / "exports")
    except BookingError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    except OSError as error:  # a folder that cannot be made or written (/proc, /dev/null/x, no permission)
        print(f"错误：无法写入 {error.filename or ''}（{error.strerror or type(error).__name__}），"
              "请换一个可以写入的文件夹。", file=sys.stderr)
        return 1
    for reply in replies:
        if reply.text:
            print(reply.text, file=sys.stderr if reply.error else sys.stdout)
    for path in saved:
        print(f"已保存：{path}")
    if any(reply.error for reply in replies):
        return 1
    waiting = assistant.outbox.counts()["waiting"]
    if waiting:
        print(f"（有 {waiting} 条通知等待机器人发出）")
    return 0


def _outbox(assistant: "Assistant", rest: list[str]) -> list[Reply]:
    """What waits in the outbox, and the messages set aside (who, about what, how often tried, why)."""
    outbox = assistant.outbox
    if rest[:1] == ["clear"]:
        return [Reply(f"已删除 {outbox.drop_set_aside()} 条未能送达的记录。")]
    if rest:
        raise BookingError("用法：outbox（查看）或 outbox clear（删除未能送达的记录）")
    stamp = lambda t: datetime.fromtimestamp(t, SHANGHAI).strftime("%Y-%m-%d %H:%M")
    waiting = outbox.waiting()
    lines = [f"等待发送：{len(waiting)} 条" + (f"（最早 {stamp(waiting[0]['created'])}）" if waiting else "")]
    aside = outbox.set_aside()
    lines.append(f"未能送达、已停止重试：{len(aside)} 条" + ("：" if aside else ""))
    for row in aside:
        lines.append(f"  #{row['id']} 发给 {row['user']}（{row['ref'] or '—'}），{stamp(row['set_aside'])}，"
                     f"尝试 {row['attempts']} 次：{row['error']}")
    return [Reply("\n".join(lines))]


def _run_session(assistant: "Assistant", actor: str, action: str, session_id: int, rest: list[str],
                 args: argparse.Namespace) -> list[Reply]:
    """Edit a session, message everyone signed up (a preview unless --yes), or tick one sign-up as present."""
    running = assistant.running
    if action == "session-edit":
        return running.edit(actor, session_id, {"starts_at": args.start, "minutes": args.minutes,
                                                "venue": args.venue, "capacity": args.capacity,
                                                "deadline": args.deadline})
    if not rest:
        raise BookingError(ACTIONS[action])
    if action == "checkin":
        return running.attended(actor, session_id, rest[0])
    text = " ".join(rest)
    if args.yes:
        return running.message_all(actor, session_id, text)
    preview, regs = running.message_preview(session_id, text)
    return [Reply(f"预览（将发给 {len(regs)} 人，每人一条）：\n{preview}\n确认无误后加 --yes 再运行一次即发送。")]


def _create_session(assistant: "Assistant", actor: str, args: argparse.Namespace) -> list[Reply]:
    """Validate every option with the same fields the chat form uses, then create the session."""
    raw = {"program_id": args.program, "title": args.title, "starts_at": args.start, "minutes": args.minutes,
           "venue": args.venue, "street": args.street, "audience": args.audience, "capacity": args.capacity,
           "deadline": args.deadline}
    return assistant.sessions.create(actor, raw)  # every problem at once


def _staff_accounts(assistant: "Assistant", actor: str, action: str, rest: list[str], email: str) -> list[Reply]:
    """staff-add / staff-list / staff-remove / staff-reset: the web desk's accounts."""
    accounts, now = assistant.desk.accounts, assistant.ctx.now()
    local = not environment().get("WEB_PUBLIC_URL")  # the link then works only on this machine: say so
    link = lambda key: f"{web_public_url()}/staff/setup?key={key}" + (
        "\n" + assistant.texts("staff_link_local") if local else "")
    if action == "staff-list":
        people = accounts.all()
        if not people:
            return [Reply("还没有工作人员账号。新建：python bot.py admin staff-add 姓名 --email 邮箱")]
        lines = [f"{a.name}\t{a.email or '（无邮箱）'}\t{'已设密码' if a.has_password else '待设密码'}"
                 f"\t{'上次登录 ' + a.last_sign_in.strftime('%Y-%m-%d %H:%M') if a.last_sign_in else '未登录过'}"
                 + ("\t输错过多，稍后才能再试" if a.locked_until and a.locked_until > now else "") for a in people]
        return [Reply("\n".join(lines))]
    name = rest[0]
    if action == "staff-add":
        account, key = accounts.add(name, email, actor, now)
        return [Reply(f"已新建账号「{account.name}」。请把下面的链接交给本人，24 小时内打开并设置密码（只能用一次）：\n"
                      f"{link(key)}")]
    if action == "staff-reset":
        key = accounts.reset(name, actor, now)
        return [Reply(f"已重设「{name}」的密码并退出其所有登录。新的设置密码链接（24 小时内有效，只能用一次）：\n{link(key)}")]
    accounts.remove(name, actor, now)
    return [Reply(f"已删除账号「{name}」，其登录已失效（操作记录保留）。")]
