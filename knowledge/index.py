"""The search index, computed once by the build and stored in kb.sqlite as one compact blob.

Loading it costs one read and one `marshal.loads`: every word is stored once in a shared vocabulary, documents'
word sets and the BM25 postings are flat arrays of numbers into it.
"""
from __future__ import annotations

import marshal
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.bm25 import BM25, _array

INDEX_FORMAT = 1


class IndexFormatError(ValueError):
    """The stored index cannot be read here (damaged, another format or byte order): rebuild the knowledge base."""


@dataclass
class SearchIndex:
    words: BM25                    # search-mode words (recall)
    bigrams: BM25                  # character pairs (recall)
    terms: list[frozenset[str]]    # per document: its precise-mode words
    pairs: list[frozenset[str]]    # per document: its character pairs


def pack_index(documents: Iterable[tuple[list[str], list[str], list[str]]]) -> bytes:
    """Index documents, each given as (search-mode words, precise-mode words, character pairs).

    Words become numbers as they are first seen, so the build never holds more than one copy of each word."""
    if array("I").itemsize != 4:  # pragma: no cover - every platform Python runs on today
        raise IndexFormatError("array('I') 在本机不是 32 位")
    number: dict[str, int] = {}
    words, terms, pairs = [], [], []
    for doc_words, doc_terms, doc_pairs in documents:
        words.append(_numbers(doc_words, number))
        terms.append(_numbers(dict.fromkeys(doc_terms), number))  # distinct, in first-occurrence order
        pairs.append(_numbers(doc_pairs, number))
    distinct_pairs = [array("I", dict.fromkeys(doc)) for doc in pairs]
    return marshal.dumps({
        "format": INDEX_FORMAT, "byteorder": sys.byteorder, "vocabulary": list(number),
        "words": BM25(words).pack(), "bigrams": BM25(pairs).pack(),
        "terms": _flat(terms), "pairs": _flat(distinct_pairs)})


def _numbers(tokens: Iterable[str], number: dict[str, int]) -> array:
    add = number.setdefault
    return array("I", [add(token, len(number)) for token in tokens])


def _flat(lists: list[array]) -> dict:
    starts, ids = array("I", [0]), array("I")
    for numbers in lists:
        ids.extend(numbers)
        starts.append(len(ids))
    return {"starts": starts.tobytes(), "ids": ids.tobytes()}


def unpack_index(blob: bytes) -> SearchIndex:
    try:
        data = marshal.loads(blob)
    except (ValueError, EOFError, TypeError) as exc:
        raise IndexFormatError(f"检索索引已损坏（{exc}）") from exc
    if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT or data.get("byteorder") != sys.byteorder:
        raise IndexFormatError("检索索引的格式或字节序与本程序不符")
    vocabulary = data["vocabulary"]
    return SearchIndex(BM25.unpack(data["words"], vocabulary), BM25.unpack(data["bigrams"], vocabulary),
                       _unpack_sets(data["terms"], vocabulary), _unpack_sets(data["pairs"], vocabulary))


def _unpack_sets(data: dict, vocabulary: list[str]) -> list[frozenset[str]]:
    starts, ids = _array("I", data["starts"]), _array("I", data["ids"])
    word = vocabulary.__getitem__
    empty: frozenset[str] = frozenset()
    return [frozenset(map(word, ids[starts[i]:starts[i + 1]])) if starts[i + 1] > starts[i] else empty
            for i in range(len(starts) - 1)]
