"""Settings from environment variables (and an optional .env file); one place documents them all."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def load_dotenv(path: Path) -> None:
    """Put KEY=VALUE lines of a .env file into the environment, never overriding real variables."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


def _path(name: str, default: Path | None) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else default


def _default_statutes() -> Path | None:
    """The shared corpus next to the checkout, when there is one (tests and CI use it)."""
    candidate = REPO.parent / "shared" / "corpus"
    return candidate if candidate.is_dir() else None


@dataclass(frozen=True)
class KnowledgeSettings:
    content_dir: Path
    data_dir: Path
    statutes_dir: Path | None
    laws_db: Path | None

    @property
    def kb_path(self) -> Path:
        return self.data_dir / "kb.sqlite"

    @classmethod
    def from_env(cls) -> "KnowledgeSettings":
        load_dotenv(REPO / ".env")
        data_dir = _path("KB_DATA_DIR", REPO / "data")
        statutes = os.environ.get("KB_STATUTES_DIR")
        return cls(content_dir=_path("KB_CONTENT_DIR", REPO / "content"),
                   data_dir=data_dir,
                   statutes_dir=(Path(statutes).expanduser() if statutes.strip() else None)
                   if statutes is not None else _default_statutes(),
                   laws_db=_path("KB_LAWS_DB", None))
