"""A learned danger-now detector beside the phrase rules: it catches crises worded outside their phrases.

Trained by `kb build` (train), stored as arrays in kb.sqlite (store/load), applied with numpy at query time (flags).
Features: TF-IDF over character 1-3-grams of the prepared question; model: logistic regression with balanced class
weights. Positives: content/danger/now.txt. Negatives: content/danger/not_now.txt (legal questions about violence,
sex, self-harm, injury in the past) and every FAQ question and paraphrase. Like the rules' `now` phrases the model
is heard only when the message does not ask about the law or the past (about_law); the alarm threshold is chosen
on out-of-fold scores behind that gate, so that at least NO_FALSE_ALARM of the legal negatives and of all negatives
stay quiet.
"""
from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.danger import WRITERS, DangerRule
from knowledge.normalize import normalize
from knowledge.numerals import arabize
from runtime.yamlfile import ContentError, load_yaml, require

FOLDS = 5
SEED = 0
ALPHA = 3e-5            # L2 regularisation of the logistic regression (trained by SGD: fast, seeded)
EPOCHS = 30
NO_FALSE_ALARM = 0.99    # out-of-fold share of legal questions that must stay quiet (the floor is 0.98)
LOWEST = 0.05           # never alarm below this probability, whatever the folds allow
MIN_DF = 2
MIN_EXAMPLES = 20       # of each kind in content/danger/
NGRAMS = (1, 3)
TABLE = "danger_model"


def grams(text: str) -> list[str]:
    """Character 1-3-grams of a prepared question, as scikit-learn's analyzer="char" makes them."""
    text = " ".join(text.split())
    return [text[i:i + n] for n in range(NGRAMS[0], NGRAMS[1] + 1) for i in range(len(text) - n + 1)]


def prepare(text: str) -> str:
    """The form questions are matched in (as Segmenter.prepare): simplified, lower case, Arabic digits."""
    return arabize(normalize(text))


def _lines(path: Path) -> list[str]:
    """One example message a line; at least MIN_EXAMPLES of them, or the folds cannot be made."""
    if not path.is_file():
        raise ContentError(path, "缺少这个文件：紧急情况学习模型的例句，每行一句")
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    if len(lines) < MIN_EXAMPLES:
        raise ContentError(path, f"例句太少：至少要 {MIN_EXAMPLES} 句，现在 {len(lines)} 句")
    return lines


@dataclass
class TrainingSet:
    texts: list[str]
    labels: np.ndarray   # 1 = danger now
    hard: np.ndarray     # True for the legal questions about harm (the negatives that matter for false alarms)


def training_set(content_dir: Path, faq_phrasings: list[str]) -> TrainingSet:
    """Danger-now messages against legal questions about harm and the FAQ's phrasings, deduplicated."""
    now = _lines(content_dir / "danger" / "now.txt")
    legal = _lines(content_dir / "danger" / "not_now.txt")
    seen: set[str] = set()
    texts, labels, hard = [], [], []
    for group, label, is_hard in ((now, 1, False), (legal, 0, True), (faq_phrasings, 0, False)):
        for text in group:
            key = prepare(text)
            if key and key not in seen:
                seen.add(key)
                texts.append(key), labels.append(label), hard.append(is_hard)
    return TrainingSet(texts, np.array(labels, dtype=np.int8), np.array(hard, dtype=bool))


@dataclass
class DangerModel:
    """Weights of the learned detector; flags(text) is True when a prepared question reads as danger now."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float        # on the probability
    report: dict            # out-of-fold numbers from training (for the manifest and README)
    rule: DangerRule | None = None  # the generic crisis reply when only the model fires (attach sets it)

    def probability(self, text: str) -> float:
        """0-1: how much `text` (prepared) reads as danger now."""
        counts = Counter(g for g in grams(text) if g in self.vocabulary)
        if not counts:
            return 1.0 / (1.0 + math.exp(-self.intercept))
        index = np.fromiter((self.vocabulary[g] for g in counts), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        values = tf * self.idf[index]
        norm = float(np.sqrt(values @ values)) or 1.0
        score = float(values @ self.coef[index]) / norm + self.intercept
        return 1.0 / (1.0 + math.exp(-score))

    def flags(self, text: str) -> bool:
        return self.probability(text) >= self.threshold


def _vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, lowercase=False, sublinear_tf=True, min_df=MIN_DF,
                           dtype=np.float64)


def _classifier():
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", alpha=ALPHA, class_weight="balanced", max_iter=EPOCHS, tol=None,
                         random_state=SEED)


def out_of_fold(data: TrainingSet, x) -> np.ndarray:
    """Each text's probability from a model trained on the other folds (stratified, seeded).

    `x` is the TF-IDF matrix of all texts: the vocabulary and IDF see every text (no labels), the weights never
    see the scored fold."""
    from sklearn.model_selection import StratifiedKFold

    strata = data.labels * 2 + data.hard  # keep the hard negatives spread over the folds too
    scores = np.zeros(len(data.texts))
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(data.texts, strata):
        scores[test] = _classifier().fit(x[train], data.labels[train]).predict_proba(x[test])[:, 1]
    return scores


def choose_threshold(scores: np.ndarray, data: TrainingSet, quiet: float = NO_FALSE_ALARM) -> float:
    """The lowest probability at which at least `quiet` of the hard negatives and of all negatives stay quiet."""
    threshold = LOWEST
    for negatives in (scores[data.labels == 0], scores[(data.labels == 0) & data.hard]):
        allowed = int(math.floor((1.0 - quiet) * len(negatives)))
        ordered = np.sort(negatives)[::-1]
        threshold = max(threshold, float(np.nextafter(ordered[allowed], 1.0)) if allowed < len(ordered) else 0.0)
    return threshold


def rates(scores: np.ndarray, data: TrainingSet, threshold: float) -> dict:
    """Caught and quiet shares at `threshold`."""
    flagged = scores >= threshold
    pos, neg, hard = data.labels == 1, data.labels == 0, (data.labels == 0) & data.hard
    return {"caught": round(float(flagged[pos].mean()), 4), "quiet": round(float(1 - flagged[neg].mean()), 4),
            "quiet_legal": round(float(1 - flagged[hard].mean()), 4),
            "positives": int(pos.sum()), "negatives": int(neg.sum()), "legal": int(hard.sum())}


def train(content_dir: Path, faq_phrasings: list[str], may_fire=None) -> DangerModel:
    """Fit on all of the training set with the threshold chosen out of fold; deterministic for the same content.

    `may_fire(prepared) -> bool` is the gate applied at query time (the message does not ask about the law or the
    past); the threshold is chosen on what passes it."""
    data = training_set(content_dir, faq_phrasings)
    vectorizer = _vectorizer()
    x = vectorizer.fit_transform(data.texts)
    oof = out_of_fold(data, x)
    if may_fire is not None:  # only scores that could reach a threshold need the (slower) gate
        oof = np.array([p if p < LOWEST or may_fire(t) else 0.0 for t, p in zip(data.texts, oof)])
    threshold = choose_threshold(oof, data)
    model = _classifier().fit(x, data.labels)
    terms = vectorizer.get_feature_names_out()
    report = {"threshold": round(threshold, 6), "folds": FOLDS, "out_of_fold": rates(oof, data, threshold)}
    return DangerModel({str(t): i for i, t in enumerate(terms)}, vectorizer.idf_.astype(np.float64),
                       model.coef_[0].astype(np.float64), float(model.intercept_[0]), threshold, report)


def store(db, model: DangerModel) -> None:
    """Write the weights into the knowledge base (sqlite_utils Database) as arrays, no pickle."""
    terms = sorted(model.vocabulary, key=model.vocabulary.get)
    db[TABLE].insert({"name": "danger", "terms": json.dumps(terms, ensure_ascii=False),
                      "idf": model.idf.astype("<f8").tobytes(), "coef": model.coef.astype("<f8").tobytes(),
                      "intercept": model.intercept, "threshold": model.threshold,
                      "report": json.dumps(model.report)}, pk="name")


def build_into(db, content_dir: Path, faq: list) -> dict:
    """Train on content (gated as at query time) and store the model in the knowledge base; its OOF report."""
    from knowledge.understand import load_reader

    load_generic(content_dir)  # a broken `learned:` block fails the build, not the first crisis
    reader = load_reader(content_dir)
    model = train(content_dir, [t for e in faq for t in (e.question, *e.paraphrases)],
                  lambda text: not about_law(reader.read(text)))
    store(db, model)
    return model.report


def about_law(understood) -> bool:
    """The gate the rules' `now` phrases share (DangerDetector.detect): it asks about law or the past, not ongoing."""
    return bool((understood.legal or understood.seeking or understood.past) and not understood.ongoing)


def attach(detector, kb_path: Path, root: Path, known_numbers: set[str] | None = None) -> None:
    """Give a DangerDetector the stored model and its generic reply; without a stored model the rules decide."""
    with sqlite3.connect(f"file:{kb_path}?mode=ro", uri=True) as connection:
        model = load(connection)
    if model is not None:
        model.rule = load_generic(root, known_numbers)
    detector.model = model


def load(connection) -> DangerModel | None:
    """The stored model from an open sqlite3 connection, or None when the knowledge base has none."""
    try:
        row = connection.execute(f"select terms, idf, coef, intercept, threshold, report from {TABLE}"
                                 " where name = 'danger'").fetchone()
    except sqlite3.OperationalError:  # an older knowledge base without the table: the rules alone decide
        return None
    if row is None:
        return None
    terms, idf, coef, intercept, threshold, report = row
    return DangerModel({t: i for i, t in enumerate(json.loads(terms))}, np.frombuffer(idf, dtype="<f8"),
                       np.frombuffer(coef, dtype="<f8"), float(intercept), float(threshold), json.loads(report))


def load_generic(root: Path, known_numbers: set[str] | None = None) -> DangerRule:
    """The crisis reply for a message only the model flags: `learned:` in content/emergency.yaml."""
    path = root / "emergency.yaml"
    item = require(path, load_yaml(path), "learned", dict)
    advice = require(path, item, "advice", dict, "learned")
    missing = [w for w in WRITERS if not str(advice.get(w) or "").strip()]
    if missing:
        raise ContentError(path, f"advice 缺少：{'、'.join(missing)}", getattr(item, "line", None), "learned")
    hotlines = [str(n) for n in require(path, item, "hotlines", list, "learned")]
    unknown = [n for n in hotlines if known_numbers is not None and n not in known_numbers]
    if unknown:
        raise ContentError(path, f"contacts.yaml 里没有这些电话：{'、'.join(unknown)}", getattr(item, "line", None), "learned")
    return DangerRule("learned", require(path, item, "label", str, "learned"), [], [], [], hotlines,
                      {w: str(advice[w]).strip() for w in WRITERS}, [])

