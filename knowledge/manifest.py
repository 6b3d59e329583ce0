"""Is the built knowledge base current? Answered without importing the build machinery (cold start)."""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from knowledge.config import KnowledgeSettings
from knowledge.statutes import packaged_laws_db

FORMAT = 9  # bump when the schema or indexing changes, so old files are rebuilt


class BuildError(Exception):
    """The knowledge base cannot be built; the message lists what is wrong."""


def laws_db(settings: KnowledgeSettings) -> Path | None:
    """The national statute database: the configured copy, or the one pip installed."""
    return settings.laws_db if settings.laws_db else packaged_laws_db()


def source_fingerprint(settings: KnowledgeSettings) -> str:
    """A hash of everything a build reads: content files, local statutes, the desk's changes, the national database."""
    digest = hashlib.sha256(f"format:{FORMAT}".encode())
    files = sorted(p for p in settings.content_dir.rglob("*") if p.is_file())
    if settings.statutes_dir and settings.statutes_dir.is_dir():
        files += sorted(settings.statutes_dir.glob("*.md"))
    overlay = settings.overlay_dir / "faq.yaml"  # the desk's published changes (knowledge.overlay)
    if overlay.is_file():
        files.append(overlay)
    files += [p for p in settings.training if p.is_file()]  # the reranker learns from them
    for path in files:
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    db = laws_db(settings)
    if db:
        stat = db.stat()
        digest.update(f"{db.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()


def read_manifest(path: Path) -> dict | None:
    """The manifest stored inside a knowledge base file, or None if the file is missing or foreign."""
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            row = conn.execute("select value from manifest where key = 'manifest'").fetchone()
        return json.loads(row[0]) if row else None
    except (sqlite3.Error, ValueError):  # a half-written or foreign file is simply rebuilt
        return None
