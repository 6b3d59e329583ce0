"""The transport-neutral flows end to end through the Assistant: lectures, school bookings, staff, privacy."""
import sqlite3
from datetime import timedelta

from chat.types import Event
from tests.chat_fixtures import (ADMIN, NOW, SCHOOL_ANSWERS, book_school, buttons, make_assistant, new_session, say,
                                 sign_up, take_outbox)


def test_consent_comes_before_any_personal_detail(bot):
    session = new_session(bot)
    replies = say(bot, "tg:1", button=f"lec:join:{session.id}")
    assert "个人信息说明" in replies[0].text and "privacy:agree:lec:join:1" in buttons(replies)
    assert "不同意" in replies[0].buttons[0][1].label
    declined = say(bot, "tg:1", button="privacy:no")
    assert "不收集" in declined[0].text
    assert bot.state.get("tg:1") is None


def test_sign_up_confirms_with_reference_and_calendar_file(bot):
    new_session(bot)
    replies = sign_up(bot, "tg:1")
    assert "JZ-2026-0001" in replies[0].text
    assert replies[0].attachment.filename.endswith(".ics")
    assert b"BEGIN:VCALENDAR" in replies[0].attachment.content


def test_bad_answers_get_a_clear_message_and_a_second_chance(bot):
    session = new_session(bot)
    say(bot, "tg:1", button=f"privacy:agree:lec:join:{session.id}")
    say(bot, "tg:1", text="王五")
    say(bot, "tg:1", button="lec:pick:role:0")
    wrong = say(bot, "tg:1", text="12345")
    assert "电话" in wrong[0].text and "13812345678" in wrong[0].text
    assert bot.state.get("tg:1")[1] == "phone"          # still on the same question, nothing lost
    say(bot, "tg:1", text="13812345678")
    too_many = say(bot, "tg:1", text="99")
    assert "1至10" in too_many[0].text
    review = say(bot, "tg:1", text="2")
    assert "王五" in review[0].text and "lec:edit:name" in buttons(review)
    say(bot, "tg:1", button="lec:edit:name")
    edited = say(bot, "tg:1", text="王六")
    assert "王六" in edited[0].text and "lec:ok" in buttons(edited)


def test_full_session_waitlists_and_promotes_on_cancel(bot):
    new_session(bot, capacity=1)
    assert "JZ-2026-0001" in sign_up(bot, "tg:1")[0].text
    waiting = sign_up(bot, "tg:2", name="赵六", phone="13612345678")
    assert "候补" in waiting[0].text
    mine = say(bot, "tg:1", command="my")
    assert "lec:drop:JZ-2026-0001" in buttons(mine)
    say(bot, "tg:1", button="lec:dropok:JZ-2026-0001")
    outbox = take_outbox(bot)
    assert [user for user, _ in outbox] == ["tg:2"]
    assert "有空位" in outbox[0][1].text


def test_second_sign_up_to_the_same_session_is_refused(bot):
    new_session(bot, capacity=5)
    sign_up(bot, "tg:1")
    again = sign_up(bot, "tg:1")
    assert "已报名" in again[0].text


def test_restart_in_the_middle_of_a_form_continues(engine, tmp_path):
    first = make_assistant(engine, tmp_path)
    session = new_session(first)
    say(first, "tg:1", button=f"privacy:agree:lec:join:{session.id}")
    say(first, "tg:1", text="钱七")
    first.close()
    second = make_assistant(engine, tmp_path)
    asks_role = say(second, "tg:1", button="lec:pick:role:0")
    assert "电话" in asks_role[0].text
    say(second, "tg:1", text="13812345678")
    say(second, "tg:1", text="1")
    assert "报名成功" in say(second, "tg:1", button="lec:ok")[0].text
    second.close()


def test_school_booking_review_and_staff_approval(bot):
    submitted = book_school(bot)
    assert "PD-2026-0001" in submitted[0].text and "待审核" in submitted[0].text
    alert = take_outbox(bot)
    assert alert[0][0] == ADMIN and "adm:approve:PD-2026-0001:1" in buttons([alert[0][1]])
    refused = say(bot, "tg:3", button="adm:approve:PD-2026-0001")
    assert "仅限" in refused[0].text
    approved = say(bot, ADMIN, button="adm:approve:PD-2026-0001")
    assert "已确认" in approved[0].text
    told = take_outbox(bot)
    assert told[0][0] == "tg:3" and told[0][1].attachment.filename == "PD-2026-0001.ics"
    double = say(bot, ADMIN, button="adm:decline:PD-2026-0001")
    say(bot, ADMIN, text="时间冲突")
    assert bot.desk.schools.get("PD-2026-0001").status == "已确认"
    assert "已经处理过" in say(bot, ADMIN, button="adm:approve:PD-2026-0001")[0].text
    assert double


def test_staff_propose_another_date_and_school_accepts(bot):
    book_school(bot)
    take_outbox(bot)
    say(bot, ADMIN, button="adm:propose:PD-2026-0001")
    say(bot, ADMIN, text="12月23日")
    proposal = take_outbox(bot)[0][1]
    assert "sch:accept:PD-2026-0001" in buttons([proposal])
    accepted = say(bot, "tg:3", button="sch:accept:PD-2026-0001")
    assert "已确认" in accepted[0].text or "确认新的日期" in accepted[0].text


def test_staff_commands_are_refused_to_others(bot):
    for command in ("pending", "sessions", "stats", "unanswered", "export"):
        assert "仅限" in say(bot, "tg:4", command=command)[0].text
    assert "仅限" in say(bot, "tg:4", button="adm:new")[0].text


def test_export_is_excel_friendly_csv(bot):
    new_session(bot)
    sign_up(bot, "tg:1")
    replies = say(bot, ADMIN, command="export")
    files = [r.attachment for r in replies if r.attachment]
    assert len(files) == 2 and all(f.content.startswith(b"\xef\xbb\xbf") for f in files)


def test_forget_deletes_personal_details_and_frees_the_seat(bot, tmp_path):
    new_session(bot, capacity=1)
    sign_up(bot, "tg:1", name="孙八", phone="13712345678")
    sign_up(bot, "tg:2", name="周九", phone="13612345678")
    say(bot, "tg:1", command="forget")
    done = say(bot, "tg:1", button="privacy:forget")
    assert "已删除" in done[0].text
    assert [u for u, _ in take_outbox(bot)] == ["tg:2"]
    with sqlite3.connect(tmp_path / "bookings.sqlite") as conn:
        rows = conn.execute("select name, phone, user_key from registrations").fetchall()
    assert not any("孙八" in (name or "") or "13712345678" in (phone or "") for name, phone, _ in rows)
    assert "没有保存" in say(bot, "tg:1", command="privacy")[0].text


def test_day_before_reminder_is_sent_once(engine, tmp_path):
    clock = {"now": NOW}
    bot = make_assistant(engine, tmp_path, clock=lambda: clock["now"])
    new_session(bot, starts=NOW + timedelta(days=2))
    sign_up(bot, "tg:1")
    assert bot.reminders() == []
    clock["now"] = NOW + timedelta(days=1, hours=2)
    due = bot.reminders()
    assert [(user, "明天" in reply.text) for user, reply, _ in due] == [("tg:1", True)]
    due[0][2]()
    assert bot.reminders() == []
    bot.close()


def test_questions_are_logged_masked_and_feedback_recorded(bot, tmp_path):
    reply = say(bot, "tg:1", text="我电话13812345678，孩子在学校被欺负怎么办")[0]
    vote = next(b for b in buttons([reply]) if b.startswith("fb:up:"))
    assert "谢谢" in say(bot, "tg:1", button=vote)[0].text
    with sqlite3.connect(tmp_path / "chat.sqlite") as conn:
        text, = conn.execute("select text from questions").fetchone()
        votes = conn.execute("select vote from feedback").fetchall()
    assert "13812345678" not in text and "[电话]" in text
    assert votes == [(1,)]


def test_group_chats_never_collect_personal_details(bot):
    session = new_session(bot)
    for event in (Event(user="tg:1", command="book", public=True), Event(user="tg:1", command="my", public=True),
                  Event(user="tg:1", button=f"lec:join:{session.id}", public=True)):
        assert "私聊" in bot.handle(event)[0].text
    bot.handle(Event(user="tg:1", button=f"privacy:agree:lec:join:{session.id}"))  # a form open in private
    answer = bot.handle(Event(user="tg:1", text="孩子在学校被欺负怎么办", public=True))
    assert "法律依据" in answer[0].text                                           # answered, not taken as a name
    assert bot.state.get("tg:1")[1] == "name"


def test_subscribers_hear_of_new_sessions_for_their_audience(bot):
    listing = say(bot, "tg:1", command="lectures")
    assert "lec:sub" in buttons(listing)
    say(bot, "tg:1", button="lec:sub")
    assert "家长" in say(bot, "tg:1", button="lec:subto:0")[0].text      # parents
    say(bot, "tg:2", button="lec:subto:1")                               # students
    say(bot, ADMIN, button="adm:new")
    say(bot, ADMIN, button="ses:pick:program_id:0")
    say(bot, ADMIN, button="ses:skip")
    for answer in ["2026-12-20 14:00", "90", "浦东图书馆", "花木", "家长", "30", "2026-12-19 18:00"]:
        say(bot, ADMIN, text=answer)
    created = say(bot, ADMIN, button="ses:ok")
    assert "已通知订阅的用户 1 人" in created[0].text
    told = take_outbox(bot)
    assert [user for user, _ in told] == ["tg:1"] and "lec:join:1" in buttons([told[0][1]])
    say(bot, "tg:1", button="lec:unsub")
    assert bot.state.setting("tg:1", "announce") is None


def test_topics_filter_by_audience_and_page(bot):
    menu = say(bot, "tg:1", command="topics")
    school = next(b.data for r in menu for row in r.buttons for b in row if b.label == "学校保护")
    everyone = say(bot, "tg:1", button=school)[0]
    students = say(bot, "tg:1", button=f"{school}:a2")[0]
    listed = lambda reply: [b.data[4:] for row in reply.buttons for b in row if b.data.startswith("faq:")]
    assert set(listed(students)) <= set(bot.engine.kb.faq) and listed(students) != listed(everyone)
    assert all("学生" in bot.engine.kb.faq[i]["audience"] for i in listed(students))
    assert f"{school}:a2:p2" in buttons([students]) or len(listed(students)) < 8
    assert "过期" in say(bot, "tg:1", button=f"{school}:a9")[0].text   # a filter that no longer exists


def test_school_dates_can_be_picked_from_buttons(bot):
    say(bot, "tg:3", command="book")
    say(bot, "tg:3", button="privacy:agree:sch:new")
    for answer in SCHOOL_ANSWERS:
        say(bot, "tg:3", text=answer)
    say(bot, "tg:3", button="sch:pick:program_id:0")
    asks_dates = say(bot, "tg:3", button="sch:skip")
    assert "sch:pick:preferred_dates:0" in buttons(asks_dates)
    first = asks_dates[0].buttons[0][0].label
    assert "周" in first and "12月" in first      # at least 7 days after 2026-11-28, a school day
    asks_time = say(bot, "tg:3", button="sch:pick:preferred_dates:0")
    assert "时间段" in asks_time[0].text


def test_staff_statistics_count_questions_by_topic(bot):
    for question in ("孩子在学校被欺负怎么办", "老师可以体罚学生吗", "未保法第75条", "推荐一部好看的电影"):
        say(bot, "tg:1", text=question)
    stats = say(bot, ADMIN, command="stats")[0].text
    assert "提问 4 次" in stats and "学校保护" in stats
    unanswered = say(bot, ADMIN, command="unanswered")[0].text
    assert "电影" not in unanswered      # off-topic questions are not for review
    bot.state.log_question("监护权和抚养权有什么不一样", False, "unsure", "faq", "x", 0.1)
    review = say(bot, ADMIN, command="unanswered")
    assert "监护权和抚养权" in review[0].text
    say(bot, ADMIN, button=review[0].buttons[0][0].data)     # staff mark the list as handled
    assert "没有未能回答" in say(bot, ADMIN, command="unanswered")[0].text


def test_forget_also_removes_the_guardians_details(bot, tmp_path):
    session = new_session(bot)
    user = "tg:8"
    say(bot, user, button=f"privacy:agree:lec:join:{session.id}")
    for step in ({"text": "李小红"}, {"button": "lec:pick:role:1"}, {"text": "12"},
                 {"text": "李强"}, {"text": "13700001111"}, {"text": "1"}, {"button": "lec:ok"}):
        say(bot, user, **step)
    assert bot.desk.lectures.my_registrations(user)[0].status == "held"
    say(bot, user, button="privacy:forget")
    with sqlite3.connect(tmp_path / "bookings.sqlite") as conn:
        row = conn.execute("select name, phone, guardian_name, guardian_phone from registrations").fetchone()
    assert row == ("", "", "", "")


def test_the_booking_loop_across_channels(bot):
    """A school on the web page, staff in Telegram: propose with a note, the school proposes other dates,
    staff approve the second of them, the school withdraws from /my; staff hear of every answer."""
    school = "web:" + "s" * 32
    book_school(bot, school)
    take_outbox(bot)
    say(bot, ADMIN, button="adm:propose:PD-2026-0001")
    say(bot, ADMIN, text="12月23号下午吧，16和18号讲师都排满了")
    [(user, proposal)] = take_outbox(bot)
    assert user == school and "讲师都排满了" in proposal.text
    assert {"sch:accept:PD-2026-0001", "sch:counter:PD-2026-0001", "sch:withdraw:PD-2026-0001"} <= set(buttons([proposal]))
    assert "PD-2026-0001" in say(bot, ADMIN, command="pending")[1].text  # waiting for the school, still listed
    say(bot, school, button="sch:counter:PD-2026-0001")
    assert "重新进入待审核" in say(bot, school, text="12月28日或12月29日上午，23号学校有考试")[0].text
    [(user, alert)] = take_outbox(bot)
    assert user == ADMIN and "12月29日" in alert.text and "adm:ack:PD-2026-0001" in buttons([alert])
    pending = say(bot, ADMIN, command="pending")
    assert "学校另提了日期" in pending[1].text and "adm:approve:PD-2026-0001:1" in buttons(pending)
    say(bot, ADMIN, button="adm:approve:PD-2026-0001:1")
    booking = bot.desk.schools.get("PD-2026-0001")
    assert booking.status == "已确认" and booking.scheduled_date.isoformat() == "2026-12-29" and booking.time_text == "上午"
    [(user, approved)] = take_outbox(bot)
    assert user == school and approved.attachment.filename == "PD-2026-0001.ics"
    refused = say(bot, ADMIN, button="adm:approve:PD-2026-0001:0")
    assert refused[0].error and "已经处理过" in refused[0].text
    # the school's /my, reached from the main menu
    assert "menu:my" in buttons(say(bot, school, command="start"))
    mine = say(bot, school, button="menu:my")
    assert "PD-2026-0001" in mine[0].text and "sch:withdraw:PD-2026-0001" in buttons(mine)
    confirm = say(bot, school, button="sch:withdraw:PD-2026-0001")
    assert "确定撤回" in confirm[0].text and bot.desk.schools.get("PD-2026-0001").status == "已确认"
    say(bot, school, button="sch:withdrawok:PD-2026-0001")
    assert bot.desk.schools.get("PD-2026-0001").status == "已取消"
    [(user, alert)] = take_outbox(bot)
    assert user == ADMIN and "撤回" in alert.text
