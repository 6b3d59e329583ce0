"""What the office's web desk shows, read from the same services the staff commands use.

Changes go through StaffFlow (approve, propose, decline, acknowledge, sessions) so every channel does the same;
this module only gathers: the to-do list, a booking's history, the statistics as tables (each one a chart and a CSV)
and the questions to improve with their nearest FAQ entries.
"""
from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from booking import AuditEntry, BookingError, SchoolBooking
from booking.models import COUNTERED, PENDING, PROPOSED
from booking.phones import display_phone, masked_phone
from chat.context import MAIL, SHANGHAI, FlowContext, when_text
from knowledge.engine import Engine

__all__ = ["PENDING", "PROPOSED", "BookingError", "OfficeDesk", "Table", "actor_label", "display_phone",
           "masked_phone"]
# BookingError: what a refused staff action raises; the statuses and phone formats: what the desk shows

HISTORY = {  # audit action -> message key of its line in a booking's history
    "decide:approve": "history_approve", "decide:propose": "history_propose", "decide:decline": "history_decline",
    "accept_proposal": "history_accept", "reject_proposal": "history_reject", "counter_propose": "history_counter",
    "withdraw": "history_withdraw", "acknowledge": "history_acknowledge", "forget_user": "history_forget",
    "withdraw_proposal": "history_withdraw_proposal",
}
TOP_TOPICS = 6       # topics shown one by one in the weekly chart; the rest are added up as 其他
STATS_WEEKS = 12
NEAR_CACHE = 2000    # question texts whose nearest entries are remembered


def actor_label(actor: str) -> str:
    """Who did it, as staff read it: staff:王丽 → 王丽, tg:123 → Telegram 123, cli:root → 命令行 root."""
    fixed = {"school": "学校", "user": "申请人", "system": "系统", "web": "网页"}
    if actor in fixed:
        return fixed[actor]
    kind, _, who = actor.partition(":")
    return {"staff": who, "tg": f"Telegram {who}", "cli": f"命令行 {who}"}.get(kind, actor)


@dataclass
class HistoryLine:
    at: datetime
    who: str
    what: str


@dataclass
class Table:
    """The numbers behind one chart: categories along one axis, one series per coloured part."""

    key: str
    title: str
    categories: list[str]
    series: list[tuple[str, list[int]]]
    stacked: bool = True
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.categories or not any(sum(values) for _, values in self.series)

    def csv(self) -> bytes:
        """The table as CSV that Excel opens correctly (UTF-8 with BOM)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([""] + [name for name, _ in self.series])
        for i, category in enumerate(self.categories):
            writer.writerow([category] + [values[i] for _, values in self.series])
        return ("\ufeff" + out.getvalue()).encode()


@dataclass
class ToImprove:
    id: int
    asked_at: datetime
    text: str
    why: str
    nearest: list[tuple[str, str]] = field(default_factory=list)  # (FAQ id, its question)


class OfficeDesk:
    """Read models for the staff pages."""

    def __init__(self, ctx: FlowContext, engine: Engine):
        self.ctx, self.engine, self.texts = ctx, engine, ctx.texts
        self._near: tuple[object, dict[str, list[tuple[str, str]]]] = (None, {})  # engine, text -> nearest entries

    def to_call_back(self) -> list[dict]:
        """「同一网络确认」: sign-ups whose guardian answered from the child's own network, to call back before the
        session (ref, child, guardian with phone, session)."""
        return [{"ref": r.ref, "child": r.name, "guardian": f"{r.guardian_name} {display_phone(r.guardian_phone)}",
                 "session": f"{r.session.title} {when_text(r.session.starts_at)}" if r.session else ""}
                for r in self.ctx.desk.lectures.to_call_back(self.ctx.now())]

    def set_aside(self) -> list[dict]:
        """Notifications given up on, other than e-mail (the mail sender lists those): who, booking, why."""
        return [row for row in self.ctx.outbox.set_aside() if not row["user"].startswith(MAIL)]

    # ---- bookings ------------------------------------------------------------------------------------
    def todo(self) -> dict[str, list[SchoolBooking]]:
        """new: 待审核; countered: the school proposed other dates; waiting: for the school's answer;
        replies: schools' answers and withdrawals not yet seen."""
        groups: dict[str, list[SchoolBooking]] = {"new": [], "countered": [], "waiting": [], "replies": []}
        for booking in self.ctx.desk.schools.open_for_staff():
            if booking.status == PENDING:
                groups["countered" if booking.attention == COUNTERED else "new"].append(booking)
            elif booking.status == PROPOSED:
                groups["waiting"].append(booking)
            if booking.attention and booking.attention != COUNTERED:
                groups["replies"].append(booking)
        return groups

    def booking(self, ref: str) -> SchoolBooking:
        return self.ctx.desk.schools.get(ref)

    def program_title(self, program_id: str) -> str:
        program = self.ctx.desk.catalog.program(program_id)
        return program.title if program else program_id

    def history(self, booking: SchoolBooking) -> list[HistoryLine]:
        """Who did what to the booking, when: its arrival, then every recorded action."""
        lines = [HistoryLine(booking.created_at, actor_label("school"), self.texts("history_submitted"))]
        for entry in self.ctx.desk.schools.history(booking.ref):
            lines.append(HistoryLine(entry.at, actor_label(entry.actor), self._history_text(entry)))
        return lines

    def _history_text(self, entry: AuditEntry) -> str:
        d = entry.detail
        key = HISTORY.get(entry.action)
        if key is None:
            return entry.action
        values = {"date": d.get("date") or "", "time": d.get("time") or "", "note": d.get("note") or "",
                  "dates": "、".join(d.get("dates") or [])}
        return self.texts(key, **values)

    # ---- statistics ------------------------------------------------------------------------------------
    def tables(self, now: datetime | None = None) -> list[Table]:
        """Every chart of the statistics page, as its numbers."""
        since = time.time() - STATS_WEEKS * 7 * 86400
        return [self._weekly(since), self._outcomes(since), self._votes(since), self._signups("program_id"),
                self._signups("street"), self._bookings()]

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables() if t.key == key), None)

    def _weekly(self, since: float) -> Table:
        rows = self.ctx.state.weekly_topics(since)
        totals: dict[str, int] = defaultdict(int)
        for r in rows:
            totals[r["topic"]] += r["n"]
        top = [t for t, _ in sorted(totals.items(), key=lambda kv: -kv[1])[:TOP_TOPICS]]
        weeks = sorted({r["week"] for r in rows})
        other = self.texts("stats_other")
        names = top + ([other] if len(totals) > len(top) else [])
        values = {name: [0] * len(weeks) for name in names}
        for r in rows:
            values[r["topic"] if r["topic"] in top else other][weeks.index(r["week"])] += r["n"]
        return Table("questions", self.texts("chart_questions"), [w[5:] for w in weeks],
                     [(name, values[name]) for name in names])

    def _outcomes(self, since: float) -> Table:
        o = self.ctx.state.outcomes(since)
        return Table("outcomes", self.texts("chart_outcomes"),
                     [self.texts("stats_answered"), self.texts("stats_unsure"), self.texts("stats_declined")],
                     [(self.texts("stats_count"), [o["answered"], o["unsure"], o["declined"]])], stacked=False)

    def _votes(self, since: float) -> Table:
        rows = self.ctx.state.votes_by_topic(since)[:10]
        return Table("votes", self.texts("chart_votes"), [r["topic"] for r in rows],
                     [(self.texts("stats_up"), [r["up"] for r in rows]), (self.texts("stats_down"), [r["down"] for r in rows])], stacked=False)

    def _signups(self, column: str) -> Table:
        rows = self.ctx.desk.lectures.totals_by(column, self.ctx.now())[:15]
        label = self.program_title if column == "program_id" else str
        return Table("programmes" if column == "program_id" else "streets",
                     self.texts("chart_programmes" if column == "program_id" else "chart_streets"),
                     [label(r["key"]) for r in rows],
                     [(self.texts("stats_confirmed"), [r["confirmed"] for r in rows]),
                      (self.texts("stats_held"), [r["held"] for r in rows]),
                      (self.texts("stats_waitlisted"), [r["waitlisted"] for r in rows]),
                      (self.texts("stats_attended"), [r["attended"] for r in rows]),
                      (self.texts("stats_no_shows"), [r["no_shows"] for r in rows])], stacked=False,
                     note=self.texts("stats_sessions_note",
                                     sessions="、".join(f"{label(r['key'])} {r['sessions']}" for r in rows) or "—"))

    def _bookings(self) -> Table:
        rows = self.ctx.desk.schools.by_month()
        months = sorted({r["month"] for r in rows})[-12:]
        statuses = list(dict.fromkeys(r["status"] for r in rows))
        values = {s: [0] * len(months) for s in statuses}
        for r in rows:
            if r["month"] in months:
                values[r["status"]][months.index(r["month"])] += r["n"]
        return Table("bookings", self.texts("chart_bookings"), months, [(s, values[s]) for s in statuses])

    # ---- questions to improve -----------------------------------------------------------------------------
    def to_improve(self, limit: int = 100) -> list[ToImprove]:
        """Unsure answers, declined questions and 👎, each with the three nearest FAQ entries (where it could go)."""
        items = []
        for row in self.ctx.state.to_improve(limit):
            why = self.texts("improve_down" if (row["vote"] or 0) < 0 else
                             "improve_declined" if row["status"] == "offtopic" else "improve_unsure")
            items.append(ToImprove(row["id"], datetime.fromtimestamp(row["asked_at"], SHANGHAI), row["text"], why,
                                   self.nearest_faq(row["text"])))
        return items

    def nearest_faq(self, text: str, count: int = 3) -> list[tuple[str, str]]:
        """The nearest entries, remembered per text until the engine is swapped, so a long list stays fast."""
        engine = getattr(self.engine, "current", self.engine)
        if self._near[0] is not engine or len(self._near[1]) > NEAR_CACHE:
            self._near = (engine, {})
        known = self._near[1]
        if text not in known:
            try:
                ranked = engine.selector.rank(text)
            except Exception:  # a question the ranker cannot read has no neighbours
                ranked = []
            faq = engine.kb.faq
            known[text] = [(c.ref, faq[c.ref]["question"]) for c in ranked if c.kind == "faq" and c.ref in faq][:3]
        return known[text][:count]

    def improve_csv(self) -> bytes:
        """For content staff: each question, why it is listed, and its nearest entries (to add a paraphrase)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["编号", "提问时间", "问题（已去除个人信息）", "原因", "最接近的条目1", "最接近的条目2", "最接近的条目3"])
        for item in self.to_improve(1000):
            near = [f"{faq_id}：{question}" for faq_id, question in item.nearest] + [""] * 3
            writer.writerow([item.id, item.asked_at.strftime("%Y-%m-%d %H:%M"), _safe(item.text), item.why, *near[:3]])
        return ("\ufeff" + out.getvalue()).encode()


def _safe(text: str) -> str:
    """A cell Excel will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
