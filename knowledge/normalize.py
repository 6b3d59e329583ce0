"""One normalisation for questions and documents, so both sides compare alike."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_CONTROL = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """Full-width to half-width, traditional to simplified, lower case, no control characters."""
    text = (text or "").encode("utf-8", "replace").decode("utf-8")  # lone surrogates (broken input) become '?'
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub("", text)
    text = _t2s().convert(text)
    return _SPACES.sub(" ", text).strip().lower()


def compact(text: str) -> str:
    """Normalised text without spaces and punctuation: what fuzzy matching compares."""
    return "".join(ch for ch in normalize(text)
                   if not unicodedata.category(ch).startswith(("P", "Z", "S")))


def char_len(text: str) -> int:
    """Length in characters, not counting white space (how answer limits are measured)."""
    return len(_SPACES.sub("", text or ""))
