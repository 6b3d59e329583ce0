"""Crisis help only for danger now, in any words; legal questions about the past, punishment or procedure get the law.

The sets in tests/data were written by someone who did not see the rules (see tests/data/README.md)."""
from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "content" / "danger"
NOW = [line.strip() for line in (DATA / "now.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
LEGAL = [line.strip() for line in (DATA / "not_now.txt").read_text(encoding="utf-8").splitlines()
         if line.strip()]


def test_the_sets_are_big_enough():
    assert len(NOW) >= 60 and len(LEGAL) >= 150


def test_every_danger_now_gets_crisis_help(engine):
    missed = [q for q in NOW if not engine.answer(q).emergency]
    assert not missed, f"{len(missed)} of {len(NOW)} emergencies got no crisis reply: {missed[:10]}"


def test_legal_questions_about_violence_rarely_alarm(engine):
    alarmed = [q for q in LEGAL if engine.answer(q).emergency]
    assert len(alarmed) <= 0.02 * len(LEGAL), f"{len(alarmed)} of {len(LEGAL)} alarmed: {alarmed[:10]}"


@pytest.mark.parametrize("question, writer_word", [
    ("我爸喝醉了拿着刀在砸门 我躲在厕所里", "你"),
    ("我女儿刚才被一个男的抱上车开走了", "请立即拨打 110 报警"),
    ("我看见一个男的把一个小孩拖进草丛里了", "说清地址"),
])
def test_crisis_reply_is_help_only_and_fits_the_writer(engine, question, writer_word):
    answer = engine.answer(question)
    assert answer.emergency and answer.answer.index("110") < 40
    assert writer_word in answer.answer
    assert "法律依据" not in answer.answer and "第" not in answer.answer.split("110", 1)[0]
    assert "110" in answer.calls


def test_crisis_reply_keeps_the_legal_matches_for_its_button(engine):
    answer = engine.answer("救命 我爸喝醉了拿刀要砍我")
    assert answer.emergency and answer.matches
    legal = engine.answer("救命 我爸喝醉了拿刀要砍我", legal_only=True)
    assert not legal.emergency and "法律依据" in legal.answer


def test_an_ongoing_abuse_is_never_silenced_by_a_legal_word(engine):
    assert engine.answer("我爸天天打我 这样犯法吗").emergency
    assert engine.answer("他现在还在摸我 这算猥亵吗 怎么判").emergency


def test_a_past_offence_gets_the_law_with_a_calm_line(engine):
    answer = engine.answer("女儿9岁时被补课老师猥亵了，这个老师会怎么判")
    assert not answer.emergency and answer.answered
    assert "110" in answer.answer.split("法律依据")[-1]  # the calm line comes after the legal basis


def test_the_crisis_reply_in_a_chat_has_help_buttons_and_the_legal_answer_behind_one(bot):
    from tests.chat_fixtures import buttons, say
    reply = say(bot, "tg:9", text="救命 我爸喝醉了拿刀在砸门")[0]
    data = buttons([reply])
    assert "110" in reply.calls and not any(d.startswith("fb:") for d in data)
    legal = [d for d in data if d.startswith(("faq:", "art:"))]
    assert legal, data
    law = say(bot, "tg:9", button=legal[0])[0]
    assert "法律依据" in law.text or "《" in law.text
