"""A small BM25 over an inverted index: exact, and fast enough for a few thousand documents."""
from __future__ import annotations

import math
from collections import Counter, defaultdict


class BM25:
    """Okapi BM25 with per-term postings precomputed, so a query costs only its postings."""

    def __init__(self, documents: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.size = len(documents)
        lengths = [len(doc) for doc in documents]
        average = (sum(lengths) / self.size) if self.size else 1.0
        frequencies: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for index, doc in enumerate(documents):
            for term, count in Counter(doc).items():
                frequencies[term].append((index, count))
        self.idf: dict[str, float] = {}
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for term, posting in frequencies.items():
            idf = math.log(1 + (self.size - len(posting) + 0.5) / (len(posting) + 0.5))
            self.idf[term] = idf
            self.postings[term] = [
                (i, idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[i] / average))) for i, tf in posting]

    def state(self) -> dict:
        """Plain data for a marshal cache."""
        return {"size": self.size, "idf": self.idf, "postings": self.postings}

    @classmethod
    def from_state(cls, state: dict) -> "BM25":
        index = cls.__new__(cls)
        index.size, index.idf = state["size"], state["idf"]
        index.postings = state["postings"]  # marshal keeps the tuples
        return index

    def scores(self, query: dict[str, float]) -> dict[int, float]:
        """Document index -> score for a query of weighted terms."""
        result: dict[int, float] = defaultdict(float)
        for term, weight in query.items():
            for index, value in self.postings.get(term, ()):
                result[index] += weight * value
        return result
