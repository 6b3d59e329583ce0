"""Turn ranked candidates into the matches an answer shows and cites."""
from __future__ import annotations

from knowledge.answer import Match
from knowledge.kb import KnowledgeBase
from knowledge.lookup import article_match
from knowledge.ranking import Candidate
from knowledge.render import Renderer

TOP_MATCHES = 5


class MatchBuilder:
    def __init__(self, kb: KnowledgeBase, render: Renderer):
        self.kb, self.render = kb, render

    @staticmethod
    def diverse(matches: list[Match]) -> list[Match]:
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

    def match(self, cand: Candidate) -> Match:
        score = round(cand.score, 4)
        if cand.kind == "faq":
            row = self.kb.faq[cand.ref]
            return Match("faq", row["id"], row["question"], row["answer"], score, row["sources"],
                         self.render.documents(row["id"]))
        if cand.kind == "policy":
            row = self.kb.policies[cand.ref]
            return Match("policy", str(row["number"]), row["title"], row["summary"], score, [])
        return article_match(self.kb.articles[cand.ref], score)

    def related(self, top: Match, matches: list[Match]) -> list[Match]:
        """Two or three other questions worth offering next to the answer."""
        related = []
        if top.kind == "faq":
            for fid in self.kb.faq[top.id]["related"]:
                row = self.kb.faq.get(fid)
                if row:
                    related.append(Match("faq", fid, row["question"], row["answer"], 0.0, row["sources"]))
        related += [m for m in matches[1:] if m.kind == "faq" and m.id not in {r.id for r in related}]
        return related[:3]
