"""The terminal chat drives the same flows as Telegram: buttons are numbers to type."""
import io

from chat import console
from tests.chat_fixtures import make_assistant, new_session


def test_lecture_sign_up_in_the_terminal(engine, tmp_path):
    bot = make_assistant(engine, tmp_path)
    new_session(bot)
    script = "\n".join(["/lectures", "1", "1", "1", "王五", "1", "138 1234 5678", "1", "1", "/my", "exit"]) + "\n"
    out = io.StringIO()
    assert console.run(bot, io.StringIO(script), out) == 0
    text = out.getvalue()
    assert "个人信息说明" in text and "请核对报名信息" in text
    assert "报名成功！报名编号：JZ-2026-0001" in text and "（附件：JZ-2026-0001.ics）" in text
    assert "JZ-2026-0001 家庭教育指导讲座" in text          # /my lists it
    bot.close()


def test_terminal_shows_messages_for_others(engine, tmp_path):
    bot = make_assistant(engine, tmp_path)
    new_session(bot, capacity=1)
    first = "\n".join(["/lectures", "1", "1", "1", "王五", "1", "13812345678", "1", "1"])
    out = io.StringIO()
    console.run(bot, io.StringIO(first + "\nexit\n"), out, user="cli:a")
    second = "\n".join(["/lectures", "1", "1", "1", "赵六", "1", "13912345678", "1", "1"])
    console.run(bot, io.StringIO(second + "\nexit\n"), out, user="cli:b")
    third = "\n".join(["/my", "1", "1", "exit"])      # cli:a cancels: cli:b is promoted and told
    out = io.StringIO()
    console.run(bot, io.StringIO(third + "\n"), out, user="cli:a")
    assert "发给 cli:b 的消息" in out.getvalue() and "有空位" in out.getvalue()
    bot.close()
