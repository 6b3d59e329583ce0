"""Questions in, answers out: the reply with its legal basis, source buttons, related questions and feedback."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import replace

from chat.state import ChatState
from chat.texts import Texts
from chat.types import Button, Event, Reply, button_parts, small_number
from knowledge.answer import Answer
from knowledge.engine import Engine
from knowledge.lookup import article_match
from knowledge.numerals import int_to_cn

SUFFIXES = {"": "", "之一": "a", "之二": "b", "之三": "c"}
VOTE_KEY = "vote_key"  # chat-state setting (of no user) holding the key that signs 👍/👎 buttons
INTENT_BUTTONS = {"hotline": "btn_hotline", "my": "btn_my", "lectures": "btn_lectures", "book": "btn_book",
                  "privacy": "btn_privacy"}


class LawIndex:
    """Short, stable button codes for laws and articles (callback data has 64 bytes)."""

    def __init__(self, engine: Engine):
        self.names = list(engine.kb.laws)

    def code(self, law: str, number: int, suffix: str = "") -> str:
        return f"art:{self.names.index(law)}:{number}{SUFFIXES.get(suffix, '')}"

    def parse(self, data: str) -> tuple[str, int, str] | None:
        """(law, article, suffix) from 'art:0:75', or None when the button is stale."""
        try:
            _, law_no, raw = data.split(":")
            suffix = next((s for s, c in SUFFIXES.items() if c and raw.endswith(c)), "")
            number = int(raw.rstrip("abc"))
            return self.names[int(law_no)], number, suffix
        except (ValueError, IndexError):
            return None


class AskFlow:
    """Answers free text and renders the engine's answer with its buttons."""

    def __init__(self, engine: Engine, state: ChatState, texts: Texts, laws: LawIndex,
                 run: Callable[[Event], list[Reply]] | None = None):
        self.engine, self.state, self.texts, self.laws = engine, state, texts, laws
        self.run = run  # runs a /command through the Assistant's one guard: a request opens its flow at once
        key = state.setting("", VOTE_KEY)
        if key is None:
            key = secrets.token_urlsafe(32)
            state.set_setting("", VOTE_KEY, key)
        self._vote_key = key.encode()

    def ask(self, question: str, user: str) -> Reply:
        """Answer a question and log it anonymously for staff review; only `user` may vote on the answer."""
        return self.render(*self._answer(question), user)

    def reply(self, event: Event) -> list[Reply]:
        """Typed text in a private chat: the answer, or for a request (「我想报名听讲座」) its flow at once."""
        answer, qid = self._answer(event.text)
        if answer.intent and self.run is not None:
            return self.run(replace(event, text="", command=answer.intent, args=()))
        return [self.render(answer, qid, event.user)]

    def _answer(self, question: str) -> tuple[Answer, int]:
        answer = self.engine.answer(question)
        top = answer.matches[0] if answer.matches else None
        qid = self.state.log_question(question, answer.answered, answer.status, top.kind if top else "",
                                      top.id if top else "", answer.confidence, self._topic(top))
        return answer, qid

    def vote_tag(self, user: str, qid: int) -> str:
        """What a 👍/👎 button carries besides the question's number: an HMAC over the user shown the answer and
        the question, so nobody can vote on another's answer by its sequential number."""
        mac = hmac.new(self._vote_key, f"{user}\n{qid}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:9]).decode()

    def _topic(self, top) -> str:
        """The topic a question counts under in the statistics."""
        if top is None:
            return ""
        if top.kind == "faq":
            return self.engine.kb.faq[top.id]["topic"]
        return {"policy": "浦东工作要点"}.get(top.kind, "法条查询")

    def render(self, answer: Answer, qid: int, user: str) -> Reply:
        if answer.emergency:
            return self._crisis(answer)
        if answer.intent:
            label = self.texts(INTENT_BUTTONS[answer.intent])
            return Reply(answer.answer, [[Button(label, f"menu:{answer.intent}")]], calls=answer.calls)
        rows: list[list[Button]] = []
        if answer.answered:
            top = answer.matches[0] if answer.matches else None
            if top is not None and top.kind == "faq" and answer.status != "lookup":
                row = self.engine.kb.faq.get(top.id) or {}
                child = bool(row.get("child")) and row["child"] in answer.answer
                key, rest = self.engine.render.weigh(top.id, top.sources, answer.answer.split("\n\n法律依据")[0])
                rows += self._sources(key)
                if rest:
                    rows.append([Button(self.texts("btn_more_basis"), f"more:{top.id}:{'c' if child else 'a'}"[:64])])
            else:
                rows += self._sources(answer.cited[:4])
        for match in answer.suggestions[:3]:
            rows.append([Button(match.title[:60], f"faq:{match.id}"[:64])])
        if answer.status not in ("empty", "offtopic"):
            tag = self.vote_tag(user, qid)
            rows.append([Button(self.texts("btn_up"), f"fb:up:{qid}:{tag}"),
                         Button(self.texts("btn_down"), f"fb:down:{qid}:{tag}")])
        rows.append([Button(self.texts("btn_human"), "menu:hotline")])
        return Reply(answer.answer, rows, calls=answer.calls)

    def _sources(self, sources: list[dict]) -> list[list[Button]]:
        """One 查看原文 button per article whose text the knowledge base holds."""
        rows = []
        for source in sources:
            if source["law"] in self.laws.names:
                label = f"{self.engine.kb.laws[source['law']]['short']}第{int_to_cn(source['article'])}条" \
                        f"{source.get('suffix', '')}"
                rows.append([Button(self.texts("btn_source", label=label)[:40],
                                    self.laws.code(source["law"], source["article"], source.get("suffix", "")))])
        return rows

    def more(self, data: str) -> Reply:
        """The articles behind 「更多依据」, each with its 查看原文 button."""
        faq_id, rest = button_parts(data)
        child = rest[0] if rest else ""
        if faq_id not in self.engine.kb.faq:
            return Reply(self.texts("stale_button"))
        text, sources = self.engine.render.more_basis(faq_id, child == "c")
        return Reply(text, self._sources(sources))

    def _crisis(self, answer: Answer) -> Reply:
        """Help first and only help: no law, no feedback; one button leads to the legal answer."""
        rows = []
        top = answer.matches[0] if answer.matches else None
        if top is not None and top.kind == "faq":
            rows.append([Button(self.texts("btn_legal_answer"), f"faq:{top.id}"[:64])])
        elif top is not None and top.kind in ("article", "digest"):
            source = top.sources[0]
            rows.append([Button(self.texts("btn_legal_answer"),
                                self.laws.code(source["law"], source["article"], source.get("suffix", "")))])
        rows.append([Button(self.texts("btn_hotline"), "menu:hotline")])
        return Reply(answer.answer, rows, calls=answer.calls)

    def faq(self, faq_id: str, user: str) -> Reply:
        """Show a curated answer chosen from a button."""
        row = self.engine.kb.faq.get(faq_id)
        if row is None:
            return Reply(self.texts("stale_button"))
        answer = self.engine.answer(row["question"], legal_only=True)
        return self.render(answer, self.state.log_question(row["question"], answer.answered, answer.status, "faq",
                                                           faq_id, answer.confidence, row["topic"]), user)

    def article(self, data: str) -> Reply:
        """The verbatim text (or digest) of one article, from a 查看原文 button."""
        parsed = self.laws.parse(data)
        row = self.engine.kb.article(*parsed) if parsed else None
        if row is None:
            return Reply(self.texts("stale_button"))
        match = article_match(row, 1.0)
        return Reply(self.engine.render.articles([match]))

    def feedback(self, data: str, user: str) -> Reply:
        """Record a 👍/👎 from the user who was shown the answer (the button's tag proves it)."""
        vote, rest = button_parts(data)
        number = small_number(rest[0]) if len(rest) == 2 else None
        if number is None or not hmac.compare_digest(rest[1], self.vote_tag(user, number)) \
                or not self.state.vote(number, 1 if vote == "up" else -1):
            return Reply(self.texts("stale_button"))
        return Reply(self.texts("feedback_thanks" if vote == "up" else "feedback_sorry"))
