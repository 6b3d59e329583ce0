"""Answer a question: understand it, put help first when a child is in danger now, then look up or rank.

Stages, each in its own module: understanding (understand.py), danger (danger.py), requests that are not law
(intents.py), article look-ups (lookup.py), recall and similarity (ranking.py), choosing among candidates
(selection.py), building matches (matches.py), wording (render.py). This module only orders them and decides how
sure the answer is.
"""
from __future__ import annotations

import logging
from pathlib import Path

from knowledge import danger_model, learned, render, startup
from knowledge.answer import Answer
from knowledge.config import KnowledgeSettings
from knowledge.content import load_messages, load_scope, load_synonyms
from knowledge.danger import DangerDetector
from knowledge.intents import IntentReader, load_intents
from knowledge.kb import KnowledgeBase
from knowledge.learned import Model
from knowledge.lookup import Lookup
from knowledge.matches import TOP_MATCHES, MatchBuilder
from knowledge.manifest import laws_db, read_manifest, source_fingerprint
from knowledge.model import SynonymRule, Trigger
from knowledge.normalize import compact, normalize
from knowledge.ranking import Candidate, Ranker
from knowledge.segment import Segmenter
from knowledge.selection import Selector
from knowledge.understand import Reader, Understanding, load_reader
from knowledge.vocabulary import vocabulary_file

logger = logging.getLogger(__name__)

MAX_QUESTION = 400        # characters read from a question; the rest is ignored
ANSWER_THRESHOLD = 0.28   # without a learned model: confidence (0-1) from which the bot answers (the build chooses
                          # the model's own threshold out of fold: knowledge.training)
SURE_THRESHOLD = 0.40     # below this the answer says which question it is answering ("您问的可能是…")
OPEN_THRESHOLD = 0.55     # the least for a question with no sign of being about children or law
LONG_QUESTION = 40        # characters from which a question probably asks more than one thing
ALSO_THRESHOLD = 0.35     # how well another curated answer must fit to be offered as "also relevant"


class Engine:
    """The answer engine; build it with Engine.open(settings)."""

    def __init__(self, kb: KnowledgeBase, segmenter: Segmenter, synonyms: list[SynonymRule],
                 danger: DangerDetector, scope: tuple[list[Trigger], list[Trigger], list[Trigger]],
                 messages: dict[str, str], reader: Reader, intents: IntentReader,
                 statutes_db: Path | None = None, model: Model | None = None, precomputed: dict | None = None):
        self.kb, self.segmenter, self.messages = kb, segmenter, messages
        self.danger, self.reader, self.intents = danger, reader, intents
        self.in_scope, self.offtopic, self.policy_intent = scope
        self.ranker = Ranker(kb, segmenter, synonyms, startup.ranker_part(precomputed, len(kb.docs)))
        self.render = render.Renderer(kb, messages, reader)
        self.lookup = Lookup(kb, self.render, statutes_db)
        self.refs = self.lookup.refs
        self.selector = Selector(kb, segmenter, self.ranker, reader, danger, self.refs, self.policy_intent, model,
                                 startup.selector_part(precomputed, kb.faq))
        self.build = MatchBuilder(kb, self.render)

    @classmethod
    def open(cls, settings: KnowledgeSettings) -> "Engine":
        """Load the knowledge base, building it first when it is missing or content changed."""
        manifest = read_manifest(settings.kb_path)
        if not manifest or manifest.get("fingerprint") != source_fingerprint(settings):
            from knowledge.build import build  # only when needed: it is the slow import

            logger.info("knowledge base missing or out of date; building %s", settings.kb_path)
            manifest = build(settings)
        return cls.load(settings, settings.kb_path, vocabulary_file(settings, manifest["fingerprint"]))

    @classmethod
    def load(cls, settings: KnowledgeSettings, path: Path, vocabulary: Path | None = None,
             segmenter: Segmenter | None = None) -> "Engine":
        """An engine over one knowledge base file as it is (the build trains on one before it replaces the old)."""
        root = settings.content_dir
        if segmenter is None:
            stopwords = {w.strip() for w in (root / "stopwords.txt").read_text(encoding="utf-8").splitlines()
                         if w.strip() and not w.startswith("#")}
            segmenter = Segmenter(root / "dictionary.txt", stopwords, settings.data_dir / "cache", vocabulary)
        kb = KnowledgeBase.load(path, settings.data_dir / "cache")
        numbers = {c["number"] for c in kb.contacts}
        danger = DangerDetector.load(root, numbers)
        danger_model.attach(danger, path, root, numbers)
        engine = cls(kb, segmenter, load_synonyms(root), danger, load_scope(root), load_messages(root),
                     load_reader(root), IntentReader(load_intents(root)), laws_db(settings), learned.load(path),
                     startup.load(path))
        engine.settings = settings  # what a rebuild after a desk change reads (knowledge.live)
        return engine

    # ---- the pipeline -------------------------------------------------------------------------
    def answer(self, question: str, *, legal_only: bool = False) -> Answer:
        """The reply to one question, never raising on odd input.

        `legal_only` skips crisis help and requests: the legal answer behind an emergency reply's button."""
        text = normalize(question)[:MAX_QUESTION]
        if not compact(text):
            return Answer(question, False, False, self.messages["empty_question"].strip(), [], "empty")
        prepared = self.segmenter.prepare(text)
        understood = self.reader.read(prepared)
        danger = self.danger.detect(prepared, understood)
        refs = self.refs.find(text)
        harms = frozenset(rule.id for rule in (*danger.alerts, *danger.mentioned))
        intent = None if refs or legal_only else self.intents.match(prepared, understood, bool(harms))
        if refs:
            result = self.lookup.answer(question, refs)
        elif intent:  # the flow answers; the legal matches stay for whoever reads the contract (「12355是做什么的」)
            legal = self._search(question, text, understood=understood, harms=harms)
            result = Answer(question, True, False, self.render.intent(intent.id, self.kb.contacts),
                            legal.matches if legal.answered else [], "intent", intent=intent.command)
        else:
            result = self._search(question, text, understood=understood, harms=harms)
        if danger.now and not legal_only:
            writer = understood.writer or ("child" if "我" in prepared else "")  # the one at risk writes
            return self.render.emergency(result, danger.alerts, writer, self.kb.contacts, danger.situations)
        if result.answered and result.status not in ("lookup", "intent"):
            result = self.render.for_writer(result, understood, danger.mentioned, self.kb.contacts)
        return result

    @staticmethod
    def confidence(best: Candidate) -> float:
        """0-1: how sure the engine is that the best candidate answers the question."""
        return min(1.0, best.score)

    def _search(self, question: str, text: str, exclude: str | None = None,
                understood: Understanding | None = None, harms: frozenset[str] | None = None) -> Answer:
        query = self.ranker.query(text)
        understood = understood or self.reader.read(query.prepared)
        harms = self.selector.harms(query.prepared) if harms is None else harms
        ranked = self.selector.rank(text, exclude, query, understood, harms)
        matches = self.build.diverse([self.build.match(c) for c in ranked[:TOP_MATCHES * 4]])
        confidence = self.confidence(ranked[0]) if ranked else 0.0
        prepared = query.prepared
        in_scope = query.expanded or any(t.fires(prepared) for t in self.in_scope)
        offtopic = not in_scope and any(t.fires(prepared) for t in self.offtopic)
        answer_at = model.threshold if (model := self.selector.model) and model.reranker else ANSWER_THRESHOLD
        threshold = answer_at if in_scope else max(answer_at, OPEN_THRESHOLD)
        thin = not in_scope and len(query.typed) < 2          # one stray word is not a question to answer
        if not ranked or confidence < threshold or offtopic or thin:
            status = "offtopic" if offtopic or not in_scope else "unsure"
            suggestions = [m for m in matches if m.kind == "faq"][:3] if status == "unsure" else []
            text_out = self.render.offtopic() if status == "offtopic" else self.render.unsure(suggestions)
            return Answer(question, False, False, text_out, matches, status, suggestions=suggestions,
                          confidence=confidence)
        top = matches[0]
        suggestions = self.build.related(top, matches)
        if top.kind == "faq":
            sense = self.selector.entry_sense[top.id]
            sure = confidence >= SURE_THRESHOLD
            same = self.reader.same_question(understood, sense) and self.selector.same_harm(harms, top.id)
            verdict = "" if sure and same else self.reader.verdict(top.text)
            body = self.render.faq(top, verdict, understood, sure=sure)
            if sure and (verdict or self.reader.other_side(understood, sense)):  # say which question this answers
                body = self.render.answering(top) + "\n\n" + body
        elif top.kind == "policy":
            body = self.render.policy(self.kb.policies[top.id])
        else:
            body = self.render.articles([m for m in matches[:2] if m.kind in ("article", "digest")])
        if confidence < SURE_THRESHOLD:
            body = self.render.tentative(top) + "\n\n" + body
        also = [m for m in matches[1:] if m.kind == "faq" and m.score >= ALSO_THRESHOLD][:2]
        if len(compact(text)) >= LONG_QUESTION and also:  # long, messy questions often ask several things
            body += "\n\n" + self.render.also(also)
        return Answer(question, True, False, body, matches, top.kind, suggestions=suggestions,
                      confidence=confidence)
