"""Two small flows without state: the main menu (/start, /help, /cancel, menu: buttons) and the buttons under an
answer (art: original text, more: the other articles, faq: a related question, fb: 👍/👎)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from chat.ask import AskFlow
from chat.browse import BrowseFlow
from chat.state import ChatState
from chat.texts import Texts
from chat.types import Button, Event, Reply


class AnswerFlow:
    """The buttons under an answer; they work in group chats too."""

    name = "answer"
    commands: tuple[str, ...] = ()
    buttons = ("art", "faq", "fb", "more")
    public = True

    def __init__(self, asking: AskFlow, texts: Texts):
        self.asking, self.texts = asking, texts

    def start(self, event: Event, payload: str = "") -> list[Reply]:
        return [Reply(self.texts("ask_prompt"))]

    def on_command(self, event: Event) -> list[Reply]:
        return [Reply(self.texts("unknown_command"))]

    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]:
        prefix, _, rest = event.button.partition(":")
        if prefix == "art":
            return [self.asking.article(event.button)]
        if prefix == "faq":
            return [self.asking.faq(rest, event.user)]
        if prefix == "more":
            return [self.asking.more(event.button)]
        return [self.asking.feedback(event.button, event.user)]

    def on_text(self, event: Event, step: str, data: dict) -> list[Reply]:
        return [self.asking.ask(event.text, event.user)]


class MenuFlow:
    """/start (with deep links such as /start lec_12), /help, /cancel and the main menu's buttons."""

    name = "menu"
    commands = ("start", "help", "cancel")
    buttons = ("menu",)
    public = True
    DEEP_LINKS = {"lec": "lec", "book": "sch", "consent": "gdn"}  # /start payload prefix -> the flow it opens

    def __init__(self, state: ChatState, texts: Texts, browse: BrowseFlow,
                 enter: Callable[[Event, str, str], list[Reply] | None], command: Callable[[Event], list[Reply]]):
        self.state, self.texts, self.browse = state, texts, browse
        # open a flow by name with a payload, and run a /command: both through the Assistant's one guard
        self.enter, self.command = enter, command

    def main_menu(self) -> list[list[Button]]:
        t = self.texts
        return [[Button(t("btn_ask"), "menu:ask"), Button(t("btn_topics"), "menu:topics")],
                [Button(t("btn_law"), "menu:law"), Button(t("btn_hotline"), "menu:hotline")],
                [Button(t("btn_lectures"), "menu:lectures"), Button(t("btn_book"), "menu:book")],
                [Button(t("btn_my"), "menu:my")]]

    def start(self, event: Event, payload: str = "") -> list[Reply]:
        """/start, or a deep link such as /start lec_12 that opens a lecture directly."""
        link, _, rest = payload.partition("_")
        opened = self.enter(event, self.DEEP_LINKS[link], rest) if link in self.DEEP_LINKS else None
        if opened is not None:
            return opened
        return [Reply(self.texts("start"), self.main_menu())]

    def on_command(self, event: Event) -> list[Reply]:
        if event.command == "help":
            return [Reply(self.texts.help(event.is_admin))]
        if event.command == "cancel":
            had = self.state.get(event.user)
            self.state.clear(event.user)
            return [Reply(self.texts("cancelled" if had else "nothing_to_cancel"))]
        return self.start(event, event.args[0] if event.args else "")

    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]:
        _, _, rest = event.button.partition(":")
        if rest == "ask":
            return [Reply(self.texts("ask_prompt"))]
        if rest in ("law", "topics"):
            return [self.browse.law_menu(edit=True) if rest == "law" else self.browse.topic_menu(edit=True)]
        # the same user, admin right and chat (private or group) as the button press
        return self.command(replace(event, button="", text="", command=rest, args=()))

    def on_text(self, event: Event, step: str, data: dict) -> list[Reply]:
        return [Reply(self.texts("stale_button"))]  # keeps no state, so never holds a user's text
