"""Direct article look-ups: 「未保法第75条」 answers with that article, read verbatim, or says it does not exist."""
from __future__ import annotations

from pathlib import Path

from knowledge.answer import Answer, Match
from knowledge.kb import KnowledgeBase
from knowledge.model import Citation
from knowledge.normalize import normalize
from knowledge.refs import ArticleRef, ReferenceParser
from knowledge.render import Renderer
from knowledge.statutes import count_articles, read_article


class Lookup:
    def __init__(self, kb: KnowledgeBase, render: Renderer, statutes_db: Path | None):
        self.kb, self.render, self.statutes_db = kb, render, statutes_db
        aliases = {}
        for law in kb.laws.values():
            for alias in [law["name"], law["short"], *law["aliases"]]:
                aliases[normalize(alias)] = law["name"]
        self.refs = ReferenceParser(aliases)

    def answer(self, question: str, refs: list[ArticleRef]) -> Answer:
        matches, missing = [], []
        for ref in refs:
            row = self.kb.article(ref.law, ref.article, ref.suffix) or self._fetch(ref)
            if row:
                matches.append(article_match(row, 1.0))
            else:
                missing.append(ref)
        if not matches:
            ref = missing[0]
            national = self.kb.laws.get(ref.law, {}).get("kind") == "national" and self.statutes_db
            total = count_articles(self.statutes_db, ref.law) if national else len(self.kb.law_articles(ref.law))
            return Answer(question, False, False, self.render.article_missing(ref, total), [], "unsure")
        return Answer(question, True, False, self.render.articles(matches), matches, "lookup", confidence=1.0)

    def _fetch(self, ref: ArticleRef) -> dict | None:
        """An article of a national law the build did not select, read verbatim on demand."""
        law = self.kb.laws.get(ref.law)
        if not law or law["kind"] != "national" or not self.statutes_db:
            return None
        row = read_article(self.statutes_db, ref.law, Citation(ref.law, ref.article, ref.suffix))
        if row:
            self.kb.articles[row["key"]] = row  # later 查看原文 buttons find it too
        return row


def article_match(row: dict, score: float) -> Match:
    source = {"law": row["law"], "article": row["number"]}
    if row["suffix"]:
        source["suffix"] = row["suffix"]
    kind = "article" if row["official"] else "digest"
    title = f"《{row['law']}》{row['label']}" + (f" {row['title']}" if row["title"] else "")
    return Match(kind, row["key"], title, row["text"] if row["official"] else row["digest"], score, [source])
