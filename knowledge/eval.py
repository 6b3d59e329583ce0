"""Score the engine on a question set, with the metrics of shared/tools/score.py.

Usage: python -m knowledge.eval ../shared/eval/dev.jsonl [--verbose] [--floor article@1=85 ...]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine

FLOORS = {"article@1": 85, "article@3": 95, "lookup@1": 100, "fact": 100, "emergency": 100,
          "refuses-off-topic": 100, "policy": 100, "no-false-alarm": 98}
REAL_FLOORS = {"article@1": 70, "article@3": 85, "no-false-alarm": 98}  # real questions (real-*.jsonl)


def floors_for(path: Path) -> dict[str, float]:
    """The issue's floors for a question set: real questions have their own."""
    return dict(REAL_FLOORS if path.name.startswith("real") else FLOORS)


def _sources(match: dict) -> set[tuple[str, int]]:
    return {(s["law"], int(s["article"])) for s in match.get("sources", []) if s.get("article") is not None}


def score(questions: list[dict], predictions: list[dict], verbose: bool = False) -> dict[str, tuple[int, int]]:
    """Per-metric (hits, total), mirroring score.py so the two always agree."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])

    def add(key: str, ok: bool) -> None:
        totals[key][0] += bool(ok)
        totals[key][1] += 1

    for q, p in zip(questions, predictions):
        ms, kind, answered = p.get("matches") or [], q["kind"], p.get("answered", True)
        if kind != "emergency" and not q.get("may_alarm"):  # crisis replies are for danger now only
            add("no-false-alarm", p.get("emergency") is not True)
            if verbose and p.get("emergency") is True:
                print(f"ALARM {q['id']} {q['q']} got an emergency reply")
        if kind in ("article", "lookup"):
            gold = {(g["law"], g["article"]) for g in q["gold"]}
            top1 = bool(ms) and bool(_sources(ms[0]) & gold) and answered
            add(kind + "@1", top1)
            add(kind + "@3", any(_sources(m) & gold for m in ms[:3]) and answered)
            if verbose and not top1:
                print(f"MISS {q['id']} {q['q']}\n   gold={sorted(gold)}\n   got={[sorted(_sources(m)) for m in ms[:3]]}")
        elif kind == "policy":
            text = (p.get("answer") or "") + " ".join(m.get("text", "") for m in ms[:1])
            ok = answered and all(term in text for term in q["terms"])
            add("policy", ok)
            if verbose and not ok:
                print(f"MISS {q['id']} {q['q']} terms={q['terms']}")
        elif kind == "fact":
            text = p.get("answer") or ""
            ok = answered and all(any(alt in text for alt in group) for group in q["any_of"])
            add("fact", ok)
            if verbose and not ok:
                print(f"MISS {q['id']} {q['q']} needs {q['any_of']}")
        elif kind == "none":
            add("refuses-off-topic", not answered)
            if verbose and answered:
                print(f"MISS {q['id']} {q['q']} answered off-topic")
        elif kind == "emergency":
            ok = p.get("emergency") is True and "110" in (p.get("answer") or "")
            add("emergency", ok)
            if verbose and not ok:
                print(f"MISS {q['id']} {q['q']} no emergency reply")
    return {k: (v[0], v[1]) for k, v in totals.items()}


def held_out(engine: Engine) -> tuple[int, int, int]:
    """(hits@1, hits@3, total): leave each of the first two paraphrases of every FAQ entry out of the index and ask
    it; a hit rests on the entry's main articles. A probe of unseen wording, independent of any question set."""
    top1 = top3 = total = 0
    for row in engine.kb.faq.values():
        gold = {(s["law"], s["article"]) for s in row["sources"][:2]}
        for paraphrase in row["paraphrases"][:2]:
            answer = engine._search(paraphrase, paraphrase, exclude=paraphrase)
            cited = [{(s["law"], s["article"]) for s in m.sources} for m in answer.matches]
            top1 += bool(answer.answered and cited and cited[0] & gold)
            top3 += bool(answer.answered and any(c & gold for c in cited[:3]))
            total += 1
    return top1, top3, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--floor", action="append", default=[], help="METRIC=PERCENT; default: the issue's floors")
    args = parser.parse_args(argv)
    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    engine = Engine.open(KnowledgeSettings.from_env())
    predictions = [engine.answer(q["q"]).as_json() for q in questions]
    totals = score(questions, predictions, args.verbose)
    floors = floors_for(args.questions)
    floors.update({k: float(v) for k, v in (f.split("=") for f in args.floor)})
    short = []
    for key in sorted(totals):
        hits, total = totals[key]
        print(f"{key:20s} {hits:3d}/{total:<3d} {100 * hits / total:5.1f}%")
        if key in floors and 100 * hits / total < floors[key]:
            short.append(f"{key} {100 * hits / total:.1f}% < {floors[key]:g}%")
    print("floors met" if not short else "SHORT: " + ", ".join(short))
    return 1 if short else 0


if __name__ == "__main__":
    sys.exit(main())
