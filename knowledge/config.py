"""The knowledge settings (KB_* variables); the table of every setting is runtime.settings.SETTINGS."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from runtime.settings import REPO, load_dotenv


def _path(name: str, default: Path | None) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else default


def _default_statutes() -> Path | None:
    """The shared corpus next to the checkout, when there is one (tests and CI use it)."""
    candidate = REPO.parent / "shared" / "corpus"
    return candidate if candidate.is_dir() else None


def _default_training() -> tuple[Path, ...]:
    """The shared real-question set next to the checkout, when there is one."""
    candidate = REPO.parent / "shared" / "eval" / "real-dev.jsonl"
    return (candidate,) if candidate.is_file() else ()


def _training_sets() -> tuple[Path, ...]:
    value = os.environ.get("KB_TRAINING_SETS")
    if value is None:
        return _default_training()
    return tuple(Path(p).expanduser() for p in value.split(os.pathsep) if p.strip())


@dataclass(frozen=True)
class KnowledgeSettings:
    content_dir: Path
    data_dir: Path
    statutes_dir: Path | None
    laws_db: Path | None
    training_sets: tuple[Path, ...] | None = None  # labelled question sets the reranker learns from; None = default

    @property
    def kb_path(self) -> Path:
        return self.data_dir / "kb.sqlite"

    @property
    def overlay_dir(self) -> Path:
        """Where the desk's published changes and drafts live (knowledge.overlay), beside the built file."""
        return self.data_dir / "desk-content"

    @classmethod
    def from_env(cls) -> "KnowledgeSettings":
        load_dotenv(REPO / ".env")
        data_dir = _path("KB_DATA_DIR", REPO / "data")
        statutes = os.environ.get("KB_STATUTES_DIR")
        return cls(content_dir=_path("KB_CONTENT_DIR", REPO / "content"),
                   data_dir=data_dir,
                   statutes_dir=(Path(statutes).expanduser() if statutes.strip() else None)
                   if statutes is not None else _default_statutes(),
                   laws_db=_path("KB_LAWS_DB", None), training_sets=_training_sets())

    @property
    def training(self) -> tuple[Path, ...]:
        """The training sets in force (the shared real-dev set unless KB_TRAINING_SETS says otherwise)."""
        return _default_training() if self.training_sets is None else self.training_sets
