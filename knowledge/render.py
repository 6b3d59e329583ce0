"""Turn matches into the plain text a user reads; the wording itself comes from content/messages.yaml."""
from __future__ import annotations

from dataclasses import replace

from knowledge.answer import Answer, Match
from knowledge.model import EmergencyRule
from knowledge.numerals import int_to_cn


class Renderer:
    """Formats answers; every channel (terminal, Telegram, web) shows exactly this text."""

    def __init__(self, kb, messages: dict[str, str]):
        self.kb, self.messages = kb, messages

    def _m(self, key: str, **values) -> str:
        return self.messages[key].format(**values).strip()

    def version(self, law: str) -> str:
        meta = self.kb.laws.get(law, {})
        return self._m("version_label", date=meta.get("version_date") or "—", status=meta.get("status") or "")

    def basis(self, sources: list[dict]) -> str:
        lines = [self._m("basis_header")]
        for s in sources:
            label = f"第{int_to_cn(s['article'])}条{s.get('suffix', '')}"
            lines.append(self._m("basis_line", law=s["law"], label=label, version=self.version(s["law"])))
        return "\n".join(lines)

    def faq(self, match: Match) -> str:
        return f"{match.text}\n\n{self.basis(match.sources)}"

    def articles(self, matches: list[Match]) -> str:
        blocks = []
        for m in matches:
            row = self.kb.articles[m.id]
            head = self._m("article_header", law=row["law"], label=row["label"], version=self.version(row["law"]))
            if m.kind == "digest":
                blocks.append(f"{head}\n{self._m('digest_note')}\n{row['digest']}")
            else:
                blocks.append(f"{head}\n{row['text']}")
        return "\n\n".join(blocks)

    def article_missing(self, ref, count: int) -> str:
        return self._m("article_not_found", law=ref.law, label=f"第{int_to_cn(ref.article)}条{ref.suffix}", count=count)

    def policy(self, item: dict) -> str:
        lines = [self._m("policy_header", number=item["number"], title=item["title"]), item["summary"]]
        if item["measures"]:
            lines.append(self._m("policy_measures") + "；".join(item["measures"]))
        if item["projects"]:
            lines.append(self._m("policy_projects") + "、".join(item["projects"]))
        lines.append(self._m("policy_units") + "、".join(item["units"]))
        return "\n".join(lines)

    def unsure(self, suggestions: list[Match]) -> str:
        lines = [self._m("not_sure")]
        if suggestions:
            lines.append(self._m("not_sure_topics"))
            lines += [f"· {s.title}" for s in suggestions]
        lines.append(self._m("not_sure_contact"))
        return "\n".join(lines)

    def tentative(self, top: Match) -> str:
        """Say which question is being answered when the match is not certain."""
        return self._m("tentative_faq" if top.kind == "faq" else "tentative_other", title=top.title)

    def also(self, others: list[Match]) -> str:
        """Point to the other questions a long message seems to ask as well."""
        return "\n".join([self._m("also_header")] + [f"· {m.title}" for m in others])

    def offtopic(self) -> str:
        return self._m("offtopic")

    def with_emergency(self, answer: Answer, alerts: list[EmergencyRule], contacts: list[dict]) -> Answer:
        """Put 110 and the right hotlines before anything else the answer says."""
        by_number = {c["number"]: c for c in contacts}
        numbers = list(dict.fromkeys(n for rule in alerts for n in rule.hotlines))
        lines = [self._m("emergency_header")]
        for number in numbers:
            contact = by_number.get(number)
            if contact:
                lines.append(self._m("emergency_hotline", number=number, name=contact["name"], when=contact["when"]))
        lines += [rule.advice for rule in alerts]
        body = answer.answer if answer.answered else ""
        text = "\n".join(lines) + (f"\n\n{body}" if body else "")
        return replace(answer, emergency=True, answer=text,
                       status=answer.status if answer.answered else "emergency")
