"""The built knowledge base, read once into memory with the search index the build computed."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlite3

from knowledge.bm25 import BM25
from knowledge.index import IndexFormatError, unpack_index


@dataclass(slots=True)
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
    faq_terms: dict[str, frozenset[str]] = field(default_factory=dict)  # faq id -> every word of its wording
    faq_docs: dict[str, tuple[int, ...]] = field(default_factory=dict)  # faq id -> its documents
    documents: dict[str, dict] = field(default_factory=dict)  # normative documents by id (documents.yaml)

    @classmethod
    def load(cls, path: Path, cache_dir: Path | None = None) -> "KnowledgeBase":
        """Read the SQLite file built by knowledge.build, search index included (`cache_dir` is not used)."""
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.row_factory = lambda cursor, row: {c[0]: v for c, v in zip(cursor.description, row)}
        table = lambda name: db.execute(f"select * from {name}").fetchall()  # noqa: E731 - fixed table names
        try:
            manifest = json.loads(db.execute("select value from manifest where key='manifest'").fetchone()["value"])
            laws = {r["name"]: {**r, "aliases": json.loads(r["aliases"]),
                                "amendments": json.loads(r.get("amendments") or "[]")} for r in table("laws")}
            articles = {r["key"]: r for r in table("articles")}
            faq = {}
            for row in table("faq"):
                for key in ("audience", "paraphrases", "sources", "related", "documents", "steps", "by_age"):
                    row[key] = json.loads(row.get(key) or "[]")
                row["offence"] = json.loads(row.get("offence") or "{}")
                faq[row["id"]] = row
            documents = {r["id"]: r for r in table("documents")}
            policies = {}
            for row in table("policies"):
                for key in ("measures", "projects", "units", "questions"):
                    row[key] = json.loads(row[key])
                policies[str(row["number"])] = row
            contacts = [{**r, "sources": json.loads(r["sources"])} for r in table("contacts")]
            programs = [{**r, **{k: json.loads(r[k]) for k in ("audience", "topics", "units")}}
                        for r in table("programs")]
            db.row_factory = None
            rows = db.execute("select kind, ref, field, text from docs order by id").fetchall()
            blob = db.execute("select data from search_index where name = 'index'").fetchone()[0]
        finally:
            db.close()
        try:
            index = unpack_index(blob)
        except IndexFormatError as exc:
            raise IndexFormatError(f"{path}: {exc}; 请重新生成知识库：python bot.py kb build") from exc
        if len(index.terms) != len(rows):
            raise IndexFormatError(f"{path}: 检索索引与文档数不一致；请重新生成知识库：python bot.py kb build")
        docs = [Doc(kind, ref, fld, text, terms, pairs)
                for (kind, ref, fld, text), terms, pairs in zip(rows, index.terms, index.pairs)]
        vocabulary: dict[str, set[str]] = {}
        for doc in docs:
            if doc.kind == "faq":
                vocabulary.setdefault(doc.ref, set()).update(doc.terms)
        return cls(manifest=manifest, laws=laws, articles=articles, faq=faq, policies=policies, documents=documents,
                   contacts=contacts, programs=programs, docs=docs, words=index.words, bigrams=index.bigrams,
                   faq_terms={k: frozenset(v) for k, v in vocabulary.items()},
                   faq_docs=_group([(d.ref, i) for i, d in enumerate(docs) if d.kind == "faq"]))

    def article(self, law: str, number: int, suffix: str = "") -> dict | None:
        return self.articles.get(f"{law}#{number}{suffix}")

    def law_articles(self, law: str) -> list[dict]:
        return [a for a in self.articles.values() if a["law"] == law]


def _group(pairs: list[tuple[str, int]]) -> dict[str, tuple[int, ...]]:
    grouped: dict[str, list[int]] = {}
    for key, index in pairs:
        grouped.setdefault(key, []).append(index)
    return {key: tuple(indexes) for key, indexes in grouped.items()}
