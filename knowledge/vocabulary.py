"""A small main dictionary for jieba, written at build time, so the bot starts in well under a second.

It keeps every word the knowledge base is made of plus jieba's most frequent everyday words; documents are
indexed and questions cut with this same dictionary, so both sides always agree.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import jieba

COMMON_WORDS = 60000  # jieba's most frequent words kept for everyday phrasing


def vocabulary_file(settings, fingerprint: str, words: set[str] | None = None) -> Path:
    """The small dictionary of one built knowledge base, written on first use under data/cache."""
    target = settings.data_dir / "cache" / f"vocabulary-{fingerprint[:16]}.txt"
    if not target.exists():
        if words is None:
            with sqlite3.connect(f"file:{settings.kb_path}?mode=ro", uri=True) as conn:
                words = {w for w, in conn.execute("select word from vocabulary")}
        target.parent.mkdir(parents=True, exist_ok=True)
        write_vocabulary(words, target)
    return target


def write_vocabulary(words: set[str], target: Path, common: int = COMMON_WORDS) -> Path:
    """Write `word freq tag` lines for the given words plus the most common ones; returns the path."""
    rows = []
    with open(jieba.DEFAULT_DICT_NAME if os.path.isabs(jieba.DEFAULT_DICT_NAME)
              else Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME, encoding="utf-8") as source:
        for line in source:
            parts = line.split()
            if len(parts) >= 2:
                rows.append((int(parts[1]), parts[0], parts[2] if len(parts) > 2 else ""))
    keep = {word for _, word, _ in sorted(rows, reverse=True)[:common]} | words
    tmp = target.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        for freq, word, tag in rows:
            if word in keep:
                out.write(f"{word} {freq} {tag}".rstrip() + "\n")
    os.replace(tmp, target)
    return target
