"""From real questions to better answers: staff attach a question to an entry or draft a new one, preview, publish.

A change is a draft (knowledge.changes) until someone publishes it: another staff member, or its author once they
have seen the preview — what the bot would answer, with the change, to the question and to its neighbours. Every
change runs content's own proofs first (knowledge.check.change_problems); any problem blocks it, in plain Chinese.
Publishing writes the desk's overlay (knowledge.overlay) and rebuilds in the background; the live engine swaps
(knowledge.live). Each published change can be undone. Nothing here knows a channel.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field, replace

from chat.context import FlowContext
from knowledge.build import gather
from knowledge.changes import DISCARDED, DRAFT, ENTRY, PHRASING, PUBLISHED, UNDONE, Change, ChangeStore
from knowledge.check import change_problems
from knowledge.config import KnowledgeSettings
from knowledge.content import AUDIENCES
from knowledge.engine import Engine
from knowledge.live import LiveEngine
from knowledge.normalize import normalize
from knowledge.overlay import Overlay, load_overlay, save_overlay

logger = logging.getLogger(__name__)

FIELD_NAMES = re.compile(r"(?<![A-Za-z])(question|paraphrases|answer|sources|audience|topic)(?![A-Za-z])")
NEIGHBOURS = 5          # neighbouring questions a preview also asks
SEARCH_RESULTS = 8


class ImproveError(Exception):
    """A desk change that cannot be made; the message says why, in Chinese."""


@dataclass
class PreviewLine:
    question: str
    before: str          # what the bot answers now: the entry's question, or how it declines
    after: str
    changed: bool


@dataclass
class Preview:
    change_id: int
    payload: dict
    running: bool = True
    problems: list[str] = field(default_factory=list)
    lines: list[PreviewLine] = field(default_factory=list)
    answer: str = ""     # the full reply to the question itself, with the change
    error: str = ""


class Improvement:
    """The desk's improve loop over one live engine and the chat's question log."""

    audiences = AUDIENCES

    def __init__(self, ctx: FlowContext, engine: LiveEngine):
        self.ctx, self.engine, self.texts = ctx, engine, ctx.texts
        self._store: ChangeStore | None = None
        self._lock = threading.Lock()    # one overlay write at a time
        self._trial = threading.Lock()   # one preview build at a time (they share the preview folder)
        self.previews: dict[int, Preview] = {}

    @property
    def settings(self) -> KnowledgeSettings:
        if self.engine.settings is None:
            raise ImproveError(self.texts("improve_no_settings"))
        return self.engine.settings

    @property
    def store(self) -> ChangeStore:
        """Opened on first use, so an assistant that never edits makes no file."""
        if self._store is None:
            self._store = ChangeStore(self.settings.overlay_dir / "changes.sqlite")
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    # ---- finding entries and articles ------------------------------------------------------------------
    def search_entries(self, text: str) -> list[tuple[str, str]]:
        """FAQ entries for 「归到已有问题」: (id, question), best first; an exact id comes first."""
        faq = self.engine.kb.faq
        found = [(text.strip(), faq[text.strip()]["question"])] if text.strip() in faq else []
        for cand in self._rank(text):
            if cand.kind == "faq" and cand.ref in faq and cand.ref not in dict(found):
                found.append((cand.ref, faq[cand.ref]["question"]))
        return found[:SEARCH_RESULTS]

    def search_articles(self, text: str) -> list[tuple[str, str]]:
        """Articles for a draft's sources: (key, 《short》第N条 + its beginning); 「未保法第75条」 finds that one."""
        kb, found = self.engine.kb, []
        for ref in self.engine.refs.find(normalize(text)):
            if row := kb.article(ref.law, ref.article, ref.suffix):
                found.append(row)
        found += [kb.articles[c.ref] for c in self._rank(text) if c.kind in ("article", "digest")
                  and c.ref in kb.articles]
        rows = list({row["key"]: row for row in found}.values())[:SEARCH_RESULTS]
        return [(row["key"], self.article_label(row["key"])) for row in rows]

    def article_label(self, key: str) -> str:
        row = self.engine.kb.articles.get(key)
        if row is None:
            return key
        short = self.engine.kb.laws.get(row["law"], {}).get("short", row["law"])
        body = (row["text"] or row["digest"] or row["title"]).replace("\n", " ")
        return f"《{short}》{row['label']}：{body[:40]}…"

    def _rank(self, text: str):
        try:
            return self.engine.selector.rank(normalize(text)[:400])
        except Exception:  # an odd search string finds nothing rather than failing the page
            logger.exception("search failed for %r", text)
            return []

    # ---- making drafts -----------------------------------------------------------------------------------
    def attach(self, actor: str, question_id: int, entry_id: str) -> int:
        """Draft: the logged question (masked as stored) becomes a new phrasing of an existing entry."""
        question = self._question(question_id)
        if entry_id not in self.engine.kb.faq:
            raise ImproveError(self.texts("improve_no_entry", id=entry_id))
        return self.store.add(PHRASING, entry_id, {"text": question["text"].strip()}, actor, question_id)

    def new_entry(self, actor: str, question_id: int | None) -> int:
        """Draft: a new entry prefilled with the question; staff complete answer, sources and phrasings."""
        text = self._question(question_id)["text"].strip() if question_id else ""
        topics = self.topics()
        draft = {"topic": topics[0] if topics else "", "audience": list(AUDIENCES), "question": text,
                 "paraphrases": [], "answer": "", "sources": []}
        change_id = self.store.add(ENTRY, "", draft, actor, question_id)
        entry_id = f"desk-{change_id}"
        self.store.edit(change_id, entry_id, {"id": entry_id, **draft})
        return change_id

    def edit_entry(self, change_id: int, fields: dict) -> Change:
        """Save a draft entry's fields: question, paraphrases, answer, sources (article keys), audience, topic."""
        change = self._draft(change_id, ENTRY)
        sources = []
        for key in fields.get("sources") or []:
            law, _, article = str(key).partition("#")
            sources.append({"law": law, "article": article if not article.isdigit() else int(article)})
        payload = {"id": change.entry_id, "topic": str(fields.get("topic") or change.payload.get("topic", "")),
                   "audience": [a for a in fields.get("audience") or [] if a],
                   "question": str(fields.get("question") or "").strip(),
                   "paraphrases": [p.strip() for p in fields.get("paraphrases") or [] if p.strip()],
                   "answer": str(fields.get("answer") or "").strip(), "sources": sources}
        self.store.edit(change_id, change.entry_id, payload)
        return self.store.get(change_id)

    def topics(self) -> list[str]:
        return sorted({row["topic"] for row in self.engine.kb.faq.values()})

    def dismiss(self, actor: str, question_ids: list[int], reason: str) -> int:
        """「不用处理」: the questions leave the list, with the reason recorded under the staff member's name."""
        reason = " ".join(reason.split())
        if not reason:
            raise ImproveError(self.texts("improve_reason_needed"))
        count = self.ctx.state.mark_reviewed(question_ids)
        self.ctx.desk.store.audit_note(actor, "questions_dismissed", "questions", {"ids": question_ids,
                                                                                   "reason": reason[:200]},
                                       self.ctx.now())
        return count

    def discard(self, actor: str, change_id: int) -> None:
        if not self.store.close_change(change_id, actor, DISCARDED, DRAFT):
            raise ImproveError(self.texts("improve_not_draft"))

    # ---- checking and previewing ------------------------------------------------------------------------
    def problems(self, change: Change) -> list[str]:
        """What content's proofs find wrong with this change (empty: it may be published), fields named as the
        desk names them (「回答」, not `answer`)."""
        found = change_problems(self.settings, self._with(load_overlay(self.settings.overlay_dir), change))
        name = lambda m: self.texts(f"improve_field_{m.group(0)}")  # noqa: E731
        return [FIELD_NAMES.sub(name, problem) for problem in found]

    def preview(self, actor: str, change_id: int) -> Preview:
        """Start building the knowledge base with this change in a private folder; the result lands in previews."""
        change = self._draft(change_id)
        current = self.previews.get(change_id)
        if current and current.running:
            return current
        preview = Preview(change_id, change.payload)
        self.previews[change_id] = preview
        threading.Thread(target=self._preview, args=(actor, change, preview), name="kb-preview", daemon=True).start()
        return preview

    def _preview(self, actor: str, change: Change, preview: Preview) -> None:
        try:
            preview.problems = self.problems(change)
            if not preview.problems:
                overlay = self._with(load_overlay(self.settings.overlay_dir), change)
                folder = self.settings.overlay_dir / "preview"
                trial = replace(self.settings, data_dir=folder)
                with self._trial:
                    save_overlay(trial.overlay_dir, overlay)
                    after = Engine.open(trial)
                preview.lines, preview.answer = self._compare(change, self.engine.current, after)
                self.store.previewed(change.id, change.payload, actor)
        except Exception as exc:  # shown on the page; the draft stays as it was
            logger.exception("preview of change %s failed", change.id)
            preview.error = str(exc)
        preview.running = False

    def _compare(self, change: Change, before: Engine, after: Engine) -> tuple[list[PreviewLine], str]:
        question = self._asked(change)
        entry_id = change.entry_id
        near = [cand.ref for cand in before.selector.rank(normalize(question)[:400])
                if cand.kind == "faq" and cand.ref != entry_id][:NEIGHBOURS - 2]
        own = after.kb.faq.get(entry_id, {})
        asked = [question, *own.get("paraphrases", [])[:2]]
        asked += [before.kb.faq[ref]["question"] for ref in near if ref in before.kb.faq]
        lines = []
        for text in list(dict.fromkeys(q for q in asked if q))[:NEIGHBOURS + 1]:
            old, new = self._says(before, text), self._says(after, text)
            lines.append(PreviewLine(text, old, new, old != new))
        return lines, after.answer(question).answer

    def _says(self, engine: Engine, text: str) -> str:
        """One line for a preview: which entry answers, or that the bot does not."""
        answer = engine.answer(text)
        if answer.answered and answer.matches:
            top = answer.matches[0]
            return self.texts("improve_answers_with", id=top.id, title=top.title)
        return self.texts("improve_answers_none",
                          why=self.texts("stats_declined" if answer.status == "offtopic" else "stats_unsure"))

    # ---- publishing ---------------------------------------------------------------------------------------
    def publish(self, actor: str, change_id: int) -> None:
        """Make a draft live: checked, then written to the desk's overlay, then rebuilt and swapped in."""
        change = self._draft(change_id)
        if change.author == actor and not change.previewed_by:
            raise ImproveError(self.texts("improve_preview_first"))
        if problems := self.problems(change):
            raise ImproveError(self.texts("improve_blocked", problems="\n".join(problems)))
        with self._lock:
            overlay = load_overlay(self.settings.overlay_dir)
            changed = self._with(overlay, change)
            before, after = self._entry(overlay, change.entry_id), self._entry(changed, change.entry_id)
            if not self.store.publish(change_id, actor, before, after):
                raise ImproveError(self.texts("improve_not_draft"))
            save_overlay(self.settings.overlay_dir, changed)
        if change.question_id:
            self.ctx.state.mark_reviewed([change.question_id])
        self.engine.rebuild()

    def undo(self, actor: str, change_id: int) -> None:
        """Take a published change back out; the entry answers as it did before it."""
        change = self.store.get(change_id)
        if change is None or change.status != PUBLISHED:
            raise ImproveError(self.texts("improve_not_published"))
        with self._lock:
            overlay = self._without(load_overlay(self.settings.overlay_dir), change)
            if not self.store.close_change(change_id, actor, UNDONE, PUBLISHED):
                raise ImproveError(self.texts("improve_not_published"))
            save_overlay(self.settings.overlay_dir, overlay)
        self.engine.rebuild()

    def drafts(self) -> list[Change]:
        return self.store.listed(DRAFT)

    def log(self) -> list[Change]:
        """Published changes, newest first, with those undone (who, when, what, before and after)."""
        return self.store.listed(PUBLISHED, UNDONE)

    def change(self, change_id: int) -> Change:
        change = self.store.get(change_id)
        if change is None:
            raise ImproveError(self.texts("improve_no_change"))
        return change

    # ---- helpers --------------------------------------------------------------------------------------------
    def _question(self, question_id: int) -> dict:
        row = self.ctx.state.question(question_id)
        if row is None:
            raise ImproveError(self.texts("improve_no_question"))
        return row

    def _asked(self, change: Change) -> str:
        if change.question_id and (row := self.ctx.state.question(change.question_id)):
            return row["text"]
        return change.payload.get("text") or change.payload.get("question", "")

    def _draft(self, change_id: int, kind: str | None = None) -> Change:
        change = self.change(change_id)
        if change.status != DRAFT or (kind and change.kind != kind):
            raise ImproveError(self.texts("improve_not_draft"))
        return change

    @staticmethod
    def _with(overlay: Overlay, change: Change) -> Overlay:
        result = overlay.copy()
        if change.kind == PHRASING:
            texts = result.phrasings.setdefault(change.entry_id, [])
            if change.payload["text"] not in texts:
                texts.append(change.payload["text"])
        else:
            result.entries[change.entry_id] = dict(change.payload)
        return result

    @staticmethod
    def _without(overlay: Overlay, change: Change) -> Overlay:
        result = overlay.copy()
        if change.kind == PHRASING:
            texts = result.phrasings.get(change.entry_id, [])
            if change.payload["text"] in texts:
                texts.remove(change.payload["text"])
        else:
            result.entries.pop(change.entry_id, None)
        return result

    def _entry(self, overlay: Overlay, entry_id: str) -> dict | None:
        """The entry as content plus these changes make it, for the change log's before/after."""
        found = next((e for e in gather(self.settings, overlay).content.faq if e.id == entry_id), None)
        if found is None:
            return None
        return {"question": found.question, "paraphrases": found.paraphrases, "answer": found.answer,
                "sources": [c.as_json() for c in found.sources]}

