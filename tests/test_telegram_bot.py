"""The real Telegram Application end to end: updates come from a fake Bot API over HTTP, replies go back to it."""
from __future__ import annotations

import re

import pytest

from tests.fakebotapi import ADMIN, BOT, GROUP, USER
from tests.telegram_fixtures import (TELEGRAM_TESTS, exchange, fake, log_errors, settle,  # noqa: F401
                                     tg, tg_app, tg_assistant)

pytestmark = TELEGRAM_TESTS


def labels(call) -> list[str]:
    return [label for label, _ in call.buttons]


def button(call, prefix: str) -> tuple[str, str]:
    """The first button whose label starts with `prefix` (label, data)."""
    return next(b for b in call.buttons if b[0].startswith(prefix))


async def test_start_shows_the_main_menu(tg, tg_assistant):
    [sent] = await exchange(tg, tg.command("/start"))
    assert sent.text == tg_assistant.texts("start")
    assert sent.params["chat_id"] == USER["id"]
    assert sent.params["parse_mode"] == "HTML"
    assert {data for _, data in sent.buttons} >= {"menu:ask", "menu:topics", "menu:law", "menu:hotline"}
    assert tg_assistant.texts("btn_law") in labels(sent)


@pytest.mark.parametrize("question", ["未保法第75条", "学校可以开除初中生吗"])
async def test_a_question_gets_its_legal_basis_and_the_original_text_on_request(tg, question):
    [answer] = await exchange(tg, tg.text(question))
    assert "法律依据" in answer.text or "第七十五条" in answer.text
    label, data = button(answer, "查看原文")
    article = re.search(r"第[一二三四五六七八九十百千零]+条", label).group()

    mark = tg.mark()
    tg.push(tg.callback(answer, data))
    [original] = await tg.wait_for("sendMessage", since=mark)
    assert tg.calls_to("answerCallbackQuery", since=mark)
    assert original.text.startswith("《") and article in original.text.splitlines()[0]
    assert not tg.calls_to("editMessageText", since=mark)  # the answer stays; the article comes as a new message


async def test_article_75_is_quoted_verbatim(tg):
    [answer] = await exchange(tg, tg.text("未保法第75条"))
    assert "不得在每日二十二时至次日八时向未成年人提供网络游戏服务" in answer.text


async def test_every_button_press_is_answered_before_the_reply(tg):
    [menu] = await exchange(tg, tg.command("/start"))
    mark = tg.mark()
    tg.push(tg.callback(menu, "menu:hotline"))
    await tg.wait_for("sendMessage", since=mark)
    methods = [c.method for c in tg.calls[mark:]]
    assert methods.index("answerCallbackQuery") < methods.index("sendMessage")


async def test_law_browsing_edits_the_message_in_place(tg):
    [menu] = await exchange(tg, tg.command("/law"))
    _, first_law = menu.buttons[0]
    [chapters] = await exchange(tg, tg.callback(menu, first_law), "editMessageText")
    assert chapters.params["message_id"] == menu.result["message_id"]
    chapter = next(data for _, data in chapters.buttons if ":c" in data)
    [articles] = await exchange(tg, tg.callback(menu, chapter), "editMessageText")
    assert "第 1/" in articles.text

    paged = [d for _, d in articles.buttons if d.endswith(":p2")]
    if not paged:  # the first chapter fits on one page; find one that does not
        for _, data in chapters.buttons:
            if ":c" in data:
                [articles] = await exchange(tg, tg.callback(menu, data), "editMessageText")
                paged = [d for _, d in articles.buttons if d.endswith(":p2")]
                if paged:
                    break
    mark = tg.mark()
    [page2] = await exchange(tg, tg.callback(menu, paged[0]), "editMessageText")
    assert "第 2/" in page2.text and page2.params["message_id"] == menu.result["message_id"]
    assert not tg.calls_to("sendMessage", since=mark)


async def test_pressing_the_same_page_twice_is_quiet(tg, log_errors):
    [menu] = await exchange(tg, tg.command("/law"))
    _, first_law = menu.buttons[0]
    await exchange(tg, tg.callback(menu, first_law), "editMessageText")
    mark = tg.mark()
    tg.push(tg.callback(menu, first_law))  # same content again: Telegram says "message is not modified"
    await settle(tg)
    assert [c.status for c in tg.attempts("editMessageText", since=mark)] == [400]
    assert [c.params["chat_id"] for c in tg.calls_to("sendMessage", since=mark)] == [ADMIN["id"]]


async def test_an_injected_not_modified_is_swallowed(tg):
    [menu] = await exchange(tg, tg.command("/topics"))
    tg.not_modified("editMessageText")
    mark = tg.mark()
    tg.push(tg.callback(menu, menu.buttons[0][1]))
    await settle(tg)
    assert tg.attempts("editMessageText", since=mark)[0].status == 400
    assert len(tg.calls_to("sendMessage", since=mark)) == 1  # only the /help that settled the queue


async def test_a_message_that_can_no_longer_be_edited_gets_a_fresh_one(tg):
    [menu] = await exchange(tg, tg.command("/law"))
    tg.fail("editMessageText", 400, "Bad Request: message can't be edited")
    [fresh] = await exchange(tg, tg.callback(menu, menu.buttons[0][1]))
    assert fresh.buttons and fresh.params["chat_id"] == USER["id"]


async def test_a_stale_button_gets_a_polite_reply(tg, tg_assistant):
    [menu] = await exchange(tg, tg.command("/start"))
    [reply] = await exchange(tg, tg.callback(menu, "gone:42"))
    assert reply.text == tg_assistant.texts("stale_button")


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice"])
async def test_non_text_messages_get_a_note(tg, tg_assistant, kind):
    [reply] = await exchange(tg, getattr(tg, kind)())
    assert reply.text == tg_assistant.texts("non_text")


async def test_unknown_command_is_explained(tg, tg_assistant):
    [reply] = await exchange(tg, tg.command("/nosuchthing"))
    assert reply.text == tg_assistant.texts("unknown_command")


async def test_admins_see_staff_commands_in_help(tg):
    [public] = await exchange(tg, tg.command("/help"))
    [staff] = await exchange(tg, tg.command("/help", user=ADMIN))
    assert "/pending" not in public.text and "/pending" in staff.text


async def test_group_messages_are_answered_only_when_addressed(tg):
    mark = tg.mark()
    tg.push(tg.group_text("学校可以开除初中生吗"))                 # not for the bot
    tg.push(tg.command("/help@some_other_bot", chat=GROUP))      # for another bot
    tg.push(tg.photo(chat=GROUP))                                 # a photo in the group
    await settle(tg)
    assert [c.params["chat_id"] for c in tg.calls_to("sendMessage", since=mark)] == [ADMIN["id"]]

    asked = tg.group_text("学校可以开除初中生吗", mention=True)
    [answer] = await exchange(tg, asked)
    assert answer.params["chat_id"] == GROUP["id"] and "法律依据" in answer.text
    assert answer.params["reply_parameters"]["message_id"] == asked["message"]["message_id"]

    [followup] = await exchange(tg, tg.group_text("那小学呢？", reply_to=answer.result))
    assert followup.params["chat_id"] == GROUP["id"]
    [help_] = await exchange(tg, tg.command(f"/help@{BOT['username']}", chat=GROUP))
    assert help_.text.startswith("可用命令") or "/start" in help_.text


async def test_command_menu_is_registered_in_chinese(tg, tg_assistant):
    commands = tg_assistant.texts.commands
    public = tg.commands['{"type": "default"}']
    staff = tg.commands[f'{{"chat_id": {ADMIN["id"]}, "type": "chat"}}']
    assert [c["command"] for c in public] == [c.command for c in commands if not c.admin]
    assert [c["command"] for c in staff] == [c.command for c in commands]
    assert all(re.search(r"[\u4e00-\u9fff]", c["description"]) for c in staff)
    assert "pending" not in {c["command"] for c in public}
