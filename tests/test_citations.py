"""Citations a person can read: the two or three articles an answer rests on first, each with 查看原文; the rest
behind one 「更多依据」 button — in the chat flows and through the web API."""
import pytest

from tests.chat_fixtures import buttons, say
from tests.test_web_api import browser, press
from tests.test_web_api import say as web_say

GAME = "孩子玩游戏充了五千块钱能退吗"


def basis_lines(text: str) -> list[str]:
    return [line for line in text.split("法律依据：", 1)[1].splitlines() if line.startswith("· 《")]


def test_a_long_basis_shows_the_key_articles_and_says_there_are_more(engine):
    answer = engine.answer(GAME)
    assert len(answer.matches[0].sources) == 6
    lines = basis_lines(answer.answer)
    assert 2 <= len(lines) <= 3 and "另有 4 条相关规定" in answer.answer


def test_articles_the_answer_names_come_first_in_the_order_named(engine):
    answer = engine.answer("严重的校园欺凌，学校可以内部处理、不向上报告吗")
    lines = basis_lines(answer.answer)
    assert ["第三十九条" in lines[0], "第三十二条" in lines[1], "第一百一十九条" in lines[2]] == [True] * 3


def test_the_article_a_crime_verdict_rests_on_is_always_a_key_one(engine):
    answer = engine.answer("我们老师打我犯法吗")
    assert any("教师法》第三十七条" in line for line in basis_lines(answer.answer))


def test_every_key_article_has_its_original_text_and_the_rest_one_more_button(bot):
    reply = say(bot, "tg:31", text=GAME)[0]
    data = buttons([reply])
    originals = [d for d in data if d.startswith("art:")]
    more = [d for d in data if d.startswith("more:")]
    assert len(originals) == len(basis_lines(reply.text)) and len(more) == 1
    rest = say(bot, "tg:31", button=more[0])[0]
    assert rest.text.startswith("更多依据：") and len([l for l in rest.text.splitlines() if l.startswith("· 《")]) == 4
    assert len([d for d in buttons([rest]) if d.startswith("art:")]) == 4
    original = say(bot, "tg:31", button=buttons([rest])[0])[0]
    assert "《中华人民共和国" in original.text or "《未成年人" in original.text


def test_a_forged_more_button_gets_the_stale_message(bot):
    reply = say(bot, "tg:32", button="more:no-such-entry:a")[0]
    assert "按钮" in reply.text or "过期" in reply.text


@pytest.mark.asyncio
async def test_the_web_page_gets_the_same_more_button(bot):
    async with browser(bot) as client:
        replies = await web_say(client, GAME)
        more = [b["data"] for r in replies for row in r["buttons"] for b in row if b["data"].startswith("more:")]
        assert len(more) == 1
        rest = await press(client, more[0])
        assert rest[0]["text"].startswith("更多依据：")
