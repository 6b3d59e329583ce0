"""`python bot.py admin …`: the staff operations from the command line, through the same flows as Telegram."""
from __future__ import annotations

import argparse
import getpass
import sqlite3
from pathlib import Path

from typing import TYPE_CHECKING

from booking import BookingError
from chat.types import Event, Reply
from runtime.settings import web_public_url

if TYPE_CHECKING:
    from chat.assistant import Assistant

ACTIONS = {
    "pending": "待办的学校预约（新预约、等学校答复的、学校的答复）",
    "approve": "同意预约：approve PD-2026-0001 [意向日期之一，默认第一个]",
    "propose": "建议改期：propose PD-2026-0001 12月23日下午，16和18号讲师都排满了",
    "decline": "婉拒：decline PD-2026-0001 原因", "ack": "学校的答复已看过：ack PD-2026-0001",
    "sessions": "讲座场次", "session-create": "新建场次（见 --help 的选项）", "attendees": "名单：attendees 场次号",
    "close": "停止报名：close 场次号", "cancel": "取消场次：cancel 场次号", "stats": "统计", "unanswered": "未能回答的问题",
    "export": "导出 CSV", "backup": "备份数据库：backup 目标文件夹", "purge": "按保存期限清除过期个人信息",
    "staff-add": "新建工作人员网页账号：staff-add 姓名 [--email 邮箱]，打印 24 小时内有效的设置密码链接",
    "staff-list": "工作人员账号", "staff-remove": "删除账号：staff-remove 姓名",
    "staff-reset": "重设密码（并解锁）：staff-reset 姓名，打印新的设置密码链接",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=list(ACTIONS), help="；".join(f"{k}：{v}" for k, v in ACTIONS.items()))
    parser.add_argument("args", nargs="*")
    parser.add_argument("--out", type=Path, default=Path("."), help="导出文件保存到哪个文件夹")
    for name in ("program", "title", "start", "minutes", "venue", "street", "audience", "capacity", "deadline",
                 "email"):
        parser.add_argument(f"--{name}", default="")


def _print(replies: list[Reply], out_dir: Path) -> None:
    for reply in replies:
        if reply.text:
            print(reply.text)
        if reply.attachment:
            out_dir.mkdir(parents=True, exist_ok=True)
            target = out_dir / reply.attachment.filename
            target.write_bytes(reply.attachment.content)
            print(f"已保存：{target}")


def backup(data_dir: Path, target_dir: Path) -> list[Path]:
    """Consistent copies of the live databases, made with SQLite's online backup API."""
    target_dir.mkdir(parents=True, exist_ok=True)
    copies = []
    for name in ("bookings.sqlite", "chat.sqlite"):
        source = data_dir / name
        if not source.exists():
            continue
        target = target_dir / name
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        target.chmod(0o600)
        copies.append(target)
    return copies


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
        elif a in ("attendees", "close", "cancel") and rest and rest[0].isdigit():
            session_id = int(rest[0])
            replies = (staff.attendees(session_id) if a == "attendees" else
                       staff.close_session(actor, session_id) if a == "close" else
                       staff.cancel_session(actor, session_id))
        elif a == "session-create":
            replies = _create_session(assistant, actor, args)
        elif a == "backup":
            copies = backup(data_dir, Path(rest[0]) if rest else args.out / "backup")
            replies = [Reply("已备份：" + "、".join(map(str, copies)))]
        elif a == "purge":
            replies = [Reply(f"已清除过期个人信息：{assistant.purge()}")]
        else:
            print(f"参数不完整：{ACTIONS[a]}")
            return 2
    except BookingError as error:
        print(f"错误：{error}")
        return 1
    _print(replies, args.out)
    if any(reply.error for reply in replies):
        return 1
    undelivered = len(assistant.state.undelivered())
    if undelivered:
        print(f"（有 {undelivered} 条通知等待机器人发出）")
    return 0


def _create_session(assistant: "Assistant", actor: str, args: argparse.Namespace) -> list[Reply]:
    """Validate every option with the same fields the chat form uses, then create the session."""
    raw = {"program_id": args.program, "title": args.title, "starts_at": args.start, "minutes": args.minutes,
           "venue": args.venue, "street": args.street, "audience": args.audience, "capacity": args.capacity,
           "deadline": args.deadline}
    if assistant.desk.catalog.program(args.program) is None:
        raise BookingError("请用 --program 指定 lectures.yaml 里的项目编号，例如 family-education。")
    assistant.desk.lectures.session_program(args.program)  # public ones only, with the domain's message
    return assistant.sessions.create(actor, raw)


def _staff_accounts(assistant: "Assistant", actor: str, action: str, rest: list[str], email: str) -> list[Reply]:
    """staff-add / staff-list / staff-remove / staff-reset: the web desk's accounts."""
    accounts, now = assistant.desk.accounts, assistant.ctx.now()
    link = lambda key: f"{web_public_url()}/staff/setup?key={key}"
    if action == "staff-list":
        people = accounts.all()
        if not people:
            return [Reply("还没有工作人员账号。新建：python bot.py admin staff-add 姓名 --email 邮箱")]
        lines = [f"{a.name}\t{a.email or '（无邮箱）'}\t{'已设密码' if a.has_password else '待设密码'}"
                 f"\t{'上次登录 ' + a.last_sign_in.strftime('%Y-%m-%d %H:%M') if a.last_sign_in else '未登录过'}"
                 + ("\t已锁定" if a.locked_until and a.locked_until > now else "") for a in people]
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
