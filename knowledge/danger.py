"""Is a child in danger now? Crisis help comes first only then; a question about the past gets the law.

The rules (content/emergency.yaml) say what the danger is; the question's understanding says whether it is
happening now, whether the message asks about law instead, and who writes. Situations (hiding behind a locked
door, outside, hurt, a sibling there) decide the advice: a child already locked in must not be told to run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from knowledge.model import Trigger
from knowledge.understand import Understanding
from runtime.yamlfile import ContentError, load_yaml, require

WRITERS = ("child", "parent", "witness", "other")


@dataclass
class DangerRule:
    id: str
    label: str
    always: list[Trigger]   # danger now, whatever else the message asks
    now: list[Trigger]      # danger now, unless the message asks about the past or the law
    when: list[Trigger]     # this kind of danger; now only with a word for now
    hotlines: list[str]
    advice: dict[str, str]
    calm: list[str]         # numbers for the calm line under a legal answer that mentions this danger

    after: list[str] = field(default_factory=list)  # numbers for once the danger is over (family violence …)

    def mentioned(self, text: str) -> bool:
        return any(t.fires(text) for t in (*self.always, *self.now, *self.when))


@dataclass
class Situation:
    """Where the one at risk is or what else is true (hiding, outside, hurt): advice that fits, as data."""

    id: str
    when: list[Trigger]
    rules: frozenset[str]       # the dangers it applies to; empty = all
    advice: dict[str, str]
    instead: bool               # its advice replaces the danger's general advice (hiding: do not run)
    group: str                  # within a group only the first situation that fires counts (one place)
    hotlines: list[str]
    after: list[str]

    def fits(self, text: str, alerts: list[DangerRule]) -> bool:
        applies = not self.rules or any(rule.id in self.rules for rule in alerts)
        return applies and any(t.fires(text) for t in self.when)


@dataclass
class Danger:
    """What the detector found: rules that call for crisis help now, rules only mentioned, and the situation."""

    alerts: list[DangerRule]
    mentioned: list[DangerRule]
    situations: list[Situation] = field(default_factory=list)

    @property
    def now(self) -> bool:
        return bool(self.alerts)


class DangerDetector:
    model = None  # knowledge.danger_model.DangerModel beside the rules, when the knowledge base has one

    def __init__(self, rules: list[DangerRule], situations: list[Situation] = ()):
        self.rules, self.situations = rules, list(situations)

    @classmethod
    def load(cls, root: Path, known_numbers: set[str] | None = None) -> "DangerDetector":
        rules = load_danger_rules(root, known_numbers)
        return cls(rules, load_situations(root, {r.id for r in rules}, known_numbers))

    def detect(self, text: str, understood: Understanding) -> Danger:
        """`text` is the prepared question (simplified, lower case, Arabic digits)."""
        about_law = (understood.legal or understood.seeking or understood.past) and not understood.ongoing
        alerts, mentioned = [], []
        for rule in self.rules:
            if not rule.mentioned(text):
                continue
            mentioned.append(rule)
            if any(t.fires(text) for t in rule.always):
                alerts.append(rule)
            elif any(t.fires(text) for t in rule.now) and not about_law:
                alerts.append(rule)
            elif understood.now and not about_law and any(t.fires(text) for t in rule.when):
                alerts.append(rule)
        if not alerts and not about_law and self.model and self.model.flags(text):  # worded outside the rules
            alerts.append(self.model.rule)
        return Danger(alerts, [r for r in mentioned if r not in alerts], self.situated(text, alerts))

    def situated(self, text: str, alerts: list[DangerRule]) -> list[Situation]:
        """The situations a crisis message describes, the first of each group only."""
        if not alerts:
            return []
        found, groups = [], set()
        for situation in self.situations:
            if situation.group and situation.group in groups or not situation.fits(text, alerts):
                continue
            found.append(situation)
            groups.add(situation.group)
        return found


def load_danger_rules(root: Path, known_numbers: set[str] | None = None) -> list[DangerRule]:
    """content/emergency.yaml, checked: every rule has advice for every writer and known hotlines."""
    path = root / "emergency.yaml"
    data = load_yaml(path)
    rules = []
    for item in require(path, data, "rules", list):
        rule_id = require(path, item, "id", str)
        try:
            triggers = {key: [Trigger.parse(str(x)) for x in item.get(key) or []] for key in ("always", "now", "when")}
        except ValueError as exc:
            raise ContentError(path, str(exc), item.line, rule_id) from exc
        if not any(triggers.values()):
            raise ContentError(path, "至少要写一条 always、now 或 when 规则", item.line, rule_id)
        advice = require(path, item, "advice", dict, rule_id)
        missing = [w for w in WRITERS if not str(advice.get(w) or "").strip()]
        if missing:
            raise ContentError(path, f"advice 缺少：{'、'.join(missing)}", item.line, rule_id)
        hotlines = [str(n) for n in require(path, item, "hotlines", list, rule_id)]
        calm = [str(n) for n in item.get("calm") or []]
        after = [str(n) for n in item.get("after") or []]
        _known(path, item, rule_id, hotlines + calm + after, known_numbers)
        rules.append(DangerRule(rule_id, require(path, item, "label", str, rule_id), triggers["always"],
                                triggers["now"], triggers["when"], hotlines,
                                {w: str(advice[w]).strip() for w in WRITERS}, calm, after))
    load_situations(root, {r.id for r in rules}, known_numbers)  # a wrong situation fails the check too
    return rules


def load_situations(root: Path, rule_ids: set[str], known_numbers: set[str] | None = None) -> list[Situation]:
    """The `situations:` of content/emergency.yaml, checked like the rules."""
    path = root / "emergency.yaml"
    found = []
    for item in load_yaml(path).get("situations") or []:
        sid = require(path, item, "id", str)
        try:
            when = [Trigger.parse(str(x)) for x in require(path, item, "when", list, sid)]
        except ValueError as exc:
            raise ContentError(path, str(exc), item.line, sid) from exc
        rules = frozenset(str(r) for r in item.get("rules") or [])
        if rules - rule_ids:
            raise ContentError(path, f"没有这些规则：{'、'.join(sorted(rules - rule_ids))}", item.line, sid)
        advice = require(path, item, "advice", dict, sid)
        missing = [w for w in WRITERS if not str(advice.get(w) or "").strip()]
        if missing:
            raise ContentError(path, f"advice 缺少：{'、'.join(missing)}", item.line, sid)
        hotlines, after = ([str(n) for n in item.get(key) or []] for key in ("hotlines", "after"))
        _known(path, item, sid, hotlines + after, known_numbers)
        found.append(Situation(sid, when, rules, {w: str(advice[w]).strip() for w in WRITERS},
                               bool(item.get("instead")), str(item.get("group") or ""), hotlines, after))
    return found


def _known(path: Path, item, entry: str, numbers: list[str], known: set[str] | None) -> None:
    unknown = [n for n in numbers if known is not None and n not in known]
    if unknown:
        raise ContentError(path, f"contacts.yaml 里没有这些电话：{'、'.join(unknown)}", item.line, entry)
