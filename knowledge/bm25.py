"""A small BM25 over an inverted index: exact, fast enough for many thousand documents, and compact in memory."""
from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence


class BM25:
    """Okapi BM25 with per-term postings precomputed, so a query costs only its postings.

    The postings of all terms sit in two flat arrays (document numbers, scores) located through `_slot`; `idf` is a
    plain dict. The build indexes documents written as vocabulary numbers (see knowledge.index) and stores `pack()`;
    loading is `unpack()` with the vocabulary, which turns the numbers back into words."""

    def __init__(self, documents: Sequence[Sequence[Hashable]], k1: float = 1.2, b: float = 0.75):
        self.size = len(documents)
        lengths = [len(doc) for doc in documents]
        average = (sum(lengths) / self.size) if self.size else 1.0
        postings: dict[Hashable, array] = {}  # term -> document, count, document, count, ...
        for index, doc in enumerate(documents):
            for term, count in Counter(doc).items():
                posting = postings.get(term)
                if posting is None:
                    posting = postings[term] = array("I")
                posting.append(index)
                posting.append(count)
        self.idf: dict = {}
        self._slot: dict = {}
        self._starts, self._ids, self._values = array("I", [0]), array("I"), array("d")
        for term, posting in postings.items():
            found = len(posting) // 2
            idf = math.log(1 + (self.size - found + 0.5) / (found + 0.5))
            self.idf[term] = idf
            self._slot[term] = len(self._slot)
            ids, counts = posting[0::2], posting[1::2]
            self._ids.extend(ids)
            self._values.extend(idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[i] / average))
                                for i, tf in zip(ids, counts))
            self._starts.append(len(self._ids))

    def pack(self) -> dict:
        """Plain data for marshal; the terms must be vocabulary numbers."""
        return {"size": self.size, "terms": array("I", self.idf).tobytes(),
                "idf": array("d", self.idf.values()).tobytes(), "starts": self._starts.tobytes(),
                "ids": self._ids.tobytes(), "values": self._values.tobytes()}

    @classmethod
    def unpack(cls, data: dict, vocabulary: list[str]) -> "BM25":
        """The packed index with its terms as words again."""
        index = cls.__new__(cls)
        index.size = data["size"]
        terms = [vocabulary[i] for i in _array("I", data["terms"])]
        index.idf = dict(zip(terms, _array("d", data["idf"])))
        index._slot = {term: slot for slot, term in enumerate(terms)}
        index._starts, index._ids = _array("I", data["starts"]), _array("I", data["ids"])
        index._values = _array("d", data["values"])
        return index

    def postings(self, term) -> list[tuple[int, float]]:
        """(document number, score) pairs of one term."""
        slot = self._slot.get(term)
        if slot is None:
            return []
        start, end = self._starts[slot], self._starts[slot + 1]
        return list(zip(self._ids[start:end], self._values[start:end]))

    def scores(self, query: dict[str, float]) -> dict[int, float]:
        """Document index -> score for a query of weighted terms."""
        result: dict[int, float] = defaultdict(float)
        slots, starts, ids, values = self._slot, self._starts, self._ids, self._values
        for term, weight in query.items():
            slot = slots.get(term)
            if slot is None:
                continue
            start, end = starts[slot], starts[slot + 1]
            for index, value in zip(ids[start:end], values[start:end]):
                result[index] += weight * value
        return result


def _array(code: str, data: bytes) -> array:
    values = array(code)
    values.frombytes(data)
    return values
