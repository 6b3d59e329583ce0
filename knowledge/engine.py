"""Answer a question: emergencies first, direct article look-ups, then ranked retrieval with a calibrated confidence."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from knowledge import render
from knowledge.answer import Answer, Match
from knowledge.build import build, read_manifest, source_fingerprint
from knowledge.config import KnowledgeSettings
from knowledge.content import load_emergency, load_messages, load_synonyms
from knowledge.kb import KnowledgeBase
from knowledge.model import EmergencyRule, SynonymRule, Trigger
from knowledge.normalize import compact, normalize
from knowledge.refs import ReferenceParser
from knowledge.segment import Segmenter

logger = logging.getLogger(__name__)

MAX_QUESTION = 400        # characters read from a question; the rest is ignored
EXPANSION_WEIGHT = 0.5    # a synonym's pull relative to a word the user typed
ANSWER_THRESHOLD = 0.42   # confidence (0-1) from which the bot answers instead of saying it is not sure
FAQ_PREFERENCE = 0.12     # bonus that lets a fitting curated answer outrank a bare article
TOP_MATCHES = 5


@dataclass
class Candidate:
    kind: str
    ref: str
    lexical: float = 0.0
    fuzzy: float = 0.0
    coverage: float = 0.0
    score: float = 0.0


class Engine:
    """The answer engine; build it with Engine.open(settings)."""

    def __init__(self, kb: KnowledgeBase, segmenter: Segmenter, synonyms: list[SynonymRule],
                 emergency: list[EmergencyRule], offtopic: list[Trigger], messages: dict[str, str]):
        self.kb, self.segmenter, self.synonyms = kb, segmenter, synonyms
        self.emergency_rules, self.offtopic, self.messages = emergency, offtopic, messages
        aliases = {}
        for law in kb.laws.values():
            for alias in [law["name"], law["short"], *law["aliases"]]:
                aliases[normalize(alias)] = law["name"]
        self.refs = ReferenceParser(aliases)
        self._ref_terms: dict[tuple[str, str], set[str]] = {}
        for doc in kb.docs:
            self._ref_terms.setdefault((doc.kind, doc.ref), set())
        for term, postings in kb.words.postings.items():
            for index, _ in postings:
                doc = kb.docs[index]
                self._ref_terms[(doc.kind, doc.ref)].add(term)
        self._phrasings = {fid: [compact(p) for p in texts] for fid, texts in kb.phrasings.items()}
        self._max_idf = max(kb.words.idf.values(), default=1.0)
        self.render = render.Renderer(kb, messages)

    @classmethod
    def open(cls, settings: KnowledgeSettings) -> "Engine":
        """Load the knowledge base, building it first when it is missing or content changed."""
        manifest = read_manifest(settings.kb_path)
        if not manifest or manifest.get("fingerprint") != source_fingerprint(settings):
            logger.info("knowledge base missing or out of date; building %s", settings.kb_path)
            build(settings)
        root = settings.content_dir
        emergency, offtopic = load_emergency(root)
        stopwords = {w.strip() for w in (root / "stopwords.txt").read_text(encoding="utf-8").splitlines()
                     if w.strip() and not w.startswith("#")}
        segmenter = Segmenter(root / "dictionary.txt", stopwords, settings.data_dir / "cache")
        return cls(KnowledgeBase.load(settings.kb_path), segmenter, load_synonyms(root), emergency, offtopic,
                   load_messages(root))

    # ---- the pipeline -------------------------------------------------------------------------
    def answer(self, question: str) -> Answer:
        """The reply to one question, never raising on odd input."""
        text = normalize(question)[:MAX_QUESTION]
        if not compact(text):
            return Answer(question, False, False, self.messages["empty_question"].strip(), [], "empty")
        alerts = [r for r in self.emergency_rules
                  if any(t.fires(text) for t in r.triggers) and not any(t.fires(text) for t in r.unless)]
        refs = self.refs.find(text)
        if refs:
            result = self._lookup(question, refs)
        else:
            result = self._search(question, text)
        if alerts:
            result = self.render.with_emergency(result, alerts, self.kb.contacts)
        return result

    def _lookup(self, question: str, refs) -> Answer:
        matches, missing = [], []
        for ref in refs:
            row = self.kb.article(ref.law, ref.article, ref.suffix)
            if row:
                matches.append(self.article_match(row, 1.0))
            else:
                missing.append(ref)
        if not matches:
            ref = missing[0]
            text = self.render.article_missing(ref, len(self.kb.law_articles(ref.law)))
            return Answer(question, False, False, text, [], "unsure")
        return Answer(question, True, False, self.render.articles(matches), matches, "lookup", confidence=1.0)

    def rank(self, text: str, exclude: str | None = None) -> list[Candidate]:
        """Candidates best first; `exclude` hides documents with exactly this text (leave-one-out evaluation)."""
        seg = self.segmenter
        prepared = seg.prepare(text)
        words = seg.words(text)
        query = {w: 1.0 for w in words}
        bigram_query = {b: 1.0 for b in seg.bigrams(prepared)}
        for rule in self.synonyms:
            if any(t.fires(prepared) for t in rule.triggers):
                for term in rule.add:
                    for w in seg.words(term):
                        query.setdefault(w, EXPANSION_WEIGHT)
                    for b in seg.bigrams(term):
                        bigram_query.setdefault(b, EXPANSION_WEIGHT)
        word_scores = self.kb.words.scores(query)
        bigram_scores = self.kb.bigrams.scores(bigram_query)
        if exclude is not None:
            hidden = compact(exclude)
            for index, doc in enumerate(self.kb.docs):
                if compact(doc.text) == hidden:
                    word_scores.pop(index, None)
                    bigram_scores.pop(index, None)
        top_w = max(word_scores.values(), default=0.0) or 1.0
        top_b = max(bigram_scores.values(), default=0.0) or 1.0
        best: dict[tuple[str, str], Candidate] = {}
        for index in set(word_scores) | set(bigram_scores):
            doc = self.kb.docs[index]
            lexical = 0.6 * word_scores.get(index, 0.0) / top_w + 0.4 * bigram_scores.get(index, 0.0) / top_b
            if doc.field == "answer":
                lexical *= 0.8
            key = (doc.kind, doc.ref)
            if key not in best or best[key].lexical < lexical:
                best[key] = Candidate(doc.kind, doc.ref, lexical=lexical)
        shortlist = sorted(best.values(), key=lambda c: c.lexical, reverse=True)[:40]
        original = {w: self.kb.words.idf.get(w, self._max_idf) for w in set(words)}
        mass = sum(original.values()) or 1.0
        plain = compact(text)
        for cand in shortlist:
            terms = self._ref_terms.get((cand.kind, cand.ref), set())
            cand.coverage = sum(v for w, v in original.items() if w in terms) / mass
            if cand.kind == "faq":
                cand.fuzzy = max((fuzz.ratio(plain, p) for p in self._phrasings[cand.ref] if p != compact(exclude or "")),
                                 default=0.0) / 100
                cand.score = 0.5 * cand.lexical + 0.3 * cand.fuzzy + 0.2 * cand.coverage + FAQ_PREFERENCE
            else:
                cand.score = 0.7 * cand.lexical + 0.3 * cand.coverage
        return sorted(shortlist, key=lambda c: c.score, reverse=True)

    def confidence(self, best: Candidate) -> float:
        """0-1: how sure the engine is that the best candidate answers the question."""
        return 0.6 * best.coverage + 0.4 * max(best.fuzzy, best.lexical * 0.8)

    def _search(self, question: str, text: str, exclude: str | None = None) -> Answer:
        ranked = self.rank(text, exclude)
        matches = [self._match(c) for c in ranked[:TOP_MATCHES]]
        confidence = self.confidence(ranked[0]) if ranked else 0.0
        offtopic = any(t.fires(text) for t in self.offtopic)
        if not ranked or confidence < ANSWER_THRESHOLD or (offtopic and confidence < 0.7):
            status = "offtopic" if offtopic or confidence < ANSWER_THRESHOLD / 2 else "unsure"
            suggestions = [m for m in matches if m.kind == "faq"][:3] if status == "unsure" else []
            text_out = self.render.offtopic() if status == "offtopic" else self.render.unsure(suggestions)
            return Answer(question, False, False, text_out, matches, status, suggestions=suggestions,
                          confidence=confidence)
        top = matches[0]
        suggestions = self._related(top, matches)
        if top.kind == "faq":
            body = self.render.faq(top)
        elif top.kind == "policy":
            body = self.render.policy(self.kb.policies[top.id])
        else:
            body = self.render.articles([m for m in matches[:2] if m.kind in ("article", "digest")])
        return Answer(question, True, False, body, matches, top.kind, suggestions=suggestions,
                      confidence=confidence)

    # ---- building matches ---------------------------------------------------------------------
    def _match(self, cand: Candidate) -> Match:
        score = round(cand.score, 4)
        if cand.kind == "faq":
            row = self.kb.faq[cand.ref]
            return Match("faq", row["id"], row["question"], row["answer"], score, row["sources"])
        if cand.kind == "policy":
            row = self.kb.policies[cand.ref]
            return Match("policy", str(row["number"]), row["title"], row["summary"], score, [])
        return self.article_match(self.kb.articles[cand.ref], score)

    def article_match(self, row: dict, score: float) -> Match:
        source = {"law": row["law"], "article": row["number"]}
        if row["suffix"]:
            source["suffix"] = row["suffix"]
        kind = "article" if row["official"] else "digest"
        title = f"《{row['law']}》{row['label']}" + (f" {row['title']}" if row["title"] else "")
        return Match(kind, row["key"], title, row["text"] if row["official"] else row["digest"], score, [source])

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
