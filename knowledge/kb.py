"""The built knowledge base, read once into memory with its search indexes."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from knowledge.bm25 import BM25


@dataclass
class Doc:
    kind: str
    ref: str
    field: str
    text: str
    terms: frozenset[str]    # precise-mode words: what the document is made of
    bigrams: frozenset[str]


@dataclass
class KnowledgeBase:
    manifest: dict
    laws: dict[str, dict]
    articles: dict[str, dict]
    faq: dict[str, dict]
    policies: dict[str, dict]
    contacts: list[dict]
    programs: list[dict]
    docs: list[Doc]
    words: BM25
    bigrams: BM25
    phrasings: dict[str, list[str]] = field(default_factory=dict)  # faq id -> question and paraphrases
    faq_terms: dict[str, frozenset[str]] = field(default_factory=dict)  # faq id -> every word of its wording

    @classmethod
    def load(cls, path: Path) -> "KnowledgeBase":
        """Read the SQLite file built by knowledge.build."""
        db = sqlite_utils.Database(path)
        try:
            manifest = json.loads(db.execute("select value from manifest where key='manifest'").fetchone()[0])
            laws = {r["name"]: {**r, "aliases": json.loads(r["aliases"])} for r in db["laws"].rows}
            articles = {r["key"]: r for r in db["articles"].rows}
            faq = {}
            for row in db["faq"].rows:
                for key in ("audience", "paraphrases", "sources", "related"):
                    row[key] = json.loads(row[key])
                faq[row["id"]] = row
            policies = {}
            for row in db["policies"].rows:
                for key in ("measures", "projects", "units", "questions"):
                    row[key] = json.loads(row[key])
                policies[str(row["number"])] = row
            contacts = [{**r, "sources": json.loads(r["sources"])} for r in db["contacts"].rows]
            programs = [{**r, **{k: json.loads(r[k]) for k in ("audience", "topics", "units")}}
                        for r in db["programs"].rows]
            rows = list(db.execute("select kind, ref, field, text, words, bigrams, terms from docs order by id").fetchall())
        finally:
            db.close()
        docs = [Doc(kind, ref, fld, text, frozenset(terms.split()), frozenset(bigrams.split()))
                for kind, ref, fld, text, _, bigrams, terms in rows]
        phrasings = {fid: [row["question"], *row["paraphrases"]] for fid, row in faq.items()}
        vocabulary: dict[str, set[str]] = {}
        for doc in docs:
            if doc.kind == "faq":
                vocabulary.setdefault(doc.ref, set()).update(doc.terms)
        return cls(manifest=manifest, laws=laws, articles=articles, faq=faq, policies=policies,
                   contacts=contacts, programs=programs, docs=docs,
                   words=BM25([r[4].split() for r in rows]), bigrams=BM25([r[5].split() for r in rows]),
                   phrasings=phrasings, faq_terms={k: frozenset(v) for k, v in vocabulary.items()})

    def article(self, law: str, number: int, suffix: str = "") -> dict | None:
        return self.articles.get(f"{law}#{number}{suffix}")

    def law_articles(self, law: str) -> list[dict]:
        return [a for a in self.articles.values() if a["law"] == law]
