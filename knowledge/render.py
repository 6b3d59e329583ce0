"""Turn matches into the plain text a user reads; the wording itself comes from content/messages.yaml."""
from __future__ import annotations

from dataclasses import replace

from knowledge.answer import Answer, Match
from knowledge.model import age_range
from knowledge.numerals import int_to_cn

KEY_SOURCES = (2, 3)  # an answer shows two or three articles it rests on first; the rest behind 「更多依据」


class Renderer:
    """Formats answers; every channel (terminal, Telegram, web) shows exactly this text."""

    def __init__(self, kb, messages: dict[str, str], reader=None):
        self.kb, self.messages, self.reader = kb, messages, reader  # reader: knowledge.understand.Reader

    def _m(self, key: str, **values) -> str:
        return self.messages[key].format(**values).strip()

    def version(self, law: str, article: int | None = None, suffix: str = "") -> str:
        """The version a quoted text is: for a law amended after its stored text (content/laws.yaml
        amendments), say whether this article was changed since, instead of the database's bare 「已被修改」."""
        meta = self.kb.laws.get(law, {})
        date = meta.get("version_date") or "—"
        amendments = meta.get("amendments") or []
        if not amendments:
            return self._m("version_label", date=date, status=meta.get("status") or "")
        basis = meta.get("text_basis") or ""
        if article is None:
            names = "、".join(f"{a['name'].removeprefix('中华人民共和国')}（{a['date']}）" for a in amendments)
            return self._m("version_label_amended_law", date=date, basis=basis, amendments=names)
        changed = [a for a in amendments if f"{article}{suffix}" in a["articles"]]
        if not changed:
            return self._m("version_label_unchanged", date=date, basis=basis)
        last = changed[-1]
        return self._m("version_label_changed", date=date, basis=basis,
                       amendment=last["name"].removeprefix("中华人民共和国"), amendment_date=last["date"])

    def documents(self, faq_id: str) -> list[dict]:
        """The normative documents a FAQ entry cites (documents.yaml), as the JSON contract shows them."""
        row = self.kb.faq.get(faq_id) or {}
        found = (self.kb.documents.get(d) for d in row.get("documents") or [])
        return [{k: d.get(k) or "" for k in ("id", "name", "issuer", "number", "date", "kind")} for d in found if d]

    def basis(self, sources: list[dict], documents: list[dict] = (), header: str = "basis_header") -> str:
        lines = [self._m(header)]
        for s in sources:
            label = f"第{int_to_cn(s['article'])}条{s.get('suffix', '')}"
            version = self.version(s["law"], s["article"], s.get("suffix", ""))
            lines.append(self._m("basis_line", law=s["law"], label=label, version=version))
        lines += [self._m("basis_document", kind=d["kind"], name=d["name"],
                         issuer="，".join(filter(None, (d["issuer"], d.get("number")))), date=d["date"]) for d in documents]
        return "\n".join(lines)

    def faq(self, match: Match, drop: str = "", understood=None, sure: bool = False) -> str:
        """A curated answer and its legal basis; `drop` is an opening verdict that answers another question.

        A child writer reads the entry's words for a child; a parent its next steps; a sure match to 犯法吗
        first hears whether it is unlawful or a crime, instead of the entry's own opening verdict."""
        row = self.kb.faq.get(match.id) or {}
        child = bool(understood and understood.writer == "child")
        offence = row.get("offence") if sure and understood and understood.offence else None
        drop = self.reader.verdict(match.text) if offence and self.reader and not drop else drop
        if child and row.get("child"):
            text = row["child"]
        else:
            text = match.text[len(drop):].lstrip() if drop and match.text.startswith(drop) else match.text
        if offence:
            text = self._offence(offence) + text
        if ages := self.by_age(row.get("by_age") or [], understood.ages if understood else ()):
            text += "\n\n" + ages
        steps = row.get("steps") or []
        if steps and not child:
            text += "\n\n" + "\n".join([self._m("steps_header")] + [f"{i}. {s}" for i, s in enumerate(steps, 1)])
        key, rest = self.weigh(match.id, match.sources, text)
        basis = self.basis(key, self.documents(match.id))
        if rest:
            basis += "\n" + self._m("basis_more", count=len(rest))
        return f"{text}\n\n{basis}"

    def by_age(self, lines: list[str], ages: tuple[int, ...]) -> str:
        """How the answer differs by age when the question gave none; when it gave ages, only their lines."""
        if not ages:
            return "\n".join([self._m("by_age_header")] + lines) if lines else ""
        spans = [(line, age_range(line)) for line in lines]
        return "\n".join(line for line, span in spans if span and any(span[0] <= a <= span[1] for a in ages))

    def weigh(self, faq_id: str, sources: list[dict], text: str) -> tuple[list[dict], list[dict]]:
        """The two or three articles an answer rests on, and the rest: those its text names come first, in the
        order named, then the others as listed; the article a crime verdict rests on is always a key one."""
        def named_at(source: dict) -> int:
            found = [text.find(f"第{n}条") for n in (source["article"], int_to_cn(source["article"]))]
            return min((i for i in found if i >= 0), default=len(text) + sources.index(source))

        ordered = sorted(sources, key=named_at)
        named = sum(named_at(s) < len(text) for s in ordered)
        count = min(max(named, KEY_SOURCES[0]), KEY_SOURCES[1])
        offence = (self.kb.faq.get(faq_id) or {}).get("offence") or {}
        basis = next((s for s in ordered if offence.get("law") == s["law"] and offence.get("article") == s["article"]),
                     None)
        if basis is not None and basis not in ordered[:count]:
            ordered.remove(basis)
            ordered.insert(count - 1, basis)
        return ordered[:count], ordered[count:]

    def more_basis(self, faq_id: str, child: bool) -> tuple[str, list[dict]]:
        """The articles behind 「更多依据」: an entry's sources after its key ones, as the answer showed them."""
        row = self.kb.faq.get(faq_id) or {}
        text = row.get("child") if child and row.get("child") else row.get("answer", "")
        _, rest = self.weigh(faq_id, row.get("sources") or [], text)
        return self.basis(rest, header="basis_more_header"), rest

    def _offence(self, offence: dict) -> str:
        basis = ""
        if offence.get("law"):
            basis = f"《{offence['law']}》第{int_to_cn(int(offence['article']))}条{offence.get('suffix', '')}"
        return self._m(f"offence_{offence['kind']}", basis=basis)

    def articles(self, matches: list[Match]) -> str:
        blocks = []
        for m in matches:
            row = self.kb.articles[m.id]
            version = self.version(row["law"], row["number"], row["suffix"])
            head = self._m("article_header", law=row["law"], label=row["label"], version=version)
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

    def answering(self, top: Match) -> str:
        """Say which question the curated answer below answers, when it is not quite the one asked."""
        return self._m("answering_other", title=top.title)

    def intent(self, intent: str, contacts: list[dict]) -> str:
        """The reply to a request that is not a legal question; channels add the flow's button."""
        if intent != "hotline":
            return self._m(f"intent_{intent}")
        lines = [self._m("intent_hotline")]
        lines += [self._m("intent_hotline_line", number=c["number"], name=c["name"]) for c in contacts]
        return "\n".join(lines)

    def emergency(self, answer: Answer, alerts: list, writer: str, contacts: list[dict],
                  situations: list = ()) -> Answer:
        """Crisis help only: 110 and the right hotlines, advice that fits where the one at risk is and who writes,
        the lines for afterwards; the law waits behind a button."""
        writer = writer if writer in ("child", "parent", "witness") else "other"
        by_number = {c["number"]: c for c in contacts}
        numbers = [n for rule in alerts for n in rule.hotlines] + [n for s in situations for n in s.hotlines]
        numbers = list(dict.fromkeys(n for n in numbers if n in by_number))
        numbers.sort(key=lambda n: not by_number[n].get("emergency"))  # 110, 119, 120 before the hotlines
        replaced = {r for s in situations if s.instead for r in (s.rules or {rule.id for rule in alerts})}
        advice = [s.advice[writer] for s in situations if s.instead]  # where they are comes first
        advice += [rule.advice[writer] for rule in alerts if rule.id not in replaced]
        advice += [s.advice[writer] for s in situations if not s.instead]
        lines = [self._m(f"emergency_header_{writer}")]
        lines += [self._m("emergency_hotline", number=n, name=by_number[n]["name"]) for n in numbers]
        lines += list(dict.fromkeys(advice))
        after = [n for n in (*(n for r in alerts for n in r.after), *(n for s in situations for n in s.after))
                 if n in by_number and n not in numbers]
        if after:
            others = "、".join(_named(n, by_number[n]["name"]) for n in dict.fromkeys(after))
            lines.append(self._m("emergency_after", others=others))
        lines.append(self._m("emergency_more"))
        return replace(answer, emergency=True, answer="\n".join(lines), status="emergency", suggestions=[],
                       calls=numbers + [n for n in dict.fromkeys(after)])

    def for_writer(self, answer: Answer, understood, mentioned: list, contacts: list[dict]) -> Answer:
        """A child is spoken to as 你; where a child's safety comes up, a calm line of whom to call ends the answer."""
        child = understood.writer == "child"
        text = answer.answer
        numbers = list(dict.fromkeys(n for rule in mentioned for n in rule.calm))
        if child and understood.side != "offender" and "12355" not in numbers:  # a child always hears who helps
            numbers.append("12355")
        by_number = {c["number"]: c for c in contacts}
        numbers = [n for n in numbers if n in by_number]
        if understood.side == "offender":  # the family of someone who did harm needs the law, not hotlines
            mentioned, numbers = [], []
        if mentioned or numbers:
            others = "、".join(f"{n}（{by_number[n]['name']}）" for n in numbers)
            key = "calm_line_child" if child else "calm_line"
            text += "\n\n" + self._m(key, others=others) if others else "\n\n" + self._m(key + "_110")
        if child:
            text = text.replace("您", "你")
        calls = (["110"] if mentioned else []) + numbers
        return replace(answer, answer=text, calls=calls)


def _named(number: str, name: str) -> str:
    """「12338妇女维权公益服务热线」 names its number already; 「公安报警电话」 needs it in front."""
    return name if number in name else f"{number} {name}"
