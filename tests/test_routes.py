"""The Assistant's one routing table: every command and button prefix goes to exactly one Flow."""
import pytest

from chat.flow import Flow, Routes
from chat.types import Event


def test_every_flow_keeps_the_protocol(bot):
    for flow in bot.routes.flows.values():
        assert isinstance(flow, Flow), flow


def test_every_command_in_the_menu_is_routed(bot):
    for command in bot.texts.commands:
        assert bot.routes.command(command.command) is not None, command.command


def test_what_group_chats_may_use(bot):
    public = {key for key, flow in bot.routes.table.items() if flow.public}
    assert public == {"/start", "/help", "/cancel", "/law", "/topics", "/hotline",
                      "menu:", "art:", "faq:", "fb:", "more:", "law:", "top:"}
    assert "私聊" in bot.handle(Event(user="tg:1", button="nothing:here", public=True))[0].text
    assert "过期" in bot.handle(Event(user="tg:1", button="nothing:here"))[0].text


def test_a_key_routed_twice_is_refused(bot):
    with pytest.raises(ValueError, match="/law"):
        Routes([bot.browse, type("Other", (), {"name": "x", "commands": ("law",), "buttons": (), "public": True})()])
