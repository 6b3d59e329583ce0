"""Rank FAQ entries, articles and work-plan items for a question, with scores that mean the same across questions.

Recall uses BM25 (words and character pairs). Re-ranking uses absolute similarities in 0-1 — weighted word
overlap, character-pair overlap and rapidfuzz — so a confidence threshold can be calibrated once.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import fsum

from rapidfuzz import fuzz

from knowledge.kb import KnowledgeBase
from knowledge.model import SynonymRule, TriggerIndex
from knowledge.normalize import compact
from knowledge.segment import Segmenter

EXPANSION_WEIGHT = 0.6   # a synonym's pull relative to a word the user typed
MIN_PAIR_IDF = 2.0       # character pairs rarer than this (by idf) take part in recall
RECALL_DEPTH = 35        # documents taken from each BM25 channel before re-ranking
PHRASING_WEIGHTS = (0.3, 0.25, 0.35, 0.1)  # word overlap, character-pair overlap, rapidfuzz ratio, recall
UNKNOWN_WEIGHT = 0.7     # weight of a word absent from the knowledge base, relative to the rarest known word
EXPAND_ENTRIES = 40      # leading FAQ entries whose every phrasing is scored
ANSWER_DISCOUNT = 0.85   # a FAQ entry matched only through its answer text counts this much
SECOND_SHARE = 0.3       # weight of an entry's second-best phrasing in its score
ENTRY_SHARE = 0.5        # how much of a FAQ entry's score comes from all its wording covering the question


@dataclass
class Candidate:
    kind: str
    ref: str
    score: float = 0.0     # 0-1 similarity of the best document of this entry
    recall: float = 0.0    # weighted share of the question's words the entry contains
    fuzzy: float = 0.0     # rapidfuzz ratio against the closest phrasing (FAQ only)


@dataclass
class Query:
    weights: dict[str, float]      # term -> idf x (1 typed | EXPANSION_WEIGHT expanded)
    typed: set[str]
    bigrams: set[str]
    plain: str
    expanded: bool = False         # a synonym rule fired: the question uses this domain's words
    prepared: str = ""             # the question as rules see it (simplified, lower case, Arabic digits)
    mass: float = 1.0              # the weight a perfect match must cover: the typed words
    pair_mass: float = 0.0         # the character pairs' weight

    def __post_init__(self):
        self.mass = fsum(w for t, w in self.weights.items() if t in self.typed) or 1.0
        self.keys = frozenset(self.weights)


class Ranker:
    """Turns a question into ranked candidates over one knowledge base."""

    def __init__(self, kb: KnowledgeBase, segmenter: Segmenter, synonyms: list[SynonymRule],
                 precomputed: tuple[list[str], list[tuple[float, float]]] | None = None):
        """`precomputed`: each document's compact wording and weights as `kb build` stored them (knowledge.startup)."""
        self.kb, self.segmenter, self.synonyms = kb, segmenter, synonyms
        self.max_idf = max(kb.words.idf.values(), default=1.0)
        if precomputed:
            self._compact, self._mass = precomputed
        else:
            self._compact = [compact(d.text) if d.kind == "faq" and d.field != "answer" else "" for d in kb.docs]
            self._mass = [(fsum(self.idf(t) for t in d.terms) or 1.0,
                           fsum(kb.bigrams.idf.get(b, 0.0) for b in d.bigrams))
                          for d in kb.docs]  # each document's own weight, for precision
        self._rules = TriggerIndex([(i, t) for i, rule in enumerate(synonyms) for t in rule.triggers])
        self._rule_terms = [[term for phrase in rule.add for term in segmenter.terms(phrase)] for rule in synonyms]

    def idf(self, term: str) -> float:
        """A word's weight; one the knowledge base never uses counts for less (often filler in long messages)."""
        return self.kb.words.idf.get(term, self.max_idf * UNKNOWN_WEIGHT)

    def query(self, text: str) -> Query:
        seg = self.segmenter
        prepared = seg.prepare(text)
        typed = set(seg.terms(text))
        weights = {t: self.idf(t) for t in sorted(typed)}  # sorted: sums come out the same in every process
        bigrams = set(seg.bigrams(prepared))
        fired = self._rules.fired(prepared)
        for index in sorted(fired):
            for term in self._rule_terms[index]:
                weights.setdefault(term, self.idf(term) * EXPANSION_WEIGHT)
        query = Query(weights, typed, bigrams, compact(text), bool(fired), prepared)
        query.pair_mass = fsum(self.kb.bigrams.idf.get(b, 0.0) for b in bigrams)
        return query

    def rank(self, q: Query, exclude: str | None = None) -> list[Candidate]:
        """Candidates best first; `exclude` hides documents with exactly this text (leave-one-out evaluation)."""
        hidden = compact(exclude) if exclude else None
        bm25_terms = {t: (1.0 if t in q.typed else EXPANSION_WEIGHT) for t in q.weights}
        words = self.kb.words.scores(bm25_terms)
        pair_idf = self.kb.bigrams.idf  # pairs common to most documents cost much and tell little
        pairs = self.kb.bigrams.scores({b: 1.0 for b in sorted(q.bigrams) if pair_idf.get(b, 0.0) >= MIN_PAIR_IDF})
        pool = set(sorted(words, key=words.get, reverse=True)[:RECALL_DEPTH])
        pool |= set(sorted(pairs, key=pairs.get, reverse=True)[:RECALL_DEPTH])
        top_words = max(words.values(), default=0.0) or 1.0
        leading = sorted(sorted(pool), key=lambda i: words.get(i, 0.0) + pairs.get(i, 0.0), reverse=True)
        faq_refs = list(dict.fromkeys(self.kb.docs[i].ref for i in leading if self.kb.docs[i].kind == "faq"))
        pool |= {i for ref in faq_refs[:EXPAND_ENTRIES] for i in self.kb.faq_docs[ref]}  # all phrasings of leaders
        best: dict[tuple[str, str], Candidate] = {}
        phrasing_scores: dict[str, list[float]] = {}
        for index in sorted(pool):
            doc = self.kb.docs[index]
            if hidden is not None and self._compact[index] == hidden:
                continue
            matched = fsum(q.weights[t] for t in q.keys & doc.terms)
            recall = min(1.0, matched / q.mass)
            if doc.kind == "faq" and doc.field != "answer":
                score, fuzzy = self._phrasing(q, index, doc, matched, recall, self._compact[index])
                phrasing_scores.setdefault(doc.ref, []).append(score)
            else:
                fuzzy = 0.0
                score = 0.75 * recall + 0.25 * words.get(index, 0.0) / top_words
                if doc.field == "answer":  # long answers mention much; a phrasing match says more
                    score *= ANSWER_DISCOUNT
            key = (doc.kind, doc.ref)
            current = best.get(key)
            if current is None or score > current.score:
                best[key] = Candidate(doc.kind, doc.ref, score, recall, max(fuzzy, current.fuzzy if current else 0))
        for (kind, ref), cand in best.items():
            if kind == "faq" and len(phrasing_scores.get(ref, ())) > 1:  # two close phrasings beat one lucky one
                first, second = sorted(phrasing_scores[ref], reverse=True)[:2]
                cand.score = max(cand.score * (1 - SECOND_SHARE), (1 - SECOND_SHARE) * first + SECOND_SHARE * second)
            if kind == "faq" and ref in phrasing_scores:  # an entry whose wording as a whole covers it fits better
                vocabulary = self.kb.faq_terms[ref] if hidden is None else frozenset().union(
                    *(d.terms for i, d in enumerate(self.kb.docs) if d.ref == ref and self._compact[i] != hidden))
                entry = min(1.0, fsum(w for t, w in q.weights.items() if t in vocabulary) / q.mass)
                cand.score = (1 - ENTRY_SHARE) * cand.score + ENTRY_SHARE * entry
        return sorted(best.values(), key=lambda c: c.score, reverse=True)

    def _phrasing(self, q: Query, index: int, doc, matched: float, recall: float, plain: str) -> tuple[float, float]:
        """Similarity of a question to one FAQ phrasing: both are short, so precision counts too."""
        own_words, own_pairs = self._mass[index]
        precision = min(1.0, matched / own_words)
        overlap = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
        pair_idf = self.kb.bigrams.idf
        shared = fsum(pair_idf.get(b, 0.0) for b in q.bigrams & doc.bigrams)
        total = q.pair_mass + own_pairs
        pairs = 2 * shared / total if total else 0.0
        fuzzy = fuzz.ratio(q.plain, plain) / 100
        w_overlap, w_pairs, w_fuzzy, w_recall = PHRASING_WEIGHTS
        return w_overlap * overlap + w_pairs * pairs + w_fuzzy * fuzzy + w_recall * recall, fuzzy
