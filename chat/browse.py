"""Browsing without typing: laws by chapter and article, FAQ by topic, the hotline card."""
from __future__ import annotations

from typing import Callable

from chat.ask import LawIndex
from chat.paging import nav_row, page
from chat.texts import Texts
from chat.types import Button, Event, Reply
from knowledge.engine import Engine


AUDIENCE_FILTERS = ("全部", "家长", "学生", "学校")


class BrowseFlow:
    """/law, /topics and /hotline; buttons edit the message in place. A Flow (chat.flow) without state.

    `ask` answers /law with an article number or name (「/law 75」 is 未保法第75条)."""

    name = "browse"
    commands = ("law", "topics", "hotline")
    buttons = ("law", "top")
    public = True

    def __init__(self, engine: Engine, texts: Texts, laws: LawIndex, ask: Callable[[str], Reply] | None = None):
        self.engine, self.texts, self.laws, self.ask = engine, texts, laws, ask
        self.topics = list(dict.fromkeys(row["topic"] for row in self.kb.faq.values()))

    @property
    def kb(self):
        return self.engine.kb  # the live one: entries published on the desk show without a restart

    # ---- Flow protocol --------------------------------------------------------------------------------

    def start(self, event: Event, payload: str = "") -> list[Reply]:
        return [self.law_menu()]

    def on_command(self, event: Event) -> list[Reply]:
        if event.command == "topics":
            return [self.topic_menu()]
        if event.command == "hotline":
            return [self.hotline()]
        if not event.args or self.ask is None:
            return [self.law_menu()]
        text = " ".join(event.args)
        return [self.ask(f"未保法第{text}条" if text.isdigit() else text, event.user)]

    def on_button(self, event: Event, step: str, data: dict) -> list[Reply]:
        prefix, _, rest = event.button.partition(":")
        if prefix == "law":
            return [self.law_menu(edit=True) if rest == "menu" else self.law(event.button)]
        return [self.topic_menu(edit=True) if rest == "menu" else self.topic(event.button)]

    def on_text(self, event: Event, step: str, data: dict) -> list[Reply]:
        return [Reply(self.texts("stale_button"))]  # keeps no state, so never holds a user's text

    # ---- pages ------------------------------------------------------------------------------------------
    def _chapters(self, law: str) -> list[str]:
        return list(dict.fromkeys(a["chapter"] or "正文" for a in self.kb.law_articles(law)))

    def law_menu(self, edit: bool = False) -> Reply:
        rows = [[Button(self.kb.laws[name]["short"], f"law:{i}")] for i, name in enumerate(self.laws.names)]
        return Reply(self.texts("law_pick"), rows, edit=edit)

    def law(self, data: str) -> Reply:
        """Route law:<i>, law:<i>:c<j> and law:<i>:c<j>:p<k>."""
        parts = data.split(":")[1:]
        try:
            name = self.laws.names[int(parts[0])]
        except (ValueError, IndexError):
            return Reply(self.texts("stale_button"))
        chapters = self._chapters(name)
        version = self.engine.render.version(name)
        if len(parts) == 1 or not parts[1].startswith("c"):
            if len(chapters) == 1:
                return self._articles(parts[0], name, chapters, 0, 1)
            rows = [[Button(ch[:40], f"law:{parts[0]}:c{j}")] for j, ch in enumerate(chapters)]
            rows.append([Button(self.texts("btn_back"), "law:menu")])
            return Reply(self.texts("law_chapters", law=name, version=version), rows, edit=True)
        try:
            chapter_no = int(parts[1][1:])
            page_no = int(parts[2][1:]) if len(parts) > 2 else 1
            chapters[chapter_no]
        except (ValueError, IndexError):
            return Reply(self.texts("stale_button"))
        return self._articles(parts[0], name, chapters, chapter_no, page_no)

    def _articles(self, law_no: str, name: str, chapters: list[str], chapter_no: int, page_no: int) -> Reply:
        chapter = chapters[chapter_no]
        articles = [a for a in self.kb.law_articles(name) if (a["chapter"] or "正文") == chapter]
        items, page_no, pages = page(articles, page_no, size=12)
        buttons = [Button(f"{a['label']}" + (f" {a['title']}" if a["title"] else ""),
                          self.laws.code(name, a["number"], a["suffix"])) for a in items]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        nav = nav_row(f"law:{law_no}:c{chapter_no}", page_no, pages, self.texts("btn_prev"), self.texts("btn_next"))
        if nav:
            rows.append(nav)
        rows.append([Button(self.texts("btn_back"), f"law:{law_no}" if len(chapters) > 1 else "law:menu")])
        text = self.texts("law_articles", law=name, chapter=chapter, page=page_no, pages=pages)
        return Reply(text, rows, edit=True)

    def topic_menu(self, edit: bool = False) -> Reply:
        rows = [[Button(t, f"top:{i}")] for i, t in enumerate(self.topics)]
        return Reply(self.texts("topics_pick"), rows, edit=edit)

    def topic(self, data: str) -> Reply:
        """Route top:<i>, top:<i>:a<audience> and top:<i>:a<audience>:p<page>."""
        parts = data.split(":")[1:]
        try:
            index = int(parts[0])
            topic = self.topics[index]
            audience = int(parts[1][1:]) if len(parts) > 1 else 0
            page_no = int(parts[2][1:]) if len(parts) > 2 else 1
            who = AUDIENCE_FILTERS[audience]
        except (ValueError, IndexError):
            return Reply(self.texts("stale_button"))
        entries = [row for row in self.kb.faq.values()
                   if row["topic"] == topic and (audience == 0 or who in row["audience"])]
        items, page_no, pages = page(entries, page_no)
        filters = [Button(("✅" if i == audience else "") + label, f"top:{index}:a{i}")
                   for i, label in enumerate(AUDIENCE_FILTERS)]
        rows = [filters] + [[Button(row["question"][:60], f"faq:{row['id']}"[:64])] for row in items]
        nav = nav_row(f"top:{index}:a{audience}", page_no, pages, self.texts("btn_prev"), self.texts("btn_next"))
        if nav:
            rows.append(nav)
        rows.append([Button(self.texts("btn_back"), "top:menu")])
        return Reply(self.texts("topic_entries", topic=topic, page=page_no, pages=pages), rows, edit=True)

    def hotline(self) -> Reply:
        lines = [self.texts("hotline_header")]
        lines += [self.texts("hotline_line", number=c["number"], name=c["name"], purpose=c["purpose"], when=c["when"])
                  for c in self.kb.contacts]
        return Reply("\n\n".join(lines))
