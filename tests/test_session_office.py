"""Running a session from the command line (`admin session-edit`, `session-message`, `checkin`): the same
operations as the desk, everyone told once through the outbox."""
from datetime import timedelta

from tests.chat_fixtures import NOW, new_session, sign_up, take_outbox
from tests.test_admin_cli import run


def test_an_edit_tells_everyone_once_and_promotes_in_order(bot, tmp_path, capsys):
    session = new_session(bot, capacity=1)
    for user, phone in (("tg:1", "13912345671"), ("tg:2", "13912345672"), ("tg:3", "13912345673")):
        sign_up(bot, user, name="李" + user[-1].translate(str.maketrans("123", "一二三")), phone=phone)
    take_outbox(bot)
    assert run(bot, tmp_path, "session-edit", str(session.id), "--capacity", "0") == 1
    assert "名额" in capsys.readouterr().err
    assert run(bot, tmp_path, "session-edit", str(session.id), "--venue", "浦东图书馆二楼", "--capacity", "2",
               "--start", "12月9日下午3点") == 0
    out = capsys.readouterr().out
    assert "已通知 3 人（其中 1 人从候补转为确认）" in out
    told = dict(take_outbox(bot))
    assert sorted(told) == ["tg:1", "tg:2", "tg:3"]  # each once
    assert "地点改为 浦东图书馆二楼" in told["tg:1"].text and "12月9日 15:00" in told["tg:1"].text
    assert "有空位了" in told["tg:2"].text and "浦东图书馆二楼" in told["tg:2"].text
    assert "候补中" in told["tg:3"].text and "名额调整为 2 人" in told["tg:3"].text
    after = bot.desk.lectures.get_session(session.id)
    assert after.ends_at - after.starts_at == session.ends_at - session.starts_at  # the length is kept


def test_a_message_to_everyone_is_previewed_with_the_count_then_sent_once_each(bot, tmp_path, capsys):
    session = new_session(bot)
    sign_up(bot, "tg:1")
    sign_up(bot, "tg:2", name="王五", phone="13912345679")
    take_outbox(bot)
    assert run(bot, tmp_path, "session-message", str(session.id), "改在二楼报告厅") == 0
    assert "将发给 2 人" in capsys.readouterr().out and take_outbox(bot) == []
    assert run(bot, tmp_path, "session-message", str(session.id), "改在二楼报告厅", "--yes") == 0
    told = take_outbox(bot)
    assert sorted(u for u, _ in told) == ["tg:1", "tg:2"] and all("改在二楼报告厅" in r.text for _, r in told)


def test_check_in_from_the_command_line(bot, tmp_path, capsys):
    session = new_session(bot)
    sign_up(bot, "tg:1")
    ref = bot.desk.lectures.attendees(session.id)[0].ref
    assert run(bot, tmp_path, "checkin", str(session.id), ref) == 1  # ten days early
    assert "当天" in capsys.readouterr().err
    bot.ctx.clock = lambda: session.starts_at - timedelta(minutes=10)
    assert run(bot, tmp_path, "checkin", str(session.id), ref) == 0
    assert "已签到" in capsys.readouterr().out
    assert bot.desk.lectures.attendees(session.id)[0].attended_at is not None
    assert NOW < session.starts_at


def test_the_confirmation_carries_a_qr_code_that_opens_the_desk_check_in(bot):
    import io

    import segno

    from web.app import build_web_app
    from web.settings import WebSettings

    build_web_app(bot, WebSettings(public_url="https://pufa.example.cn"))
    new_session(bot)
    replies = sign_up(bot, "tg:1")
    card = next(r for r in replies if r.attachment and r.attachment.mime == "image/png")
    ref = bot.desk.lectures.attendees(bot.desk.lectures.open_sessions(NOW)[0].id)[0].ref
    assert ref in card.text and card.attachment.filename == f"{ref}-checkin.png"
    expected = io.BytesIO()
    segno.make(f"https://pufa.example.cn/staff/checkin/{ref}", error="m").save(expected, kind="png", scale=8,
                                                                                 border=4)
    assert card.attachment.content == expected.getvalue()
