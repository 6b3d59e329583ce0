"""Question understanding before ranking: what is asked, from which side, by whom, and whether it is happening now.

The phrase tables live in content/understanding.yaml; this module only applies them, the same way to a user's
question and to a curated entry's question, so the two can be compared.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.model import Trigger
from runtime.yamlfile import ContentError, load_yaml, require

# 「我今年15岁」「我才13」「本人16周岁」: the writer's own age
_SELF_AGE = re.compile(r"(?:我|本人)(?:今年|现在|才|已经|刚|刚满|已|都)?(?:满)?(\d{1,2})(?:周岁|岁|了)")
LAW_ASKS = {"liability", "punishment", "procedure"}  # asking these is asking about the law, not calling for help
GENERIC_ASKS = {"help"}  # 「怎么办」 goes with any question: it never makes an entry a misfit
# an age as stated (「孩子13岁」「刚满14周岁」), not a bound (「未满18岁」「不满14周岁」「14岁以下」「16岁以上」)
_AGES = re.compile(r"(?<!不满)(?<!未满)(?<!不到)(?<![\d.\-–~至到])(\d{1,2})\s*(?:周岁|岁)(?!以[上下]|之?前|\s*[-–~至到])")


@dataclass(frozen=True)
class Understanding:
    asks: tuple[str, ...] = ()   # kinds of question, most specific first (procedure, punishment, liability, …)
    side: str = ""               # victim | offender | "" (unknown or both)
    writer: str = ""             # child | parent | teacher | witness | ""
    ages: tuple[int, ...] = ()
    now: bool = False            # the message describes something happening now or about to
    ongoing: bool = False        # …and says it goes on (正在, 天天, 今晚): legal wording never silences help
    past: bool = False
    legal: bool = False          # it asks about law, punishment, liability or procedure
    seeking: bool = False        # it asks where to get help or who handles it
    offence: bool = False        # it asks 犯法吗 / 犯罪吗: the answer says which of the two it is

    @property
    def ask(self) -> str:
        """The main kind of question, or '' when nothing says what is asked."""
        return self.asks[0] if self.asks else ""


@dataclass
class Reader:
    """Reads an Understanding from prepared text (simplified, lower case, Arabic digits)."""

    asks: list[tuple[str, list[Trigger]]]
    sides: list[tuple[str, list[Trigger]]]
    writers: list[tuple[str, list[Trigger]]]
    now: list[Trigger]
    ongoing: list[Trigger]
    past: list[Trigger]
    legal: list[Trigger]
    seeking: list[Trigger]
    offence: list[Trigger] = field(default_factory=list)
    verdicts: frozenset[str] = field(default_factory=frozenset)
    child_age_below: int = 18

    def read(self, prepared: str) -> Understanding:
        asks = tuple(kind for kind, triggers in self.asks if _any(triggers, prepared))
        sides = [kind for kind, triggers in self.sides if _any(triggers, prepared)]
        if len(sides) > 1 and "victim" in sides and not _active(self.sides, "offender", prepared):
            sides = ["victim"]  # 「被同学打伤了」: the harm words are said of what was done to them
        writers = [kind for kind, triggers in self.writers if _any(triggers, prepared)]
        ages = tuple(int(a) for a in _AGES.findall(prepared))
        own = _SELF_AGE.search(prepared)
        writer = writers[0] if writers else ""
        if own and int(own.group(1)) < self.child_age_below and writer in ("", "witness"):
            writer = "child"
        return Understanding(asks=asks, side=sides[0] if len(sides) == 1 else "", writer=writer, ages=ages,
                             now=_any(self.now, prepared), ongoing=_any(self.ongoing, prepared),
                             past=_any(self.past, prepared),
                             legal=bool(set(asks) & LAW_ASKS) or _any(self.legal, prepared),
                             seeking=_any(self.seeking, prepared), offence=_any(self.offence, prepared))

    def verdict(self, answer: str) -> str:
        """The verdict an answer opens with (「不可以。」), or '' when it opens otherwise."""
        match = re.match(r"\s*([^。！，；：,!;:]{1,8})([。！，；,!;])", answer)
        if not match:
            return ""
        head, stop = match.group(1).strip(), match.group(2)
        if head in self.verdicts or (stop in "。！!" and len(head) <= 4):
            return match.group(0)
        return ""

    @staticmethod
    def same_question(asked: Understanding, entry: Understanding) -> bool:
        """True when a curated entry answers the question the user asked, from the same side."""
        if asked.side and entry.side and asked.side != entry.side:
            return False
        return bool(asked.asks) and entry.ask == asked.ask  # the main question, not one asked in passing

    @staticmethod
    def other_side(asked: Understanding, entry: Understanding) -> bool:
        return bool(asked.side and entry.side and asked.side != entry.side)

    @staticmethod
    def conflict(asked: Understanding, entry: Understanding) -> float:
        """0 when the entry fits the question's kind and side; up to 1 when it answers another question."""
        penalty = 0.0
        if asked.side and entry.side and asked.side != entry.side:
            penalty += 0.6
        asked_kinds, entry_kinds = set(asked.asks) - GENERIC_ASKS, set(entry.asks) - GENERIC_ASKS
        if asked_kinds and entry_kinds and not asked_kinds & entry_kinds:
            penalty += 0.4
        return min(1.0, penalty)


def _active(table: list[tuple[str, list[Trigger]]], kind: str, text: str) -> bool:
    """A phrase of this kind occurs without a 被 just before it (「把同学打伤了」, not 「被同学打伤了」)."""
    for name, triggers in table:
        if name != kind:
            continue
        for trigger in triggers:
            for alt in (a for group in trigger.groups for a in group):
                start = text.find(alt)
                while start >= 0:
                    if "被" not in text[max(0, start - 6):start + 1] and not alt.startswith("被"):
                        return True
                    start = text.find(alt, start + 1)
    return False


def _any(triggers: list[Trigger], text: str) -> bool:
    return any(t.fires(text) for t in triggers)


def load_reader(root: Path) -> Reader:
    """The phrase tables of content/understanding.yaml, with file and line on any error."""
    path = root / "understanding.yaml"
    data = load_yaml(path)

    def table(key: str) -> list[tuple[str, list[Trigger]]]:
        section = require(path, data, key, dict)
        return [(str(kind), _parse(path, section, kind, rules)) for kind, rules in section.items()]

    def rules(key: str) -> list[Trigger]:
        return _parse(path, data, key, require(path, data, key, list))

    verdicts = require(path, data, "verdicts", list)
    return Reader(asks=table("asks"), sides=table("sides"), writers=table("writers"), now=rules("now"),
                  ongoing=rules("ongoing"), past=rules("past"), legal=rules("legal"), seeking=rules("seeking"),
                  offence=rules("offence"),
                  verdicts=frozenset(str(v).strip() for v in verdicts),
                  child_age_below=int(data.get("child_age_below") or 18))


def _parse(path: Path, item: dict, key: str, raw) -> list[Trigger]:
    if not isinstance(raw, list) or not raw:
        raise ContentError(path, f"{key} 应是至少一条规则的列表", getattr(item, "line", None), str(key))
    try:
        return [Trigger.parse(str(rule)) for rule in raw]
    except ValueError as exc:
        raise ContentError(path, str(exc), getattr(item, "line", None), str(key)) from exc
