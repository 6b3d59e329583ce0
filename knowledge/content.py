"""Load and validate everything office staff edit in content/; errors name file, line and entry."""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.model import (Amendment, age_range, Citation, Contact, Digest, Document, FaqEntry, LawSpec,
                             PolicyItem, Program, SynonymRule, Trigger)
from knowledge.danger import load_danger_rules
from knowledge.intents import load_intents
from knowledge.normalize import char_len
from knowledge.understand import load_reader
from runtime.yamlfile import ContentError, load_yaml, require

__all__ = ["Content", "ContentError", "load_content"]

AUDIENCES = ("家长", "学生", "学校")
DOCUMENT_KINDS = ("行政法规", "规范性文件", "部门规章", "司法解释")  # sources of their own kind, never shown as statute articles
ANSWER_LIMITS = (60, 250)
MIN_PARAPHRASES = 3
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass
class Content:
    root: Path
    laws: list[LawSpec]
    faq: list[FaqEntry]
    digests: list[Digest]
    policies: list[PolicyItem]
    contacts: list[Contact]
    programs: list[Program]
    streets: list[str]
    synonyms: list[SynonymRule]
    emergency: list  # knowledge.danger.DangerRule
    in_scope: list[Trigger]
    offtopic: list[Trigger]
    messages: dict[str, str]
    stopwords: set[str]
    dictionary: Path
    files: list[Path] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    def law(self, name: str) -> LawSpec | None:
        return next((law for law in self.laws if law.name == name), None)

    def document(self, document_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == document_id), None)


def _citations(path: Path, item: dict, entry: str, key: str = "sources", *, required: bool = True) -> list[Citation]:
    raw = item.get(key) or []
    if required and not raw:
        raise ContentError(path, "至少需要一条法律依据（sources）", item.line, entry)
    result = []
    for source in raw:
        if not isinstance(source, dict) or "law" not in source or "article" not in source:
            raise ContentError(path, "sources 每项须写成 {law: 法律全称, article: 条号}", item.line, entry)
        try:
            result.append(Citation.parse(str(source["law"]), source["article"]))
        except ValueError as exc:
            raise ContentError(path, str(exc), item.line, entry) from exc
    return result


def _str_list(path: Path, item: dict, key: str, entry: str, *, required: bool = True) -> list[str]:
    value = item.get(key) if not required else require(path, item, key, list, entry)
    value = value or []
    if not all(isinstance(x, (str, int)) and str(x).strip() for x in value):
        raise ContentError(path, f"{key} 里每一项都必须是非空文字", item.line, entry)
    return [str(x).strip() for x in value]


def _triggers(path: Path, item: dict, key: str, entry: str) -> list[Trigger]:
    try:
        return [Trigger.parse(x) for x in item.get(key) or []]
    except ValueError as exc:
        raise ContentError(path, str(exc), item.line, entry) from exc


def load_laws(root: Path) -> list[LawSpec]:
    path = root / "laws.yaml"
    data = load_yaml(path)
    laws = []
    for item in require(path, data, "laws", list):
        name = require(path, item, "name", str)
        source = require(path, item, "source", str, name)
        if source not in ("national", "local"):
            raise ContentError(path, "source 只能是 national 或 local", item.line, name)
        laws.append(LawSpec(name=name, short=item.get("short") or name, source=source,
                            aliases=_str_list(path, item, "aliases", name, required=False),
                            articles=item.get("articles", "all"), file=item.get("file"),
                            version_date=item.get("version_date"), digests=item.get("digests"),
                            text_basis=item.get("text_basis"), amendments=_amendments(path, item, name)))
    return laws


def _amendments(path: Path, item: dict, law: str) -> list[Amendment]:
    """Later amendments of a law: {name, date, articles}; the articles are checked against the amendment's text."""
    result = []
    for raw in item.get("amendments") or []:
        name = require(path, raw, "name", str, law)
        date = str(require(path, raw, "date", (str, datetime.date), law))
        articles = require(path, raw, "articles", list, law)
        try:
            labels = tuple(f"{c.article}{c.suffix}" for c in (Citation.parse(law, a) for a in articles))
        except ValueError as exc:
            raise ContentError(path, str(exc), raw.line, name) from exc
        result.append(Amendment(name=name, date=date, articles=labels))
    if result and not item.get("text_basis"):
        raise ContentError(path, "写了 amendments 就要写 text_basis（数据包里的条文是哪次修正后的文本）", item.line, law)
    return result


def load_faq(root: Path) -> list[FaqEntry]:
    entries = []
    for path in sorted((root / "faq").glob("*.yaml")):
        data = load_yaml(path)
        topic = require(path, data, "topic", str)
        entries += [faq_entry(path, item, topic) for item in require(path, data, "entries", list)]
    return entries


def faq_entry(path: Path, item: dict, topic: str, where: str | None = None) -> FaqEntry:
    """One FAQ entry, checked as content's rules say: the one parser for content files and the desk's changes."""
    entry_id = require(path, item, "id", str)
    if not _ID.match(entry_id):
        raise ContentError(path, "id 只能用小写英文字母、数字和连字符", item.line, entry_id)
    audience = _str_list(path, item, "audience", entry_id)
    if bad := [a for a in audience if a not in AUDIENCES]:
        raise ContentError(path, f"audience 只能是 {'/'.join(AUDIENCES)}，不能是 {bad[0]}", item.line, entry_id)
    paraphrases = _str_list(path, item, "paraphrases", entry_id)
    if len(paraphrases) < MIN_PARAPHRASES:
        raise ContentError(path, f"至少需要 {MIN_PARAPHRASES} 个问法（paraphrases）", item.line, entry_id)
    answer = require(path, item, "answer", str, entry_id).strip()
    low, high = ANSWER_LIMITS
    if not low <= char_len(answer) <= high:
        raise ContentError(path, f"回答长度 {char_len(answer)} 字，应在 {low}–{high} 字之间", item.line, entry_id)
    return FaqEntry(
        id=entry_id, topic=str(item.get("topic") or topic), audience=audience,
        question=require(path, item, "question", str, entry_id).strip(), paraphrases=paraphrases,
        answer=answer, sources=_citations(path, item, entry_id),
        related=_str_list(path, item, "related", entry_id, required=False),
        where=where or f"{path.name}:{item.line}",
        documents=_str_list(path, item, "documents", entry_id, required=False),
        **_for_the_asker(path, item, entry_id))


OFFENCES = ("unlawful", "serious", "crime")  # 违法但不是犯罪 / 情节严重的构成犯罪 / 犯罪


def _for_the_asker(path: Path, item: dict, entry: str) -> dict:
    """The optional words for a child writer, the 犯法-or-犯罪 verdict and a parent's next steps."""
    child = str(item.get("child") or "").strip()
    if child and not 30 <= char_len(child) <= ANSWER_LIMITS[1]:
        raise ContentError(path, f"child 长度 {char_len(child)} 字，应在 30–{ANSWER_LIMITS[1]} 字之间", item.line, entry)
    offence = item.get("offence") or {}
    offence = {"kind": offence} if isinstance(offence, str) else dict(offence)
    if offence and offence.get("kind") not in OFFENCES:
        raise ContentError(path, f"offence 的 kind 只能是 {'/'.join(OFFENCES)}", item.line, entry)
    if offence.get("kind") in ("serious", "crime"):
        basis = _citations(path, {"sources": [offence]}, entry)[0]
        if basis not in _citations(path, item, entry):
            raise ContentError(path, "offence 依据的条文必须也写在 sources 里", item.line, entry)
        offence = {"kind": offence["kind"], **basis.as_json()}
    steps = _str_list(path, item, "steps", entry, required=False)
    return {"child": child, "offence": offence, "steps": [s.strip() for s in steps], "by_age": _by_age(path, item, entry)}


BY_AGE_LIMIT = 90  # characters per line: one or two short lines, never a second answer


def _by_age(path: Path, item: dict, entry: str) -> list[str]:
    """The optional 「不满14周岁：…」 lines: each names the ages it covers before 「：」, and the ranges do not overlap."""
    lines = [s.strip() for s in _str_list(path, item, "by_age", entry, required=False)]
    ranges = []
    for line in lines:
        found = age_range(line)
        if found is None:
            raise ContentError(path, f"by_age 的「{line}」要以年龄开头，如「不满14周岁：」「已满14周岁不满16周岁：」「已满16周岁：」",
                               item.line, entry)
        if char_len(line) > BY_AGE_LIMIT:
            raise ContentError(path, f"by_age 的一行 {char_len(line)} 字，最多 {BY_AGE_LIMIT} 字", item.line, entry)
        if any(low <= found[1] and found[0] <= high for low, high in ranges):
            raise ContentError(path, f"by_age 的「{line}」和前面的行年龄重叠", item.line, entry)
        ranges.append(found)
    return lines


def load_documents(root: Path) -> list[Document]:
    """Normative documents (documents.yaml): cited by name, issuer and date, never as statute articles."""
    path = root / "documents.yaml"
    if not path.is_file():
        return []
    documents = []
    for item in require(path, load_yaml(path), "documents", list):
        doc_id = require(path, item, "id", str)
        if not _ID.match(doc_id):
            raise ContentError(path, "id 只能用小写英文字母、数字和连字符", item.line, doc_id)
        kind = require(path, item, "kind", str, doc_id)
        if kind not in DOCUMENT_KINDS:
            raise ContentError(path, f"kind 只能是 {'/'.join(DOCUMENT_KINDS)}", item.line, doc_id)
        name = require(path, item, "name", str, doc_id).strip()
        if name.startswith("《") or name.endswith("》"):
            raise ContentError(path, "name 写文件全称，不带书名号", item.line, doc_id)
        documents.append(Document(id=doc_id, name=name, issuer=require(path, item, "issuer", str, doc_id).strip(),
                                  date=str(require(path, item, "date", (str, datetime.date), doc_id)), kind=kind,
                                  rule=require(path, item, "rule", str, doc_id).strip(),
                                  where=f"{path.name}:{item.line}", number=str(item.get("number") or "").strip()))
    return documents


def load_digests(root: Path, laws: list[LawSpec]) -> list[Digest]:
    digests = []
    for law in laws:
        if not law.digests:
            continue
        path = root / law.digests
        data = load_yaml(path)
        if data.get("law") != law.name:
            raise ContentError(path, f"law 应为 {law.name}", 1)
        for item in require(path, data, "articles", list):
            number = item.get("article")
            entry = f"第{number}条"
            try:
                citation = Citation.parse(law.name, number)
            except ValueError as exc:
                raise ContentError(path, str(exc), item.line, entry) from exc
            digests.append(Digest(citation=citation, chapter=str(item.get("chapter") or ""),
                                  title=require(path, item, "title", str, entry).strip(),
                                  digest=require(path, item, "digest", str, entry).strip(),
                                  where=f"{path.name}:{item.line}"))
    return digests


def load_policies(root: Path) -> list[PolicyItem]:
    path = root / "workplan.yaml"
    data = load_yaml(path)
    items = []
    for item in require(path, data, "items", list):
        number = require(path, item, "number", int)
        entry = f"第{number}项"
        items.append(PolicyItem(
            number=number, section=require(path, item, "section", str, entry),
            title=require(path, item, "title", str, entry), summary=require(path, item, "summary", str, entry).strip(),
            measures=_str_list(path, item, "measures", entry), projects=_str_list(path, item, "projects", entry, required=False),
            units=_str_list(path, item, "units", entry), questions=_str_list(path, item, "questions", entry),
            where=f"{path.name}:{item.line}"))
    return items


def load_contacts(root: Path) -> list[Contact]:
    path = root / "contacts.yaml"
    data = load_yaml(path)
    return [Contact(id=require(path, item, "id", str), number=str(require(path, item, "number", (str, int))),
                    name=require(path, item, "name", str), purpose=require(path, item, "purpose", str).strip(),
                    when=require(path, item, "when", str).strip(), emergency=bool(item.get("emergency")),
                    sources=_citations(path, item, str(item.get("id")), required=False))
            for item in require(path, data, "contacts", list)]


def load_programs(root: Path) -> list[Program]:
    path = root / "lectures.yaml"
    data = load_yaml(path)
    programs = []
    for item in require(path, data, "programs", list):
        pid = require(path, item, "id", str)
        kind = require(path, item, "kind", str, pid)
        if kind not in ("school", "public"):
            raise ContentError(path, "kind 只能是 school（学校预约）或 public（公开报名）", item.line, pid)
        programs.append(Program(
            id=pid, title=require(path, item, "title", str, pid), kind=kind,
            audience=_str_list(path, item, "audience", pid), grades=str(item.get("grades") or ""),
            duration_minutes=int(require(path, item, "duration_minutes", int, pid)),
            topics=_str_list(path, item, "topics", pid), delivered_by=require(path, item, "delivered_by", str, pid),
            units=_str_list(path, item, "units", pid, required=False),
            description=require(path, item, "description", str, pid).strip()))
    return programs


def load_streets(root: Path) -> list[str]:
    path = root / "streets.yaml"
    return [require(path, item, "name", str) for item in require(path, load_yaml(path), "streets", list)]


def load_synonyms(root: Path) -> list[SynonymRule]:
    path = root / "synonyms.yaml"
    rules = []
    for item in require(path, load_yaml(path), "rules", list):
        entry = "/".join(map(str, item.get("when") or item.get("when_all") or []))[:30]
        triggers = _triggers(path, item, "when", entry)
        if item.get("when_all"):
            triggers.append(Trigger.parse("+".join(str(x) for x in item["when_all"])))
        if not triggers:
            raise ContentError(path, "规则需要 when 或 when_all", item.line, entry)
        rules.append(SynonymRule(triggers=triggers, add=_str_list(path, item, "add", entry)))
    return rules


def load_scope(root: Path) -> tuple[list[Trigger], list[Trigger], list[Trigger]]:
    """Phrases that put a question in scope, that mark it off-topic, and that ask about Pudong's work plan."""
    path = root / "scope.yaml"
    data = load_yaml(path)
    return (_triggers(path, data, "in_scope", "in_scope"), _triggers(path, data, "offtopic", "offtopic"),
            _triggers(path, data, "policy_intent", "policy_intent"))


def load_messages(root: Path) -> dict[str, str]:
    path = root / "messages.yaml"
    data = load_yaml(path)
    return {key: str(value) for key, value in data.items() if key != "version"}


def _word_file(path: Path) -> set[str]:
    if not path.is_file():
        raise ContentError(path, "文件不存在")
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}


def load_content(root: Path) -> Content:
    """Read every content file; raise ContentError on the first structural problem."""
    laws = load_laws(root)
    in_scope, offtopic, _ = load_scope(root)
    contacts = load_contacts(root)
    load_reader(root), load_intents(root)  # validated here; the engine reads them itself
    content = Content(
        root=root, laws=laws, faq=load_faq(root), digests=load_digests(root, laws),
        policies=load_policies(root), contacts=contacts, programs=load_programs(root),
        streets=load_streets(root), synonyms=load_synonyms(root), in_scope=in_scope, offtopic=offtopic,
        emergency=load_danger_rules(root, {c.number for c in contacts}),
        messages=load_messages(root), stopwords=_word_file(root / "stopwords.txt"),
        dictionary=root / "dictionary.txt", documents=load_documents(root))
    content.files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".txt"))
    return content
