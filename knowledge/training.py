"""Train the learned model on a built knowledge base, and measure it out of fold.

Training questions are the content's own phrasings (one paraphrase per entry, asked with that phrasing hidden from
the index and from the classifier that scores it) and the labelled question sets of KB_TRAINING_SETS. A candidate is
right when it cites an article the question's gold cites (for a phrasing: its entry's first two articles).
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge import features
from knowledge.learned import Model, Reranker, train_classifier, train_reranker
from knowledge.normalize import normalize
from knowledge.numerals import arabize

FOLDS = 5
SEED = 0
DECLINE_MISS = 0.005 # share of right first answers (out of fold) the decline threshold may turn away
PROBES_PER_ENTRY = 1  # paraphrases per FAQ entry asked in training
POLICY_PROBES = 2   # questions per work-plan item asked in training
MAX_QUESTION = 400   # as the engine reads a question


@dataclass
class Group:
    """One training question: its candidates' features and which of them are right."""

    question: str
    key: str             # "content:<entry>" or "<set file>:<question id>"
    matrix: np.ndarray
    right: np.ndarray    # bool per candidate


def read_set(path: Path) -> list[dict]:
    """A question set (JSON Lines) as the scorer reads it."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def phrasings(kb, leave_out: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """What the classifier learns from, prepared the way questions are: every curated question and paraphrase
    labelled with its entry, every work-plan item's questions (label `policy:N`) and every digest (`article:KEY`)."""
    examples = [(text, fid) for fid, row in kb.faq.items() for text in [row["question"], *row["paraphrases"]]]
    examples += [(q, f"policy:{number}") for number, item in kb.policies.items() for q in item["questions"]]
    examples += [(f"{a['title']} {a['digest']}", f"article:{key}") for key, a in kb.articles.items() if a["digest"]]
    kept = [(arabize(normalize(text)), label) for text, label in examples if text not in leave_out]
    return [t for t, _ in kept], [label for _, label in kept]


def probes(kb, per_entry: int = PROBES_PER_ENTRY) -> list[tuple[str, str, set]]:
    """(phrasing, entry, gold) for the first paraphrases of each entry: unseen wording to train and test on."""
    return [(p, fid, {(s["law"], int(s["article"])) for s in row["sources"][:2]})
            for fid, row in kb.faq.items() for p in row["paraphrases"][:per_entry]]


def probe_texts(kb) -> frozenset[str]:
    """The phrasings training asks (FAQ probes and work-plan questions): hidden from the classifier that scores them."""
    return frozenset(p for p, _, _ in probes(kb)) | frozenset(
        q for item in kb.policies.values() for q in item["questions"][:POLICY_PROBES])


def cited(kb, kind: str, ref: str) -> set[tuple[str, int]]:
    if kind == "faq":
        return {(s["law"], int(s["article"])) for s in kb.faq[ref]["sources"]}
    if kind in ("article", "digest"):
        article = kb.articles[ref]
        return {(article["law"], int(article["number"]))}
    return set()


def group(engine, question: str, key: str, gold: set | str, exclude: str | None = None, classifier=None) -> Group:
    """`gold`: the articles a right answer cites, or the number of the work-plan item that answers."""
    text = normalize(question)[:MAX_QUESTION]
    cands, matrix = engine.selector.candidates(text, exclude, classifier=classifier)
    if isinstance(gold, str):
        right = [c.kind == "policy" and c.ref == gold for c in cands]
    else:
        right = [bool(cited(engine.kb, c.kind, c.ref) & gold) for c in cands]
    return Group(question, key, matrix, np.array(right, dtype=bool))


def collect(engine, sets: list[Path], classifier, held_out=None) -> list[Group]:
    """Training groups: content probes (scored by `held_out`, a classifier that never saw them) and the sets."""
    groups = []
    if held_out is not None:
        groups += [group(engine, p, f"content:{fid}:{p}", gold, exclude=p, classifier=held_out)
                   for p, fid, gold in probes(engine.kb)]
        groups += [group(engine, q, f"policy:{number}:{q}", number, exclude=q, classifier=held_out)
                   for number, item in engine.kb.policies.items() for q in item["questions"][:POLICY_PROBES]]
    for path in sets:
        for q in read_set(path):
            if q.get("kind") == "article":
                gold = {(g["law"], int(g["article"])) for g in q["gold"]}
                groups.append(group(engine, q["q"], f"{path.name}:{q['id']}", gold, classifier=classifier))
    return [g for g in groups if len(g.right)]


def fit(groups: list[Group]) -> Reranker:
    matrix = np.vstack([g.matrix for g in groups])
    right = np.concatenate([g.right for g in groups])
    return train_reranker(features.NAMES, matrix, right.astype(int))


def fold_of(key: str, folds: int) -> int:
    """A fixed fold per question (seeded), so runs compare."""
    return random.Random(f"{SEED}:{key}").randrange(folds)


def out_of_fold_tops(groups: list[Group], folds: int = FOLDS) -> list[tuple[float, bool]]:
    """Per group, in order: (probability of its first candidate, whether that is right), from a reranker trained
    on the other folds."""
    tops: list[tuple[float, bool]] = [(0.0, False)] * len(groups)
    fold = [fold_of(g.key, folds) for g in groups]
    for k in range(folds):
        train = [g for g, f in zip(groups, fold) if f != k]
        if not train or len(train) == len(groups):
            continue
        reranker = fit(train)
        for i, g in enumerate(groups):
            if fold[i] == k:
                p = reranker.probabilities(g.matrix)
                best = int(np.argmax(p))
                tops[i] = (float(p[best]), bool(g.right[best]))
    return tops


def decline_threshold(tops: list[tuple[float, bool]]) -> float:
    """The highest probability that turns away at most DECLINE_MISS of the right first answers."""
    right = sorted(p for p, ok in tops if ok)
    if not right:
        return 0.5
    return float(right[int(len(right) * DECLINE_MISS)])


def train(engine, sets: list[Path]) -> Model:
    """The model for a knowledge base: classifier on every phrasing, reranker on probes and sets, threshold out of
    fold. `engine` runs over the new knowledge base without a model yet."""
    full = train_classifier(*phrasings(engine.kb))
    held_out = train_classifier(*phrasings(engine.kb, probe_texts(engine.kb)))
    groups = collect(engine, sets, full, held_out)
    tops = out_of_fold_tops(groups)
    threshold = decline_threshold(tops)
    report = {"groups": len(groups), "sets": [p.name for p in sets], "threshold": round(threshold, 4),
              "oof_top1": round(sum(ok for _, ok in tops) / max(1, len(tops)), 4)}
    return Model(full, fit(groups), threshold, report)
