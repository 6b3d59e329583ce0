"""Score the engine on a question set, with the metrics of shared/tools/score.py.

Usage: python -m knowledge.eval ../shared/eval/dev.jsonl [--verbose] [--floor article@1=85 ...]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from knowledge import training
from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine
from knowledge.learned import Model, train_classifier

FLOORS = {"article@1": 85, "article@3": 95, "lookup@1": 100, "fact": 100, "emergency": 100,
          "refuses-off-topic": 100, "policy": 100, "no-false-alarm": 98}
HELD_OUT_PROBES = 2  # paraphrases of each entry asked in the held-out probe
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


@contextmanager
def using(engine: Engine, model: Model):
    """The engine answering with another model for a while (out-of-fold evaluation)."""
    built = engine.selector.model
    engine.selector.model = model
    try:
        yield engine
    finally:
        engine.selector.model = built


def held_out(engine: Engine) -> tuple[int, int, int]:
    """(hits@1, hits@3, total) in sample: leave each of the first two paraphrases of every FAQ entry out of the
    index (not out of the classifier) and ask it; a hit rests on the entry's main articles."""
    totals = score(*_probe_answers(engine, _probes(engine)))
    return totals["article@1"][0], totals["article@3"][0], totals["article@1"][1]


def _probes(engine: Engine) -> list[dict]:
    return [{"id": f"{fid}:{p}", "q": p, "kind": "article", "gold": [{"law": law, "article": a} for law, a in gold]}
            for p, fid, gold in training.probes(engine.kb, HELD_OUT_PROBES)]


def _probe_answers(engine: Engine, probes: list[dict]) -> tuple[list[dict], list[dict]]:
    return probes, [engine._search(q["q"], q["q"], exclude=q["q"]).as_json() for q in probes]


class OutOfFold:
    """Every prediction made by a model that never saw the question: the build's training groups are recomputed,
    and for each fold the reranker (and for phrasings the classifier) is trained without it."""

    def __init__(self, engine: Engine, sets: list[Path], folds: int = training.FOLDS):
        self.engine, self.folds, self.built = engine, folds, engine.selector.model
        kb = engine.kb
        probe_texts = training.probe_texts(kb)
        self.held_out = train_classifier(*training.phrasings(kb, probe_texts))
        self.groups = training.collect(engine, sets, self.built.classifier, self.held_out)
        self.tops = dict(zip([g.key for g in self.groups], training.out_of_fold_tops(self.groups, folds)))

    def model(self, leave_out, classifier=None) -> Model:
        """The model trained without the groups `leave_out(group)` names, its threshold from their complement."""
        kept = [g for g in self.groups if not leave_out(g)]
        threshold = training.decline_threshold([self.tops[g.key] for g in kept])
        return Model(classifier or self.built.classifier, training.fit(kept), threshold, {})

    def answers(self, path: Path, questions: list[dict]) -> list[dict]:
        """Predictions for a question set, each fold answered by a reranker trained without it."""
        predictions: list[dict | None] = [None] * len(questions)
        keys = [f"{path.name}:{q['id']}" for q in questions]
        for k in range(self.folds):
            fold = {key for key in keys if training.fold_of(key, self.folds) == k}
            with using(self.engine, self.model(lambda g: g.key in fold)):
                for i, key in enumerate(keys):
                    if key in fold:
                        predictions[i] = self.engine.answer(questions[i]["q"]).as_json()
        return predictions

    def probe_answers(self) -> tuple[list[dict], list[dict]]:
        """Leave-the-phrasing-out: each fold of paraphrases hidden from the index, the classifier and the reranker."""
        probes = _probes(self.engine)
        predictions: list[dict | None] = [None] * len(probes)
        for k in range(self.folds):
            fold = {q["q"] for q in probes if training.fold_of(q["id"], self.folds) == k}
            classifier = train_classifier(*training.phrasings(self.engine.kb, frozenset(fold)))
            with using(self.engine, self.model(lambda g: g.question in fold, classifier)):
                for i, q in enumerate(probes):
                    if q["q"] in fold:
                        predictions[i] = self.engine._search(q["q"], q["q"], exclude=q["q"]).as_json()
        return probes, predictions


def report(engine: Engine, settings: KnowledgeSettings, path: Path | None, folds: int, heldout: bool) -> list[str]:
    """Every metric of score.py in sample and out of fold, one line each."""
    oof = OutOfFold(engine, list(settings.training), folds)
    lines = []
    runs = []
    if path is not None:
        questions = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        trained = any(p.name == path.name for p in settings.training)
        inside = score(questions, [engine.answer(q["q"]).as_json() for q in questions])
        outside = score(questions, oof.answers(path, questions)) if trained else inside
        note = f"{path.name}: " + (f"{folds}-fold, each fold held out of the reranker's training" if trained else
                                   "not a training set: in-sample = out-of-fold")
        runs.append((note, inside, outside))
    if heldout:
        inside = score(*_probe_answers(engine, _probes(engine)))
        outside = score(*oof.probe_answers())
        runs.append((f"held-out paraphrases (first {HELD_OUT_PROBES} of each entry), {folds}-fold leave-the-phrasing-"
                     "out", inside, outside))
    for note, inside, outside in runs:
        lines.append(note)
        lines.append(f"  {'metric':20s} {'in-sample':>16s} {'out-of-fold':>16s}")
        for key in sorted(inside):
            (a, n), (b, m) = inside[key], outside[key]
            lines.append(f"  {key:20s} {a:4d}/{n:<4d} {100 * a / n:5.1f}% {b:4d}/{m:<4d} {100 * b / m:5.1f}%")
    return lines


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
