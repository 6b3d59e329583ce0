"""What the engine would otherwise compute at every start, computed once by `kb build` and stored in kb.sqlite.

Each document's weight and compact wording (ranking.py) and each curated entry's understanding, harms and wording
(selection.py) depend only on the built content, so they are artefacts of the build like the search index. A file
without them (or whose content they do not fit) is served all the same: the engine then computes them as before.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict
from pathlib import Path

from knowledge.understand import Understanding

TABLE = "startup"
# the code the stored data comes from: a change to any of these makes the engine compute it again until a rebuild
CODE = ("danger.py", "model.py", "normalize.py", "numerals.py", "ranking.py", "segment.py", "selection.py",
        "startup.py", "understand.py")


def code_version() -> str:
    """A hash of the modules whose code decides the stored values."""
    here = Path(__file__).parent
    return hashlib.sha256(b"".join((here / name).read_bytes() for name in CODE)).hexdigest()[:16]


def compute(ranker, selector) -> dict:
    """The precomputed parts of a Ranker and a Selector, as JSON-ready data."""
    return {"code": code_version(), "docs": len(ranker.kb.docs),
            "compact": ranker._compact, "mass": [list(m) for m in ranker._mass],
            "sense": {fid: asdict(u) for fid, u in selector.entry_sense.items()},
            "harms": {fid: sorted(h) for fid, h in selector.entry_harms.items()},
            "topic_harms": {fid: sorted(h) for fid, h in selector.entry_topic_harms.items()},
            "wording": selector.entry_wording}


def store(path: Path, data: dict) -> int:
    """Write the precomputed data into a knowledge base file; returns its size in bytes."""
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with sqlite3.connect(path) as db:
        db.execute(f"create table if not exists {TABLE} (name text primary key, data blob)")
        db.execute(f"insert or replace into {TABLE} values ('data', ?)", (blob,))
    return len(blob)


def load(path: Path) -> dict | None:
    """The stored data, or None when the file holds none (a knowledge base from before this table)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute(f"select data from {TABLE} where name = 'data'").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        db.close()
    data = json.loads(row[0]) if row else None
    return data if data and data.get("code") == code_version() else None


def ranker_part(data: dict | None, docs: int) -> tuple[list[str], list[tuple[float, float]]] | None:
    """Each document's compact wording and weights, when they were computed for these documents."""
    if not data or data.get("docs") != docs:
        return None
    return data["compact"], [tuple(m) for m in data["mass"]]


def selector_part(data: dict | None, faq_ids) -> dict | None:
    """Each entry's understanding, harms and wording, when they were computed for these entries."""
    if not data or set(data.get("sense") or ()) != set(faq_ids):
        return None
    sense = {fid: Understanding(**{k: tuple(v) if isinstance(v, list) else v for k, v in u.items()})
             for fid, u in data["sense"].items()}
    return {"sense": sense, "harms": {fid: frozenset(h) for fid, h in data["harms"].items()},
            "topic_harms": {fid: frozenset(h) for fid, h in data["topic_harms"].items()},
            "wording": data["wording"]}
