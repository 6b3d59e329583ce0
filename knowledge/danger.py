"""Is a child in danger now? Crisis help comes first only then; a question about the past gets the law.

The rules (content/emergency.yaml) say what the danger is; the question's understanding says whether it is
happening now, whether the message asks about law instead, and who writes.
"""
from __future__ import annotations

from dataclasses import dataclass
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

    def mentioned(self, text: str) -> bool:
        return any(t.fires(text) for t in (*self.always, *self.now, *self.when))


@dataclass
class Danger:
    """What the detector found: rules that call for crisis help now, and rules that are only mentioned."""

    alerts: list[DangerRule]
    mentioned: list[DangerRule]

    @property
    def now(self) -> bool:
        return bool(self.alerts)


class DangerDetector:
    model = None  # knowledge.danger_model.DangerModel beside the rules, when the knowledge base has one

    def __init__(self, rules: list[DangerRule]):
        self.rules = rules

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
        return Danger(alerts, [r for r in mentioned if r not in alerts])


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
        unknown = [n for n in hotlines + calm if known_numbers is not None and n not in known_numbers]
        if unknown:
            raise ContentError(path, f"contacts.yaml 里没有这些电话：{'、'.join(unknown)}", item.line, rule_id)
        rules.append(DangerRule(rule_id, require(path, item, "label", str, rule_id), triggers["always"],
                                triggers["now"], triggers["when"], hotlines,
                                {w: str(advice[w]).strip() for w in WRITERS}, calm))
    return rules
