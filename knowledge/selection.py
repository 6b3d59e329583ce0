"""Choose among ranked candidates: entries that answer the question asked, from its side, about the same harm;
curated answers and the office's own plan before bare articles."""
from __future__ import annotations

from knowledge.danger import DangerDetector
from knowledge.kb import KnowledgeBase
from knowledge.model import Trigger
from knowledge.normalize import normalize
from knowledge.ranking import Candidate, Query, Ranker
from knowledge.refs import ReferenceParser
from knowledge.segment import Segmenter
from knowledge.understand import Reader, Understanding

FAQ_PREFERENCE = 0.25     # a curated answer this much below the best article still comes first
LAW_MENTION_BOOST = 0.15  # added when a candidate rests on a law the question names
POLICY_ACCEPT = 0.3       # a work-plan item this similar comes first when the question asks about Pudong's plan
FAQ_ACCEPT = 0.45         # a curated answer this similar to the question always comes first
MISFIT_WEIGHT = 0.25      # share of a FAQ entry's score lost when it answers another question or the other side
HARM_MISFIT = 0.5
SIDE_FIT = 0.1         # misfit of an entry that never talks about the harm the question describes


class Selector:
    """Orders a question's candidates; knows what each curated entry asks and which harm it is about."""

    def __init__(self, kb: KnowledgeBase, segmenter: Segmenter, ranker: Ranker, reader: Reader,
                 danger: DangerDetector, refs: ReferenceParser, policy_intent: list[Trigger]):
        self.kb, self.segmenter, self.ranker, self.reader, self.danger = kb, segmenter, ranker, reader, danger
        self.refs, self.policy_intent = refs, policy_intent
        self.entry_sense = {fid: reader.read(segmenter.prepare(row["question"])) for fid, row in kb.faq.items()}
        self.entry_harms = {fid: self.harms(" ".join([row["question"], *row["paraphrases"]]))
                            for fid, row in kb.faq.items()}
        self.entry_topic_harms = {fid: self.harms(row["question"]) for fid, row in kb.faq.items()}

    def same_harm(self, harms: frozenset[str], faq_id: str) -> bool:
        """The entry is about the same harm as the question (or neither is about one): a verdict may carry over."""
        topic = self.entry_topic_harms[faq_id]
        return not topic if not harms else bool(harms & topic)

    def harms(self, text: str) -> frozenset[str]:
        """The kinds of harm a text talks about (violence, sexual abuse, self-harm …), from the danger rules."""
        return frozenset(rule.id for rule in self.danger.rules if rule.mentioned(self.segmenter.prepare(text)))

    def rank(self, text: str, exclude: str | None = None, query: Query | None = None,
             understood: Understanding | None = None, harms: frozenset[str] | None = None) -> list[Candidate]:
        """Candidates best first: entries that answer the question asked, from its side, about the same harm,
        and curated answers first."""
        query = query or self.ranker.query(text)
        understood = understood or self.reader.read(query.prepared)
        harms = self.harms(query.prepared) if harms is None else harms
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
                if understood.side and understood.side == self.entry_sense[cand.ref].side:
                    cand.score *= 1 + SIDE_FIT  # told from the same side (「我儿子把人打伤了」 ~ an offender's entry)
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
