"""What the reranker knows about each candidate: lexical fit, the classifier's view of the whole message and of the
sentence that asks, the understanding stage's agreement, and the kind of entry.

Nothing here is weighted by hand: knowledge.learned fits the weights from content and labelled questions.
"""
from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

import numpy as np

from knowledge.learned import Classifier
from knowledge.ranking import Candidate, Query
from knowledge.understand import Understanding

if TYPE_CHECKING:
    from knowledge.selection import Selector

CLASSIFIED = 10        # the classifier's leading entries join the lexical candidates
NO_SCORE = -1.5        # the classifier's value for a candidate no entry of it speaks for
# A sentence that asks: a question mark or the words people ask with. A long story usually ends with one.
ASKING = re.compile(r"[?？]|吗|呢|怎么|怎样|如何|能否|能不能|可不可以|可以|是否|是不是|什么|哪|谁|多少|会不会|要不要|该")
SENTENCE = re.compile(r"[^。！!？?\n；;]+[。！!？?\n；;]?")
KINDS = ("faq", "article", "digest", "policy")

NAMES = ["lex_score", "lex_ratio", "lex_rank", "recall", "fuzzy", "lex_missing",
         "clf", "clf_gap", "ask_clf", "ask_differs",
         *(f"kind_{k}" for k in KINDS), "misfit", "other_side", "same_side", "same_question", "harm_miss",
         "law_named", "length", "long_clf", "long_ask_clf", "fuzzy_main", "partial", "clf_share", "sure_lex"]


def asking_sentence(prepared: str) -> str:
    """The last sentence of a message that asks something ('' when the message is one sentence or none asks)."""
    sentences = [s.strip() for s in SENTENCE.findall(prepared) if s.strip()]
    if len(sentences) < 2:
        return ""
    asking = [s for s in sentences if ASKING.search(s)]
    return asking[-1] if asking else ""


def _ranks(scores: np.ndarray) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(len(scores))
    return ranks


def candidates(selector: "Selector", lexical: list[Candidate], query: Query, understood: Understanding,
               harms: frozenset[str], named: set[str], classifier: Classifier | None, hidden: str = ""
               ) -> tuple[list[Candidate], np.ndarray]:
    """The lexical candidates plus the classifier's leading entries, with one feature row each (`hidden`: a
    phrasing left out, in compact form)."""
    pool = list(lexical)
    whole = ask = None
    if classifier is not None:
        whole = classifier.scores(query.prepared)
        sentence = asking_sentence(query.prepared)
        ask = classifier.scores(sentence) if sentence else whole
        seen = {(c.kind, c.ref) for c in pool}
        for i in np.argsort(-whole, kind="stable")[:CLASSIFIED]:
            kind, _, ref = classifier.labels[i].rpartition(":")
            if ref in selector.kb.faq or ref in selector.kb.policies or ref in selector.kb.articles:
                kind = kind or "faq"
                if kind == "article" and not selector.kb.articles[ref]["official"]:
                    kind = "digest"
                if (kind, ref) not in seen:
                    pool.append(Candidate(kind, ref))
                    seen.add((kind, ref))
    if not pool:
        return pool, np.zeros((0, len(NAMES)))
    top_lex = max((c.score for c in lexical), default=0.0) or 1.0
    length = math.log1p(len(query.plain))
    long = float(len(query.plain) >= 40)
    if whole is not None:
        entry_of = {label: i for i, label in enumerate(classifier.labels)}
        whole_rank, ask_rank = _ranks(whole), _ranks(ask)
        top_whole = float(whole.max())
        share = np.exp(3.0 * (whole - top_whole))
        share /= share.sum()
    sure = top_whole if whole is not None else NO_SCORE  # how sure the classifier is of its best entry
    rows = []
    for position, cand in enumerate(pool):
        in_lexical = position < len(lexical)
        clf = clf_gap = ask_clf = NO_SCORE
        differs = clf_share = 0.0
        if whole is not None:
            refs = [cand.ref] if cand.kind == "faq" else [f"policy:{cand.ref}"] if cand.kind == "policy" else \
                [f"article:{cand.ref}", *selector.citing.get(cand.ref, [])]
            entries = [entry_of[r] for r in refs if r in entry_of]
            if entries:
                best = max(entries, key=lambda e: whole[e])
                clf, clf_gap = float(whole[best]), float(whole[best]) - top_whole
                best_ask = max(entries, key=lambda e: ask[e])
                ask_clf = float(ask[best_ask])
                differs = float(ask_rank[best_ask] != whole_rank[best])
                clf_share = float(share[best])
        fit = selector.fit(cand, understood, harms)
        rows.append([cand.score, cand.score / top_lex, 1.0 / (1 + position) if in_lexical else 0.0, cand.recall,
                     cand.fuzzy, float(not in_lexical), clf, clf_gap, ask_clf, differs,
                     *(float(cand.kind == k) for k in KINDS), *fit,
                     float(bool(named) and any(s["law"] in named for s in selector.lead_sources(cand))),
                     length, long * clf, long * ask_clf, *selector.wording(cand, query.plain, hidden), clf_share,
                     cand.score * sure])
    return pool, np.asarray(rows, dtype=np.float64)
