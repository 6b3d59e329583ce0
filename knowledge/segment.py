"""Chinese segmentation with a private jieba tokenizer and the legal user dictionary from content/."""
from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

import jieba

from knowledge.normalize import normalize
from knowledge.numerals import arabize

jieba.setLogLevel(logging.WARNING)


def _is_word(token: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


class Segmenter:
    """Turns text into search terms; never touches jieba's process-wide tokenizer."""

    def __init__(self, dictionary: Path | None, stopwords: set[str], cache_dir: Path | None = None,
                 vocabulary: Path | None = None):
        """`dictionary` is the legal user dictionary; `vocabulary` an optional smaller main dictionary
        (written by the build from the words the knowledge base uses) that loads in a fraction of the time."""
        self._tokenizer = jieba.Tokenizer(str(vocabulary)) if vocabulary else jieba.Tokenizer()
        if cache_dir:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._tokenizer.tmp_dir = str(cache_dir)
        self._tokenizer.initialize()
        if dictionary and dictionary.exists():
            self._tokenizer.load_userdict(str(dictionary))
        self.stopwords = stopwords

    def prepare(self, text: str) -> str:
        """Normalised text with numerals in Arabic digits, the form both sides are indexed in."""
        return arabize(normalize(text))

    def words(self, text: str) -> list[str]:
        """Search-mode words (long compounds plus their parts), stop words removed."""
        return [t for t in self._tokenizer.lcut_for_search(self.prepare(text))
                if _is_word(t) and t not in self.stopwords]

    def terms(self, text: str) -> list[str]:
        """Precise-mode words without stop words: what a question is made of."""
        return [t for t in self._tokenizer.lcut(self.prepare(text)) if _is_word(t) and t not in self.stopwords]

    def words_and_terms(self, text: str) -> tuple[list[str], list[str]]:
        """`words(text)` and `terms(text)` from one cut (the build needs both for every document): search mode is
        the precise cut with each long word's dictionary sub-words before it, as jieba's cut_for_search makes it."""
        cut = self._tokenizer.lcut(self.prepare(text))
        freq = self._tokenizer.FREQ
        found = []
        for w in cut:
            if len(w) > 2:
                found += [w[i:i + 2] for i in range(len(w) - 1) if freq.get(w[i:i + 2])]
            if len(w) > 3:
                found += [w[i:i + 3] for i in range(len(w) - 2) if freq.get(w[i:i + 3])]
            found.append(w)
        keep = self._keep
        return [t for t in found if keep(t)], [t for t in cut if keep(t)]

    def _keep(self, token: str) -> bool:
        return _is_word(token) and token not in self.stopwords

    def vocabulary(self, texts) -> set[str]:
        """Every dictionary word the texts are made of, in both cutting modes (search mode includes the precise
        cut's words)."""
        words: set[str] = set()
        for text in texts:
            words.update(self._tokenizer.cut_for_search(self.prepare(text)))
        return {w for w in words if w in self._tokenizer.FREQ and self._tokenizer.FREQ[w] > 0}

    @staticmethod
    def bigrams(prepared: str) -> list[str]:
        """Overlapping character pairs of the Han/letter/digit runs: a channel segmentation cannot break."""
        chars = [ch for ch in prepared if unicodedata.category(ch)[0] in "LN"]
        return [a + b for a, b in zip(chars, chars[1:])]
