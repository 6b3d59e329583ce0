"""The lecture programs and Pudong streets the booking rules check against, read from content/ by its one loader."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from knowledge.content import load_programs, load_streets
from knowledge.model import Program

from .errors import ValidationError

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

_STREET_SUFFIX = re.compile(r"(新村街道|路街道|街道|新城镇|新镇|镇)$")
_AREA_PREFIX = re.compile(r"^(上海市|上海)?(浦东新区|浦东)?")


@dataclass(frozen=True)
class Catalog:
    """Programs by id and the 36 street/town names, loaded once and passed to the services."""

    programs: dict[str, Program]
    streets: tuple[str, ...]
    source: Path = field(default=DEFAULT_CONTENT_DIR, compare=False)

    @classmethod
    def load(cls, content_dir: Path | str = DEFAULT_CONTENT_DIR) -> "Catalog":
        """Read lectures.yaml and streets.yaml with the content loader; a ContentError names file, line and entry."""
        content_dir = Path(content_dir)
        return cls(programs={p.id: p for p in load_programs(content_dir)}, streets=tuple(load_streets(content_dir)),
                   source=content_dir)

    @classmethod
    def default(cls) -> "Catalog":
        """The repository's own content, cached (read-only)."""
        return _default_catalog()

    def program(self, program_id: str) -> Program | None:
        """Look a program up by id."""
        return self.programs.get(program_id)

    def school_programs(self) -> list[Program]:
        """Programs a school can book (kind: school)."""
        return [p for p in self.programs.values() if p.kind == "school"]

    def public_programs(self) -> list[Program]:
        """Programs offered as public sessions (kind: public)."""
        return [p for p in self.programs.values() if p.kind == "public"]

    def resolve_street(self, raw: str) -> str:
        """Map what a user typed to one of the 36 names (「川沙」→川沙新镇) or explain the problem."""
        text = _AREA_PREFIX.sub("", re.sub(r"\s+", "", raw or ""))
        if not text:
            raise ValidationError("请填写浦东新区内具体的街道或镇，例如：川沙新镇、陆家嘴街道。", "street")
        if text in self.streets:
            return text
        core = _STREET_SUFFIX.sub("", text) or text
        matches = [s for s in self.streets
                   if _STREET_SUFFIX.sub("", s) == core or s.startswith(text)]
        exact_core = [s for s in matches if _STREET_SUFFIX.sub("", s) == core]
        if len(exact_core) == 1 or (len(matches) == 1 and len(text) >= 2):
            return (exact_core or matches)[0]
        if matches:
            raise ValidationError(f"「{raw.strip()}」可能是：{'、'.join(matches)}，请写出完整名称。", "street")
        loose = [s for s in self.streets if len(core) >= 2 and core in s]
        if len(loose) == 1:
            return loose[0]
        raise ValidationError(
            f"「{raw.strip()}」不是浦东新区的街道或镇。请填写浦东新区36个街道/镇之一，例如：川沙新镇、陆家嘴街道、张江镇。",
            "street")


@lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    return Catalog.load(DEFAULT_CONTENT_DIR)
