"""Choose among candidates: the learned reranker orders the lexical leaders and the classifier's entries (features in
knowledge/features.py); a question about Pudong's plan gets the plan first."""
from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz

from knowledge import features
from knowledge.danger import DangerDetector
from knowledge.kb import KnowledgeBase
from knowledge.learned import Classifier, Model
from knowledge.model import Trigger
from knowledge.normalize import compact, normalize
from knowledge.ranking import Candidate, Query, Ranker
from knowledge.refs import ReferenceParser
from knowledge.segment import Segmenter
from knowledge.understand import Reader, Understanding

POLICY_ACCEPT = 0.3       # a work-plan item this similar comes first when the question asks about Pudong's plan
LEXICAL_POOL = 15         # lexical leaders the reranker orders (the classifier adds its own)


class Selector:
    """Orders a question's candidates; knows what each curated entry asks and which harm it is about."""

    def __init__(self, kb: KnowledgeBase, segmenter: Segmenter, ranker: Ranker, reader: Reader,
                 danger: DangerDetector, refs: ReferenceParser, policy_intent: list[Trigger], model: Model | None = None,
                 precomputed: dict | None = None):
        """`precomputed`: each entry's understanding, harms and wording as `kb build` stored them (knowledge.startup)."""
        self.model = model
        self.kb, self.segmenter, self.ranker, self.reader, self.danger = kb, segmenter, ranker, reader, danger
        self.refs, self.policy_intent = refs, policy_intent
        if precomputed:
            self.entry_sense, self.entry_harms = precomputed["sense"], precomputed["harms"]
            self.entry_topic_harms, self.entry_wording = precomputed["topic_harms"], precomputed["wording"]
        else:
            self.entry_sense = {fid: reader.read(segmenter.prepare(row["question"])) for fid, row in kb.faq.items()}
            self.entry_harms = {fid: self.harms(" ".join([row["question"], *row["paraphrases"]]))
                                for fid, row in kb.faq.items()}
            self.entry_topic_harms = {fid: self.harms(row["question"]) for fid, row in kb.faq.items()}
            self.entry_wording = {fid: [compact(t) for t in [row["question"], *row["paraphrases"]]]
                                  for fid, row in kb.faq.items()}
        self.citing: dict[str, list[str]] = {}  # article key -> the FAQ entries citing it
        for fid, row in kb.faq.items():
            for s in row["sources"]:
                key = f"{s['law']}#{s['article']}{s.get('suffix', '')}"
                self.citing.setdefault(key, []).append(fid)

    def same_harm(self, harms: frozenset[str], faq_id: str) -> bool:
        """The entry is about the same harm as the question (or neither is about one): a verdict may carry over."""
        topic = self.entry_topic_harms[faq_id]
        return not topic if not harms else bool(harms & topic)

    def harms(self, text: str) -> frozenset[str]:
        """The kinds of harm a text talks about (violence, sexual abuse, self-harm …), from the danger rules."""
        return frozenset(rule.id for rule in self.danger.rules if rule.mentioned(self.segmenter.prepare(text)))

    def candidates(self, text: str, exclude: str | None = None, query: Query | None = None,
                   understood: Understanding | None = None, harms: frozenset[str] | None = None,
                   classifier: Classifier | None = None) -> tuple[list[Candidate], np.ndarray]:
        """The candidates a question may get (the lexical leaders and the classifier's) with the reranker's features,
        in lexical order. `classifier` replaces the model's (out-of-fold evaluation)."""
        query = query or self.ranker.query(text)
        understood = understood or self.reader.read(query.prepared)
        harms = self.harms(query.prepared) if harms is None else harms
        lexical = self.ranker.rank(query, exclude)[:LEXICAL_POOL]
        classifier = classifier or (self.model.classifier if self.model else None)
        named = self.refs.laws_in(normalize(text))
        return features.candidates(self, lexical, query, understood, harms, named, classifier,
                                   compact(exclude) if exclude else "")

    def rank(self, text: str, exclude: str | None = None, query: Query | None = None,
             understood: Understanding | None = None, harms: frozenset[str] | None = None) -> list[Candidate]:
        """Candidates best first, each scored with the reranker's probability that it answers the question;
        a question about Pudong's plan gets the plan's item first."""
        model = self.model
        query = query or self.ranker.query(text)
        ranked, matrix = self.candidates(text, exclude, query, understood, harms,
                                         model.classifier if model else None)
        if model and model.reranker and ranked:
            for cand, p in zip(ranked, model.reranker.probabilities(matrix)):
                cand.score = float(p)
            ranked.sort(key=lambda c: c.score, reverse=True)
        prepared = query.prepared
        if ranked and any(t.fires(prepared) for t in self.policy_intent):  # "浦东…谁负责": the office's own plan
            best_policy = self._policy_for(prepared, exclude)
            if best_policy and best_policy.score >= POLICY_ACCEPT:
                best_policy.score = max(best_policy.score, ranked[0].score)
                ranked = [c for c in ranked if (c.kind, c.ref) != ("policy", best_policy.ref)]
                return [best_policy] + ranked
        return ranked

    def fit(self, cand: Candidate, understood: Understanding, harms: frozenset[str]) -> tuple[float, ...]:
        """How a FAQ entry agrees with what the question asks: misfit, other side, same side, same question, and
        whether it never talks about the harm the question describes (all 0 for other kinds)."""
        if cand.kind != "faq":
            return 0.0, 0.0, 0.0, 0.0, 0.0
        sense = self.entry_sense[cand.ref]
        return (self.reader.conflict(understood, sense), float(self.reader.other_side(understood, sense)),
                float(bool(understood.side) and understood.side == sense.side),
                float(self.reader.same_question(understood, sense)),
                float(bool(harms) and not harms & self.entry_harms[cand.ref]))

    def wording(self, cand: Candidate, plain: str, hidden: str = "") -> float:
        """Character similarity to a FAQ entry's main question (or its first other phrasing when that is hidden)."""
        if cand.kind != "faq":
            return 0.0
        main = next((p for p in self.entry_wording[cand.ref] if p != hidden), "")
        return fuzz.ratio(plain, main) / 100

    def lead_sources(self, cand: Candidate) -> list[dict]:
        if cand.kind == "faq":  # the law it rests on first: an entry citing a named law in passing is not about it
            return self.kb.faq[cand.ref]["sources"][:1]
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
