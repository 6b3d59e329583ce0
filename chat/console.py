"""The terminal channel: the same Assistant, with buttons shown as numbers to type."""
from __future__ import annotations

import sys
from typing import TextIO

from chat.assistant import Assistant
from chat.outbox import Outcome
from chat.types import Event, Reply, small_number

PROMPT = "你> "
CHANNEL = "cli:"  # the terminal shows messages meant for terminal users only


def show(replies: list[Reply], out: TextIO) -> list[str]:
    """Print replies; return the callback data of the numbered buttons, in order."""
    choices: list[str] = []
    for reply in replies:
        out.write(reply.text + "\n")
        for row in reply.buttons:
            for button in row:
                choices.append(button.data)
                out.write(f"  [{len(choices)}] {button.label}\n")
        if reply.attachment:
            out.write(f"  （附件：{reply.attachment.filename}）\n")
    out.write("\n")
    return choices


def deliver(assistant: Assistant, out: TextIO) -> None:
    """Show messages meant for other users (promotions, staff alerts) so a local trial sees them too."""
    for message in assistant.outbox.claim(CHANNEL, limit=1000):
        out.write(f"📨 [发给 {message.user} 的消息]\n")
        show([message.reply], out)
        assistant.outbox.report(message, Outcome.sent())


def run(assistant: Assistant, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout, user: str = "cli:local",
        is_admin: bool = True) -> int:
    """Chat until end of input or 'exit'; a bare number presses the matching button.

    The person at this terminal operates the machine, so staff commands are open to them."""
    out.write("普法助手（终端模式）。输入问题后回车；输入按钮前的数字即可点按钮；/help 查看命令；exit 退出。\n\n")
    choices = show(assistant.handle(Event(user=user, command="start", is_admin=is_admin)), out)
    while True:
        out.write(PROMPT)
        out.flush()
        line = stdin.readline()
        if not line:
            out.write("\n")
            return 0
        text = line.strip()
        if text.lower() in ("exit", "quit", "退出"):
            return 0
        if (number := small_number(text)) is not None and 1 <= number <= len(choices):
            event = Event(user=user, button=choices[number - 1], is_admin=is_admin)
        else:
            event = Event.parse_text(user, text, is_admin)
        choices = show(assistant.handle(event), out)
        deliver(assistant, out)
