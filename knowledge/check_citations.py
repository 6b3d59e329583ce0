"""How answers cite: a judicial interpretation or other document an answer relies on is one of its sources, with
issuer, number and date; an article number is never bare, its law is named in the same sentence."""
from __future__ import annotations

import re

from knowledge.content import Content
from knowledge.numerals import CN_NUMBER

NUMBERED_KINDS = ("司法解释", "部门规章", "行政法规")  # kinds that always carry a 文号
_TITLE = re.compile(r"《([^《》]+)》")
# a title that names a rule-making text (not a form such as 《出生医学证明》)
_RULE_TITLE = re.compile(r"(?:解释|规定|意见|通知|通告|办法|规则|条例|批复|纲要|标准)(?:（[^）]*）)?$")
# an answer that relies on an interpretation without naming it: 「按最高人民法院的司法解释」「婚姻家庭编司法解释（一）」
_UNNAMED_INTERPRETATION = re.compile(r"司法解释|编的?解释[（(]")
_ARTICLE = re.compile(rf"第\s*(?:\d+|{CN_NUMBER})\s*条")
_SENTENCE = re.compile(r"[^。！？\n]+")


def law_names(content: Content) -> set[str]:
    """Every way an answer may name a statute: full names, short names, aliases, with and without 中华人民共和国."""
    names = {n for law in content.laws for n in (law.name, law.short, *law.aliases) if n}
    names |= {c.law for e in content.faq for c in e.sources}
    return names | {n.removeprefix("中华人民共和国") for n in names}


def document_source_problems(content: Content) -> list[str]:
    """Documents missing a 文号, and answers naming an interpretation or document that is not among their sources."""
    problems = [f"documents.yaml [{d.id}] {d.kind}要写文号（number）" for d in content.documents
                if d.kind in NUMBERED_KINDS and not d.number]
    laws = law_names(content)
    by_name = {d.name: d for d in content.documents}
    for entry in content.faq:
        said = "\n".join(entry.texts)
        for title in dict.fromkeys(_TITLE.findall(said)):
            document = by_name.get(title)
            if document is not None and document.id not in entry.documents:
                problems.append(f"{entry.where} [{entry.id}] 回答写了《{title}》，但 documents 里没有 {document.id}")
            elif document is None and title not in laws and _RULE_TITLE.search(title):
                problems.append(f"{entry.where} [{entry.id}] 回答写了《{title}》：既不是所引法律，也不在 documents.yaml 里"
                                "（司法解释、规范性文件要登记名称、发文机关、文号和日期）")
        cited = [content.document(d) for d in entry.documents]
        if _UNNAMED_INTERPRETATION.search(_TITLE.sub("", said)) and not any(
                d and d.kind == "司法解释" for d in cited):
            problems.append(f"{entry.where} [{entry.id}] 回答依据了司法解释，但没有写出它的全称，documents 里也没有它")
    return problems


def bare_article_problems(content: Content) -> list[str]:
    """Answers with a 「第N条」 whose law is not named earlier in the same sentence (it could be read as another's)."""
    names = sorted(law_names(content) | {d.name for d in content.documents}, key=len, reverse=True)
    problems = []
    for entry in content.faq:
        for sentence in (found for text in entry.texts for found in _SENTENCE.findall(text)):
            for match in _ARTICLE.finditer(sentence):
                before = sentence[:match.start()]
                if not any(name in before for name in names):
                    problems.append(f"{entry.where} [{entry.id}] 「{sentence.strip()}」里的{match.group(0)}"
                                    "没有在同一句里写明是哪部法律的")
                    break
    return problems

