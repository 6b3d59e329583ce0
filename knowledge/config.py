"""Settings from environment variables (and an optional .env file); one place documents them all."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
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


class SettingsError(ValueError):
    """A setting is missing or wrong; the message says which one and how to fix it, in Chinese."""


def environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables to read settings from (the process environment plus .env), values stripped."""
    if environ is None:
        load_dotenv(REPO / ".env")
        environ = os.environ
    return {key: value.strip() for key, value in environ.items()}


def integer_setting(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole-number setting within [low, high], or the default when it is not set."""
    value = env.get(name, "")
    if not value:
        return default
    if not re.fullmatch(r"\d+", value) or not low <= int(value) <= high:
        raise SettingsError(f"{name} 必须是 {low} 到 {high} 之间的整数，现在是：{value}")
    return int(value)


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
