"""Plain data the engine passes around: citations and curated entries."""
from __future__ import annotations

import re
from functools import cached_property
from dataclasses import dataclass, field

from knowledge.normalize import normalize
from knowledge.numerals import arabize, int_to_cn

_ARTICLE = re.compile(r"^\s*(\d+)\s*(之[一二三四五六七八九十]+)?\s*$")


@dataclass(frozen=True, order=True)
class Citation:
    """One article of one law; 「第十七条之一」 is article 17 with suffix 之一."""

    law: str
    article: int
    suffix: str = ""

    @classmethod
    def parse(cls, law: str, article) -> "Citation":
        """Read `article: 21` or `article: 236之一` from content."""
        match = _ARTICLE.match(str(article))
        if not match:
            raise ValueError(f"条号 {article!r} 应写成阿拉伯数字，如 21 或 236之一")
        return cls(law, int(match.group(1)), match.group(2) or "")

    @property
    def key(self) -> str:
        return f"{self.law}#{self.article}{self.suffix}"

    @property
    def label(self) -> str:
        return f"第{int_to_cn(self.article)}条{self.suffix}"

    def as_json(self) -> dict:
        data = {"law": self.law, "article": self.article}
        if self.suffix:
            data["suffix"] = self.suffix
        return data


@dataclass(frozen=True)
class Amendment:
    """A later amendment of a law whose text the knowledge base holds in an earlier version."""

    name: str
    date: str
    articles: tuple[str, ...]  # the articles it changed, as content writes them: "165", "133之一"


def selects(selection: str | list, number: int) -> bool:
    """True when an article number is in a selection: "all", or a list of numbers and ranges such as "17-23"."""
    if selection == "all":
        return True
    for item in selection:
        if isinstance(item, int) and item == number:
            return True
        if isinstance(item, str) and "-" in item:
            low, high = (int(x) for x in item.split("-"))
            if low <= number <= high:
                return True
        elif isinstance(item, str) and item.isdigit() and int(item) == number:
            return True
    return False


@dataclass
class LawSpec:
    name: str
    short: str
    source: str  # national | local
    aliases: list[str]
    articles: str | list = "all"
    file: str | None = None
    version_date: str | None = None
    digests: str | None = None
    text_basis: str | None = None  # the amendment the stored text incorporates, e.g. 刑法修正案（十一）
    amendments: list[Amendment] = field(default_factory=list)
    recall: str | list = "all"  # which stored articles search may return: all | cited | a selection (+ cited ones)

    def wants(self, number: int) -> bool:
        """True when the article is in the configured selection."""
        return selects(self.articles, number)

    def recalls(self, citation: Citation, cited: set[Citation]) -> bool:
        """True when search may find this article (look-ups and 查看原文 reach every stored article anyway)."""
        if self.recall == "all" or citation in cited:
            return True
        return self.recall != "cited" and selects(self.recall, citation.article)


@dataclass
class FaqEntry:
    id: str
    topic: str
    audience: list[str]
    question: str
    paraphrases: list[str]
    answer: str
    sources: list[Citation]
    related: list[str] = field(default_factory=list)
    where: str = ""
    documents: list[str] = field(default_factory=list)  # ids in documents.yaml
    child: str = ""          # the answer in plain words to a child who writes about what was done to them
    offence: dict = field(default_factory=dict)  # {kind: unlawful|serious|crime, law, article}: 犯法 or 犯罪?
    steps: list[str] = field(default_factory=list)  # what a parent does next, in order
    by_age: list[str] = field(default_factory=list)  # 「不满14周岁：…」: how the answer differs by an unstated age

    @property
    def texts(self) -> list[str]:
        """Everything the bot may say from this entry in its own words: the kb check rules hold for each of them."""
        return [t for t in (self.answer, self.child, *self.steps, *self.by_age) if t]


_AGE_RANGE = re.compile(r"(?:已满(\d+)周岁)?(?:不满|未满)(\d+)周岁|(?:已满)?(\d+)周岁以上|已满(\d+)周岁")


def age_range(line: str) -> tuple[int, int] | None:
    """The ages a by_age line covers, read from its label before 「：」: 「已满14周岁不满16周岁」 → (14, 15)."""
    label = line.split("：", 1)[0] if "：" in line else ""
    match = _AGE_RANGE.search(arabize(label))
    if not match:
        return None
    low, below, above, since = match.groups()
    if below:
        return int(low or 0), int(below) - 1
    return int(above or since), 150


@dataclass
class Document:
    """A normative document (not a statute) that sets a rule people meet, cited by name, issuer, number and date."""

    id: str
    name: str
    issuer: str
    date: str
    kind: str
    rule: str
    where: str = ""
    number: str = ""  # 文号 such as 法释〔2020〕22号; a judicial interpretation must have one


@dataclass
class Digest:
    citation: Citation
    chapter: str
    title: str
    digest: str
    where: str = ""


@dataclass
class PolicyItem:
    number: int
    section: str
    title: str
    summary: str
    measures: list[str]
    projects: list[str]
    units: list[str]
    questions: list[str]
    where: str = ""


@dataclass
class Contact:
    id: str
    number: str
    name: str
    purpose: str
    when: str
    emergency: bool = False
    sources: list[Citation] = field(default_factory=list)


@dataclass
class Program:
    id: str
    title: str
    kind: str  # school | public
    audience: list[str]
    grades: str
    duration_minutes: int
    topics: list[str]
    delivered_by: str
    units: list[str]
    description: str


@dataclass
class Trigger:
    """A phrase rule: 「威胁|恐吓+裸照」 fires when one of each '+'-joined group occurs."""

    groups: list[list[str]]

    @classmethod
    def parse(cls, text: str) -> "Trigger":
        """Phrases are stored the way questions are prepared: simplified, lower case, Arabic digits."""
        groups = [[arabize(normalize(alt)) for alt in part.split("|") if alt.strip()] for part in str(text).split("+")]
        if not groups or not all(groups):
            raise ValueError(f"规则 {text!r} 写法不对")
        return cls(groups)

    def fires(self, text: str) -> bool:
        return all(pattern.search(text) for pattern in self._patterns)

    @cached_property
    def _patterns(self) -> list[re.Pattern]:
        """One regular expression per group: the search runs in C, not phrase by phrase in Python."""
        return [re.compile("|".join(map(re.escape, sorted(group, key=len, reverse=True)))) for group in self.groups]

    def fires_on(self, found: set[str]) -> bool:
        """Like fires, given the set of this text's phrases already found by a PhraseFinder."""
        return all(any(alt in found for alt in group) for group in self.groups)


class TriggerIndex:
    """Which of many owners (rules) fire on a text, checking each distinct phrase once."""

    def __init__(self, owned: list[tuple[int, Trigger]]):
        self.phrases = sorted({alt for _, t in owned for group in t.groups for alt in group})
        self._by_first: dict[str, list[tuple[int, Trigger]]] = {}
        for owner, trigger in owned:
            for alt in trigger.groups[0]:
                self._by_first.setdefault(alt, []).append((owner, trigger))

    def fired(self, text: str) -> set[int]:
        found = {p for p in self.phrases if p in text}
        return {owner for phrase in found for owner, trigger in self._by_first.get(phrase, ())
                if trigger.fires_on(found)}


@dataclass
class SynonymRule:
    triggers: list[Trigger]
    add: list[str]
