"""Content proofs: every citation exists, digests keep the law's numbers, nothing is duplicated."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

from knowledge.content import Content
from knowledge.normalize import compact
from knowledge.numerals import arabize

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
    numbers = Counter(p.number for p in content.policies)
    problems += [f"workplan.yaml 第{n}项重复" for n, c in numbers.items() if c > 1]
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
        stated = set(_NUMBER.findall(_REFERENCE.sub("", arabize(entry.answer))))
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
        lines.append(f"  《{law}》无 FAQ 或要点覆盖的条文 {len(numbers)} 条：" + "、".join(numbers[:60])
                     + (" …" if len(numbers) > 60 else ""))
    lines.append(f"要点：{len(content.digests)} 条；工作要点：{len(content.policies)} 项；热线：{len(content.contacts)} 个；"
                 f"讲座项目：{len(content.programs)} 个")
    return lines
