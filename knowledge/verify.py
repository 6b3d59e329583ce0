"""Content proofs: every citation exists, digests keep the law's numbers, nothing is duplicated."""
from __future__ import annotations

import re
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

from knowledge.content import Content
from knowledge.normalize import compact
from knowledge.model import Citation
from knowledge.numerals import CN_NUMBER, arabize, cn_to_int

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SEED_ITEM = re.compile(r"^\s*(\d{1,2})\s*\.\s*$", re.M)


def structural_problems(content: Content, known: set[str], official: set[str] | None = None) -> list[str]:
    """Problems that make the knowledge base wrong; the build refuses to go on with any of them."""
    problems: list[str] = []
    ids = Counter(e.id for e in content.faq)
    problems += [f"FAQ id 重复：{i}" for i, n in ids.items() if n > 1]
    phrasings: dict[str, str] = {}
    for entry in content.faq:
        for citation in entry.sources:
            if citation.key not in known:
                problems.append(f"{entry.where} [{entry.id}] 引用的《{citation.law}》{citation.label} 不存在或未收录")
        for rel in entry.related:
            if rel not in ids:
                problems.append(f"{entry.where} [{entry.id}] related 里的 {rel} 不存在")
        for text in [entry.question, *entry.paraphrases]:
            key = compact(text)
            owner = phrasings.setdefault(key, entry.id)
            if owner != entry.id:
                problems.append(f"{entry.where} [{entry.id}] 问法「{text}」与 {owner} 重复")
    for contact in content.contacts:
        problems += [f"contacts.yaml [{contact.id}] 引用的《{c.law}》{c.label} 不存在"
                     for c in contact.sources if c.key not in known]
    seen_digests = Counter(d.citation.key for d in content.digests)
    problems += [f"要点重复：{k}" for k, n in seen_digests.items() if n > 1]
    if official is not None:
        loaded_laws = {key.split("#")[0] for key in official}
        problems += [f"{d.where} 《{d.citation.law}》没有{d.citation.label}" for d in content.digests
                     if d.citation.law in loaded_laws and d.citation.key not in official]
    problems += document_problems(content)
    numbers = Counter(p.number for p in content.policies)
    problems += [f"workplan.yaml 第{n}项重复" for n, c in numbers.items() if c > 1]
    return problems


def document_problems(content: Content) -> list[str]:
    """Normative documents: ids unique and existing, and every answer that relies on one names it in full."""
    problems = [f"documents.yaml 文件 id 重复：{i}" for i, n in Counter(d.id for d in content.documents).items() if n > 1]
    for entry in content.faq:
        for doc_id in entry.documents:
            document = content.document(doc_id)
            if document is None:
                problems.append(f"{entry.where} [{entry.id}] documents 里的 {doc_id} 在 documents.yaml 里不存在")
            elif f"《{document.name}》" not in entry.answer:
                problems.append(f"{entry.where} [{entry.id}] 回答依据了规范性文件 {doc_id}，"
                                f"但没有写出它的全称《{document.name}》")
    return problems


def numbers_in(text: str) -> set[str]:
    """Every number in a text, Chinese numerals read as digits."""
    return set(_NUMBER.findall(arabize(text)))


def digest_number_problems(content: Content, official_text: dict[str, str]) -> list[str]:
    """Digests whose ages, times or amounts do not appear in the official article."""
    problems = []
    for digest in content.digests:
        text = official_text.get(digest.citation.key)
        if text is None:
            continue
        missing = numbers_in(digest.title + digest.digest) - numbers_in(text)
        if missing:
            problems.append(f"{digest.where} 《{digest.citation.law}》{digest.citation.label} 的要点里有原文没有的数字："
                            + "、".join(sorted(missing)))
    return problems


_REFERENCE = re.compile(r"第\s*\d+(?:\s*[、，,和及至-]\s*\d+)*\s*[条款项章节]")


def faq_number_problems(content: Content, texts: dict[str, str]) -> list[str]:
    """FAQ answers stating an age, time or amount that none of their cited articles (nor a hotline) contains."""
    hotlines = {c.number for c in content.contacts}
    problems = []
    for entry in content.faq:
        allowed = set(hotlines) | {"1"}
        for citation in entry.sources:
            allowed |= numbers_in(texts.get(citation.key, ""))
        for doc_id in entry.documents:
            document = content.document(doc_id)
            allowed |= numbers_in(f"{document.name} {document.date} {document.rule}") if document else set()
        stated = set(_NUMBER.findall(_REFERENCE.sub("", arabize("\n".join(entry.texts)))))
        if missing := stated - allowed:
            problems.append(f"{entry.where} [{entry.id}] 回答里的数字在所引条文中找不到：" + "、".join(sorted(missing)))
    return problems


def seed_problems(content: Content, seed_dir: Path | None) -> list[str]:
    """Work-plan items in the office's seed file that have no structured entry."""
    if not seed_dir or not seed_dir.is_dir():
        return []
    have = {p.number for p in content.policies}
    problems = []
    for path in sorted(seed_dir.glob("*.txt")):
        for number in sorted({int(n) for n in _SEED_ITEM.findall(path.read_text(encoding="utf-8"))}):
            if number not in have:
                problems.append(f"{path.name} 第{number}项在 workplan.yaml 里没有对应条目")
    return problems


LISTED_LAW_SIZE = 200  # laws with more articles get a count in the coverage summary, not a list


def coverage(content: Content, article_keys_by_law: dict[str, list[str]]) -> list[str]:
    """Readable summary: entries per topic and audience, core-law articles nothing explains."""
    lines = ["FAQ 条目：%d" % len(content.faq)]
    by_topic = Counter(e.topic for e in content.faq)
    lines.append("  按主题：" + "，".join(f"{t} {n}" for t, n in by_topic.most_common()))
    by_audience = Counter(a for e in content.faq for a in e.audience)
    lines.append("  按对象：" + "，".join(f"{a} {n}" for a, n in by_audience.most_common()))
    covered = {c.key for e in content.faq for c in e.sources} | {d.citation.key for d in content.digests}
    uncovered: dict[str, list[str]] = defaultdict(list)
    for law, keys in article_keys_by_law.items():
        for key in keys:
            if key not in covered:
                uncovered[law].append(key.split("#")[1])
    for law, numbers in uncovered.items():
        total = len(article_keys_by_law[law])
        if total > LISTED_LAW_SIZE:  # 民法典, 刑法 …: held whole for look-ups; a list of a thousand numbers says nothing
            lines.append(f"  《{law}》共 {total} 条，FAQ 或要点覆盖 {total - len(numbers)} 条")
            continue
        lines.append(f"  《{law}》无 FAQ 或要点覆盖的条文 {len(numbers)} 条：" + "、".join(numbers[:60])
                     + (" …" if len(numbers) > 60 else ""))
    lines.append(f"要点：{len(content.digests)} 条；工作要点：{len(content.policies)} 项；热线：{len(content.contacts)} 个；"
                 f"讲座项目：{len(content.programs)} 个")
    return lines


# ---- the law's force: 应当/不得/并处/责令 must not become 可以/可 --------------------------------------------------

_STRONG = ("应当", "不得", "并处", "责令", "必须")
# 可/可以 as a modal verb, not 可能/可是/许可/认可/不可/即可…
_PERMISSIVE = re.compile(r"(?<![不许认宁即无尽大])可(?:以)?(?![能是靠疑怜爱见惜怕笑观谓否口乐信言供知控贵喜恨耻叹敬行])")
_CLAUSE_SPLIT = re.compile(r"[，,：:]")
_SENTENCE_SPLIT = re.compile(r"[。；;！？\n]")
_SERIES_REACH = 8    # a modal this close to the end of an earlier clause governs the short clauses after it
_SHORT_CLAUSE = 10   # 「给予警告」「没收违法所得」: items of a series the modal before them governs
_LEAD_WORDS = re.compile(r"^(?:依法|依照|按照|根据|还|也|再|都|就)+")
_PREPOSITION = re.compile(r"^[向对给为与跟同在从到]")
# what a reader may do to assert a right or get help: 「可以要求赔偿」 gives the reader a right, even where the
# article tells someone else 「应当要求其出示身份证件」
_READER_RIGHTS = ("要求", "申请", "请求", "提出", "投诉", "举报", "控告", "报警", "报案", "起诉", "拒绝", "获得", "得到")


def _modal_at(text: str) -> tuple[int, str | None]:
    """Position and kind ('strong' or 'permissive') of the modal word nearest the end of text.

    「并可以责令」 counts as permissive: 可以 governs the 责令 right after it."""
    best, kind = -1, None
    for word in _STRONG:
        at = text.rfind(word)
        if at > best:
            best, kind = at, "strong"
    for match in _PERMISSIVE.finditer(text):
        if match.start() > best:
            best, kind = match.start(), "permissive"
    if kind == "strong" and _PERMISSIVE.search(text[max(0, best - 3):best]):
        kind = "permissive"
    return best, kind


def _force_of(anchor: str, article: str) -> set[str]:
    """How the article words what follows the anchor: the modal before it in its clause, or one that ends an
    earlier clause of the same sentence and governs the short series in between (责令改正，给予警告，没收…)."""
    found = set()
    for sentence in _SENTENCE_SPLIT.split(article):
        clauses = _CLAUSE_SPLIT.split(sentence)
        for index, clause in enumerate(clauses):
            at = clause.find(anchor)
            if at < 0:
                continue
            kind = _modal_at(clause[:at])[1]
            back = index
            while kind is None and back > 0 and (back == index or len(clauses[back]) <= _SHORT_CLAUSE):
                back -= 1
                position, kind = _modal_at(clauses[back])
                if kind and len(clauses[back]) - position > _SERIES_REACH:
                    kind = None
                    break
            found.add(kind or "none")
    return found


def _anchors(tail: str) -> list[str]:
    """What to look up in the article for the words after a 可/可以: the verb right after it and any number."""
    words = _LEAD_WORDS.sub("", tail)
    verb = words[:2]
    usable = len(verb) == 2 and not _PREPOSITION.match(verb) and not verb.startswith("不") and verb not in _READER_RIGHTS
    anchors = [verb] if usable else []
    return anchors + _NUMBER.findall(tail)


def modal_conflicts(paraphrase: str, article: str) -> list[str]:
    """Phrases of a plain-words text that say 可/可以 where the article says 应当/不得/并处/责令/必须.

    For each 可/可以 the verb right after it (and any number in the same clause) is looked up in the article;
    it is a conflict when every place the article says it is governed by a strong modal and none by a permissive one.
    A 可以 before a preposition (「可以向…投诉」), a 「可以不…」 and a reader's own right (「可以要求赔偿」) usually give
    the reader a right the article does not word, and are only compared by their numbers."""
    article = arabize(article)
    conflicts = []
    for clause in re.split(r"[，,。；;：:！？\n]", paraphrase):
        plain = arabize(clause)
        for match in _PERMISSIVE.finditer(plain):
            for anchor in _anchors(plain[match.end():]):
                forces = _force_of(anchor, article)
                if forces:
                    if "strong" in forces and "permissive" not in forces:
                        conflicts.append(clause.strip())
                    break
    return list(dict.fromkeys(conflicts))


def modal_problems(content: Content, official_text: dict[str, str]) -> list[str]:
    """Digests and FAQ answers that soften the law's 应当/不得/并处/责令 into 可以/可."""
    problems = []
    for digest in content.digests:
        text = official_text.get(digest.citation.key)
        for phrase in modal_conflicts(digest.digest, text) if text else []:
            problems.append(f"{digest.where} 《{digest.citation.law}》{digest.citation.label} 的要点写「{phrase}」，"
                            "原文用的是应当/不得/并处/责令，不能写成可以/可")
    for entry in content.faq:
        text = "\n".join(official_text.get(c.key, "") for c in entry.sources)
        said = [phrase for answer in entry.texts for phrase in modal_conflicts(answer, text)] if text.strip() else []
        for phrase in dict.fromkeys(said):
            problems.append(f"{entry.where} [{entry.id}] 回答写「{phrase}」，所引条文用的是应当/不得/并处/责令，"
                            "不能写成可以/可")
    return problems


# ---- amendments after the stored text (content/laws.yaml) ------------------------------------------------------

_SUFFIX = "之[一二三四五六七八九十]+"
_INSERTED = re.compile(rf"作为第({CN_NUMBER})条({_SUFFIX})")


def amended_articles(text: str, law_short: str = "刑法") -> set[str]:
    """The articles an amendment's text changes or inserts: 「将刑法第三百九十条修改为」 -> "390",
    「在刑法第一百三十三条之一后增加一条，作为第一百三十三条之二」 -> "133之二" (133之一 itself is unchanged)."""
    changed = re.compile(rf"{re.escape(law_short)}第({CN_NUMBER})条({_SUFFIX})?(?!之|后增加)")
    found = {f"{cn_to_int(m.group(1))}{m.group(2) or ''}" for m in changed.finditer(text)}
    found |= {f"{cn_to_int(m.group(1))}{m.group(2)}" for m in _INSERTED.finditer(text)}
    return found


def amendment_problems(content: Content, db_path: Path | None) -> list[str]:
    """Each recorded amendment exists in laws.db with its date, and changed exactly the articles recorded."""
    if db_path is None:
        return []
    problems = []
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        for law in content.laws:
            if not law.amendments:
                continue
            meta = conn.execute("select version_date from laws where law_name = ?", (law.name,)).fetchone()
            version = meta[0] if meta else None
            basis = conn.execute("select version_date from laws where law_name in (?, ?)",
                                 (law.text_basis, f"中华人民共和国{law.text_basis}")).fetchone()
            if basis is None or basis[0] != version:
                problems.append(f"laws.yaml [{law.name}] text_basis「{law.text_basis}」不是 laws.db 里 {version} 版文本"
                                "所依据的修正案")
            short = law.name.removeprefix("中华人民共和国")
            for amendment in law.amendments:
                row = conn.execute("select version_date from laws where law_name = ?", (amendment.name,)).fetchone()
                if row is None:
                    problems.append(f"laws.yaml [{law.name}] laws.db 里没有《{amendment.name}》")
                    continue
                if row[0] != amendment.date:
                    problems.append(f"laws.yaml [{law.name}] 《{amendment.name}》的日期是 {row[0]}，不是 {amendment.date}")
                if version and amendment.date <= version:
                    problems.append(f"laws.yaml [{law.name}] 《{amendment.name}》不晚于已收录的 {version} 版文本")
                text = "\n".join(r[0] or "" for r in conn.execute(
                    "select article_text from articles where law_name = ? order by id", (amendment.name,)))
                derived = amended_articles(text, short)
                recorded = set(amendment.articles)
                if derived != recorded:
                    missing = sorted(derived - recorded, key=_article_order)
                    extra = sorted(recorded - derived, key=_article_order)
                    problems.append(f"laws.yaml [{law.name}] 《{amendment.name}》修改的条文与原文不符："
                                    + (f"漏了 {'、'.join(missing)}" if missing else "")
                                    + ("；" if missing and extra else "")
                                    + (f"原文没有改 {'、'.join(extra)}" if extra else ""))
    return problems


def _article_order(label: str) -> tuple[int, str]:
    citation = Citation.parse("", label)
    return citation.article, citation.suffix
