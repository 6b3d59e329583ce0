"""The learned parts of ranking: an entry classifier over character n-grams and a reranker over candidate features.

The build trains both with scikit-learn (fixed seeds: same content, same model bytes) and stores them in kb.sqlite
as plain arrays with a JSON header; answering uses numpy only, so start-up imports no scikit-learn and nothing is
unpickled.
"""
from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GRAM_SIZES = (1, 2, 3)   # character n-grams: no segmentation to get wrong, colloquial words still overlap
MIN_DF = 2               # a gram in one phrasing only is noise (and two thirds of the vocabulary)
SVM_C = 0.5
PRUNE = 0.01             # classifier weights smaller than this are dropped: a tenth of the size, the same order
RERANK_C = 0.05
SEED = 0


def grams(prepared: str) -> list[str]:
    """Character 1-3-grams of a prepared text, whitespace removed (the classifier's analyzer)."""
    text = "".join(prepared.split())
    return [text[i:i + n] for n in GRAM_SIZES for i in range(len(text) - n + 1)]


@dataclass
class Classifier:
    """Which FAQ entry a question is worded like: one linear score per entry over TF-IDF n-grams."""

    labels: list[str]
    vocabulary: dict[str, int]
    idf: np.ndarray        # float32, per gram
    indptr: np.ndarray     # int32, gram-major sparse weights: grams' slices of `cols` / `vals`
    cols: np.ndarray       # int16 entry numbers
    vals: np.ndarray       # float16 weights
    intercept: np.ndarray  # float32, per entry

    def scores(self, prepared: str) -> np.ndarray:
        """The decision value of every entry for one question (higher = more like its phrasings)."""
        counts = Counter(g for g in grams(prepared) if g in self.vocabulary)
        out = self.intercept.astype(np.float32)
        if not counts:
            return out
        ids = np.fromiter((self.vocabulary[g] for g in counts), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float32, count=len(counts))
        weight = tf * self.idf[ids]
        weight /= np.linalg.norm(weight)
        starts, ends = self.indptr[ids], self.indptr[ids + 1]
        spans = [np.arange(s, e) for s, e in zip(starts, ends)]
        if spans:
            flat = np.concatenate(spans)
            repeat = np.repeat(weight, ends - starts)
            out = out + np.bincount(self.cols[flat], weights=self.vals[flat].astype(np.float32) * repeat,
                                    minlength=len(self.labels)).astype(np.float32)
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        return {"idf": self.idf, "indptr": self.indptr, "cols": self.cols, "vals": self.vals,
                "intercept": self.intercept}


def train_classifier(texts: list[str], labels: list[str]) -> Classifier:
    """Fit TF-IDF + LinearSVC on prepared phrasings labelled with their entry id; prune and shrink the weights."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(analyzer=grams, sublinear_tf=True, min_df=MIN_DF, dtype=np.float32)
    matrix = vectorizer.fit_transform(texts)
    model = LinearSVC(C=SVM_C, random_state=SEED).fit(matrix, labels)
    weights = model.coef_.T.astype(np.float32)  # grams x entries
    weights[np.abs(weights) < PRUNE] = 0.0
    nonzero = weights != 0
    indptr = np.concatenate([[0], np.cumsum(nonzero.sum(axis=1))]).astype(np.int32)
    rows, cols = np.nonzero(nonzero)
    vocabulary = {g: i for i, g in enumerate(vectorizer.get_feature_names_out())}
    return Classifier([str(c) for c in model.classes_], vocabulary, vectorizer.idf_.astype(np.float32), indptr,
                      cols.astype(np.int16), weights[rows, cols].astype(np.float16),
                      model.intercept_.astype(np.float32))


@dataclass
class Reranker:
    """P(candidate answers the question) from its features: standardised, then logistic."""

    features: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        z = ((matrix - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "scale": self.scale, "coef": self.coef}


def train_reranker(names: list[str], matrix: np.ndarray, targets: np.ndarray) -> Reranker:
    """Pointwise logistic regression over candidates (deterministic: lbfgs, no sampling)."""
    from sklearn.linear_model import LogisticRegression

    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=RERANK_C, max_iter=2000).fit((matrix - mean) / scale, targets)
    return Reranker(list(names), mean.astype(np.float64), scale.astype(np.float64),
                    model.coef_[0].astype(np.float64), float(model.intercept_[0]))


@dataclass
class Model:
    """What the build learned: the classifier, the reranker and the decline threshold chosen out of fold."""

    classifier: Classifier
    reranker: Reranker | None
    threshold: float
    report: dict  # how it was trained and what it scored out of fold, for the manifest


def store(path: Path, model: Model) -> int:
    """Write the model into a knowledge base file; returns its size in bytes."""
    c, r = model.classifier, model.reranker
    header = {"labels": c.labels, "grams": list(c.vocabulary), "threshold": model.threshold,
              "reranker": None if r is None else {"features": r.features, "intercept": r.intercept},
              "report": model.report, "dtypes": {}}
    blobs = {f"classifier.{k}": v for k, v in c.arrays().items()}
    if r is not None:
        blobs |= {f"reranker.{k}": v for k, v in r.arrays().items()}
    header["dtypes"] = {k: str(v.dtype) for k, v in blobs.items()}
    rows = [("header", json.dumps(header, ensure_ascii=False).encode("utf-8"))]
    rows += [(k, np.ascontiguousarray(v).tobytes()) for k, v in blobs.items()]
    with sqlite3.connect(path) as db:
        db.execute("create table if not exists model (name text primary key, data blob)")
        db.execute("delete from model")
        db.executemany("insert into model values (?, ?)", rows)
    return sum(len(b) for _, b in rows)


def load(path: Path) -> Model | None:
    """The stored model, or None when the file holds none (a knowledge base from before learning)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = dict(db.execute("select name, data from model").fetchall())
    except sqlite3.OperationalError:
        return None
    finally:
        db.close()
    header = json.loads(rows.pop("header").decode("utf-8"))
    arrays = {k: np.frombuffer(v, dtype=header["dtypes"][k]) for k, v in rows.items()}
    classifier = Classifier(header["labels"], {g: i for i, g in enumerate(header["grams"])},
                            *(arrays[f"classifier.{k}"] for k in ("idf", "indptr", "cols", "vals", "intercept")))
    meta = header["reranker"]
    reranker = None if meta is None else Reranker(meta["features"], arrays["reranker.mean"],
                                                  arrays["reranker.scale"], arrays["reranker.coef"],
                                                  meta["intercept"])
    return Model(classifier, reranker, header["threshold"], header["report"])
