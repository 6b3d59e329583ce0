"""👍/👎 only from the one who was shown the answer: the buttons carry an HMAC over user and question."""
import sqlite3

import pytest

from tests.chat_fixtures import buttons, make_assistant, say


@pytest.fixture
def bot(engine, tmp_path):
    assistant = make_assistant(engine, tmp_path)
    yield assistant
    assistant.close()


def votes(tmp_path):
    with sqlite3.connect(tmp_path / "chat.sqlite") as conn:
        return conn.execute("select question_id, vote from feedback").fetchall()


def test_only_the_user_shown_the_answer_may_vote_on_it(bot, engine, tmp_path):
    reply = say(bot, "tg:1", text="孩子在学校被欺负怎么办")[0]
    down = next(b for b in buttons([reply]) if b.startswith("fb:down:"))
    _, _, qid, tag = down.split(":")
    assert "stale" not in say(bot, "tg:1", button=down)[0].text and votes(tmp_path) == [(int(qid), -1)]
    # another user with the same button data, the bare number as older buttons had it, a forged tag
    for user, data in (("tg:2", down.replace("down", "up")), ("tg:1", f"fb:up:{qid}"),
                       ("tg:1", f"fb:up:{qid}:{'A' * len(tag)}"), ("tg:1", f"fb:up:{int(qid) + 1}:{tag}")):
        assert "谢谢" not in say(bot, user, button=data)[0].text
    assert votes(tmp_path) == [(int(qid), -1)]
    bot.close()
    again = make_assistant(engine, tmp_path)  # the key is kept: a button from before a restart still works
    try:
        assert "谢谢" in say(again, "tg:1", button=down.replace("down", "up"))[0].text
        assert votes(tmp_path) == [(int(qid), 1)]
    finally:
        again.close()
