"""Requests that are not law, in everyday words, reach the flow's button; legal questions with the same words don't."""
from pathlib import Path

import pytest
import yaml

DATA = yaml.safe_load((Path(__file__).parent / "data" / "intents.yaml").read_text(encoding="utf-8"))
CASES = [(intent, q) for intent, questions in DATA["intents"].items() for q in questions]


@pytest.mark.parametrize("intent, question", CASES)
def test_everyday_requests_open_the_flow(engine, intent, question):
    answer = engine.answer(question)
    assert answer.intent == intent and answer.answered and not answer.emergency


@pytest.mark.parametrize("question", DATA["negatives"])
def test_legal_questions_with_the_same_words_get_the_law(engine, question):
    assert engine.answer(question).intent == ""


def test_a_request_opens_its_flow_at_once_and_in_a_group_offers_its_button(engine, tmp_path):
    from chat.types import Event
    from tests.chat_fixtures import make_assistant
    assistant = make_assistant(engine, tmp_path)
    reply = assistant.handle(Event(user="cli:t", text="我的预约怎么样了"))[0]
    assert "您还没有报名讲座或预约课程" in reply.text
    reply = assistant.handle(Event(user="cli:t", text="有什么求助电话"))[0]
    assert "110" in reply.text
    reply = assistant.handle(Event(user="tg:-5", text="我的预约怎么样了", public=True))[0]
    assert [b.data for row in reply.buttons for b in row] == ["menu:my"]
    assistant.close()
