"""Group chats: every entry point to personal data — /commands, menu buttons, flow buttons, deep links — is refused
by the one guard in the Assistant, and nothing is shown, started or changed."""
import pytest

from chat.types import Event
from tests.chat_fixtures import ADMIN, buttons, new_session, say, sign_up

NAME, PHONE = "欧阳翠花", "13912345678"


@pytest.fixture
def member(bot):
    """A group member (tg:1) who signed up in private, and a staff member (ADMIN) who is in the same group."""
    session = new_session(bot, capacity=5)
    sign_up(bot, "tg:1", name=NAME, phone=PHONE)
    return session


def assert_refused(bot, event, user="tg:1"):
    before = bot.state.get(user)
    replies = bot.handle(event)
    assert len(replies) == 1 and "私聊" in replies[0].text, (event, replies)
    text = replies[0].text
    assert NAME not in text and PHONE not in text and "139" not in text
    assert replies[0].attachment is None and not buttons(replies)
    assert bot.state.get(user) == before, event  # no form started, nothing changed
    return replies


def group(user="tg:1", **kw):
    return Event(user=user, public=True, is_admin=user == ADMIN, **kw)


def test_every_personal_data_command_is_refused_in_a_group(bot, member):
    for command in ("book", "my", "lectures", "privacy", "forget"):
        assert_refused(bot, group(command=command))
    for command in ("pending", "sessions", "stats", "unanswered", "export"):
        assert_refused(bot, group(ADMIN, command=command), ADMIN)


@pytest.mark.parametrize("target", ["privacy", "book", "forget", "my", "lectures"])
def test_menu_buttons_cannot_bypass_the_guard(bot, member, target):
    assert_refused(bot, group(button=f"menu:{target}"))


def test_menu_export_by_an_admin_in_a_group_sends_no_files(bot, member):
    for target in ("export", "pending", "sessions", "stats", "unanswered"):
        assert_refused(bot, group(ADMIN, button=f"menu:{target}"), ADMIN)
    private = say(bot, ADMIN, button="menu:export")  # the same button in private still works
    assert any(r.attachment for r in private)


def test_deep_links_cannot_bypass_the_guard(bot, member):
    for payload in ("book", f"lec_{member.id}", "consent_ABCD2345"):
        assert_refused(bot, group(command="start", args=(payload,)))
    assert f"lec:join:{member.id}" in buttons(say(bot, "tg:2", command="start", args=(f"lec_{member.id}",)))


def test_flow_buttons_are_refused_in_a_group(bot, member):
    for data in (f"lec:join:{member.id}", f"privacy:agree:lec:join:{member.id}", "privacy:forget", "lec:ok",
                 "sch:ok", "gdn:yes", "adm:export"):
        assert_refused(bot, group(ADMIN if data.startswith("adm") else "tg:1", button=data),
                       ADMIN if data.startswith("adm") else "tg:1")
    assert bot.desk.lectures.my_registrations("tg:1")[0].status == "confirmed"  # /forget did not run


def test_every_private_flow_is_unreachable_from_a_group(bot):
    """Whatever is added later: each command of a non-public flow, as a command and as a menu button."""
    private = [key[1:] for key, flow in bot.routes.table.items() if key.startswith("/") and not flow.public]
    assert {"book", "my", "privacy", "forget", "export"} <= set(private)
    for command in private:
        for event in (group(ADMIN, command=command), group(ADMIN, button=f"menu:{command}")):
            assert "私聊" in bot.handle(event)[0].text, event
    for link in bot.menu.DEEP_LINKS.values():
        assert not bot.routes.holding(link).public
