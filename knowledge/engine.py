"""Answer a question: understand it, put help first when a child is in danger now, then look up or rank.

Stages, each in its own module: understanding (understand.py), danger (danger.py), requests that are not law
(intents.py), article look-ups (lookup.py), ranking (ranking.py), wording (render.py). This module only orders them
and decides how sure the answer is.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from knowledge import render
from knowledge.answer import Answer, Match
from knowledge.config import KnowledgeSettings
from knowledge.content import load_messages, load_scope, load_synonyms
from knowledge.danger import DangerDetector, load_danger_rules
from knowledge.intents import IntentReader, load_intents
from knowledge.kb import KnowledgeBase
from knowledge.lookup import Lookup, article_match
from knowledge.manifest import laws_db, read_manifest, source_fingerprint
from knowledge.model import SynonymRule, Trigger
from knowledge.normalize import compact, normalize
from knowledge.ranking import Candidate, Query, Ranker
from knowledge.segment import Segmenter
from knowledge.understand import Reader, Understanding, load_reader
from knowledge.vocabulary import vocabulary_file

logger = logging.getLogger(__name__)

MAX_QUESTION = 400        # characters read from a question; the rest is ignored
ANSWER_THRESHOLD = 0.28   # confidence (0-1) from which the bot answers a question about children or law
SURE_THRESHOLD = 0.40     # below this the answer says which question it is answering ("您问的可能是…")
OPEN_THRESHOLD = 0.55     # the same for a question with no sign of being about children or law
FAQ_PREFERENCE = 0.25     # a curated answer this much below the best article still comes first
LAW_MENTION_BOOST = 0.15  # added when a candidate rests on a law the question names
POLICY_ACCEPT = 0.3       # a work-plan item this similar comes first when the question asks about Pudong's plan
FAQ_ACCEPT = 0.45         # a curated answer this similar to the question always comes first
MISFIT_WEIGHT = 0.25      # share of a FAQ entry's score lost when it answers another question or the other side
HARM_MISFIT = 0.5         # misfit of an entry that never talks about the harm the question describes
TOP_MATCHES = 5
LONG_QUESTION = 40        # characters from which a question probably asks more than one thing
ALSO_THRESHOLD = 0.35     # how well another curated answer must fit to be offered as "also relevant"


class Engine:
    """The answer engine; build it with Engine.open(settings)."""

    def __init__(self, kb: KnowledgeBase, segmenter: Segmenter, synonyms: list[SynonymRule],
                 danger: DangerDetector, scope: tuple[list[Trigger], list[Trigger], list[Trigger]],
                 messages: dict[str, str], reader: Reader, intents: IntentReader,
                 statutes_db: Path | None = None):
        self.kb, self.segmenter, self.messages = kb, segmenter, messages
        self.danger, self.reader, self.intents = danger, reader, intents
        self.in_scope, self.offtopic, self.policy_intent = scope
        self.ranker = Ranker(kb, segmenter, synonyms)
        self.render = render.Renderer(kb, messages)
        self.lookup = Lookup(kb, self.render, statutes_db)
        self.refs = self.lookup.refs
        self.entry_sense = {fid: reader.read(segmenter.prepare(row["question"])) for fid, row in kb.faq.items()}
        self.entry_harms = {fid: self._harms(" ".join([row["question"], *row["paraphrases"]]))
                            for fid, row in kb.faq.items()}
        self.entry_topic_harms = {fid: self._harms(row["question"]) for fid, row in kb.faq.items()}

    @classmethod
    def open(cls, settings: KnowledgeSettings) -> "Engine":
        """Load the knowledge base, building it first when it is missing or content changed."""
        manifest = read_manifest(settings.kb_path)
        if not manifest or manifest.get("fingerprint") != source_fingerprint(settings):
            from knowledge.build import build  # only when needed: it is the slow import

            logger.info("knowledge base missing or out of date; building %s", settings.kb_path)
            manifest = build(settings)
        root = settings.content_dir
        stopwords = {w.strip() for w in (root / "stopwords.txt").read_text(encoding="utf-8").splitlines()
                     if w.strip() and not w.startswith("#")}
        segmenter = Segmenter(root / "dictionary.txt", stopwords, settings.data_dir / "cache",
                              vocabulary_file(settings, manifest["fingerprint"]))
        kb = KnowledgeBase.load(settings.kb_path, settings.data_dir / "cache")
        danger = DangerDetector(load_danger_rules(root, {c["number"] for c in kb.contacts}))
        return cls(kb, segmenter, load_synonyms(root), danger, load_scope(root), load_messages(root),
                   load_reader(root), IntentReader(load_intents(root)), laws_db(settings))

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
        elif intent:
            result = Answer(question, True, False, self.render.intent(intent.id, self.kb.contacts), [], "intent",
                            intent=intent.command)
        else:
            result = self._search(question, text, understood=understood, harms=harms)
        if danger.now and not legal_only:
            writer = understood.writer or ("child" if "我" in prepared else "")  # the one at risk writes
            return self.render.emergency(result, danger.alerts, writer, self.kb.contacts)
        if result.answered and result.status not in ("lookup", "intent"):
            result = self.render.for_writer(result, understood, danger.mentioned, self.kb.contacts)
        return result

    def _same_harm(self, harms: frozenset[str], faq_id: str) -> bool:
        """The entry is about the same harm as the question (or neither is about one): a verdict may carry over."""
        topic = self.entry_topic_harms[faq_id]
        return not topic if not harms else bool(harms & topic)

    def _harms(self, text: str) -> frozenset[str]:
        """The kinds of harm a text talks about (violence, sexual abuse, self-harm …), from the danger rules."""
        return frozenset(rule.id for rule in self.danger.rules if rule.mentioned(self.segmenter.prepare(text)))

    def rank(self, text: str, exclude: str | None = None, query: Query | None = None,
             understood: Understanding | None = None, harms: frozenset[str] | None = None) -> list[Candidate]:
        """Candidates best first: entries that answer the question asked, from its side, about the same harm,
        and curated answers first."""
        query = query or self.ranker.query(text)
        understood = understood or self.reader.read(query.prepared)
        harms = self._harms(query.prepared) if harms is None else harms
        ranked = self.ranker.rank(query, exclude)
        if not ranked:
            return ranked
        named = self.refs.laws_in(normalize(text))
        for cand in ranked:
            if named and any(s["law"] in named for s in self._sources(cand)):
                cand.score += LAW_MENTION_BOOST  # the user named a law: its articles fit better
            if cand.kind == "faq":
                misfit = self.reader.conflict(understood, self.entry_sense[cand.ref])
                if harms and not harms & self.entry_harms[cand.ref]:
                    misfit = min(1.0, misfit + HARM_MISFIT)

                cand.score *= 1 - MISFIT_WEIGHT * misfit
        ranked.sort(key=lambda c: c.score, reverse=True)
        prepared = query.prepared
        if any(t.fires(prepared) for t in self.policy_intent):  # "浦东…谁负责": the office's own plan answers
            best_policy = self._policy_for(prepared, exclude)
            if best_policy and best_policy.score >= POLICY_ACCEPT:
                ranked = [c for c in ranked if (c.kind, c.ref) != ("policy", best_policy.ref)]
                return [best_policy] + ranked
        best_faq = next((c for c in ranked if c.kind == "faq"), None)
        if best_faq and best_faq is not ranked[0] and (
                best_faq.score >= FAQ_ACCEPT or best_faq.score + FAQ_PREFERENCE >= ranked[0].score):
            ranked.remove(best_faq)
            ranked.insert(0, best_faq)
        return ranked

    def _sources(self, cand: Candidate) -> list[dict]:
        if cand.kind == "faq":
            return self.kb.faq[cand.ref]["sources"]
        if cand.kind in ("article", "digest"):
            return [{"law": self.kb.articles[cand.ref]["law"]}]
        return []

    def _policy_for(self, prepared: str, exclude: str | None) -> Candidate | None:
        """The work-plan item the question is about, judged without the words every such question shares."""
        core = prepared
        names = [normalize(p) for item in self.kb.policies.values() for p in item["projects"]]
        for trigger in self.policy_intent:
            for group in trigger.groups:
                for phrase in sorted(group, key=len, reverse=True):
                    if not any(phrase in name for name in names):  # keep 童悦空间, drop 谁负责
                        core = core.replace(phrase, " ")
        ranked = self.ranker.rank(self.ranker.query(core), exclude) if core.strip() else []
        return next((c for c in ranked if c.kind == "policy"), None)

    @staticmethod
    def confidence(best: Candidate) -> float:
        """0-1: how sure the engine is that the best candidate answers the question."""
        return min(1.0, best.score)

    def _search(self, question: str, text: str, exclude: str | None = None,
                understood: Understanding | None = None, harms: frozenset[str] | None = None) -> Answer:
        query = self.ranker.query(text)
        understood = understood or self.reader.read(query.prepared)
        harms = self._harms(query.prepared) if harms is None else harms
        ranked = self.rank(text, exclude, query, understood, harms)
        matches = self._diverse([self._match(c) for c in ranked[:TOP_MATCHES * 4]])
        confidence = self.confidence(ranked[0]) if ranked else 0.0
        prepared = query.prepared
        in_scope = query.expanded or any(t.fires(prepared) for t in self.in_scope)
        offtopic = not in_scope and any(t.fires(prepared) for t in self.offtopic)
        threshold = ANSWER_THRESHOLD if in_scope else OPEN_THRESHOLD
        thin = not in_scope and len(query.typed) < 2          # one stray word is not a question to answer
        if not ranked or confidence < threshold or offtopic or thin:
            status = "offtopic" if offtopic or not in_scope else "unsure"
            suggestions = [m for m in matches if m.kind == "faq"][:3] if status == "unsure" else []
            text_out = self.render.offtopic() if status == "offtopic" else self.render.unsure(suggestions)
            return Answer(question, False, False, text_out, matches, status, suggestions=suggestions,
                          confidence=confidence)
        top = matches[0]
        suggestions = self._related(top, matches)
        if top.kind == "faq":
            sense = self.entry_sense[top.id]
            sure = confidence >= SURE_THRESHOLD
            same = self.reader.same_question(understood, sense) and self._same_harm(harms, top.id)
            verdict = "" if sure and same else self.reader.verdict(top.text)
            body = self.render.faq(top, verdict)
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

    # ---- building matches ---------------------------------------------------------------------
    @staticmethod
    def _diverse(matches: list[Match]) -> list[Match]:
        """Best first, then only matches that add an article not already cited above them."""
        if not matches:
            return matches
        chosen, seen = [matches[0]], {(s["law"], s["article"]) for s in matches[0].sources}
        for match in matches[1:]:
            keys = {(s["law"], s["article"]) for s in match.sources}
            if (keys - seen or (not keys and match.kind == "policy")) and len(chosen) < TOP_MATCHES:
                chosen.append(match)
                seen |= keys
        return chosen

    def _match(self, cand: Candidate) -> Match:
        score = round(cand.score, 4)
        if cand.kind == "faq":
            row = self.kb.faq[cand.ref]
            return Match("faq", row["id"], row["question"], row["answer"], score, row["sources"],
                         self.render.documents(row["id"]))
        if cand.kind == "policy":
            row = self.kb.policies[cand.ref]
            return Match("policy", str(row["number"]), row["title"], row["summary"], score, [])
        return article_match(self.kb.articles[cand.ref], score)

    def article_match(self, row: dict, score: float) -> Match:
        return article_match(row, score)

    def _related(self, top: Match, matches: list[Match]) -> list[Match]:
        """Two or three other questions worth offering next to the answer."""
        related = []
        if top.kind == "faq":
            for fid in self.kb.faq[top.id]["related"]:
                row = self.kb.faq.get(fid)
                if row:
                    related.append(Match("faq", fid, row["question"], row["answer"], 0.0, row["sources"]))
        related += [m for m in matches[1:] if m.kind == "faq" and m.id not in {r.id for r in related}]
        return related[:3]
