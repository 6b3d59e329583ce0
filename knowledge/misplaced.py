"""Paraphrases the rest of the content ranks under another entry. Each one teaches the ranking a wrong answer, so
`kb check` lists them as warnings for staff: leave the paraphrase out of the index, ask it, and compare the score
of its own entry with that of the best other entry."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine
from runtime.yamlfile import load_yaml, require

REVIEW_FILE = "paraphrase-review.yaml"  # in the content folder: warnings staff looked at and kept on purpose

# Calibrated on the content of 2026-12-07 (3211 paraphrases): another entry at twice the own entry's score and
# itself a confident match flags 56, few enough for staff to read one by one; a margin of 1.5 flags 156.
MISPLACED_MARGIN = 2.0
MISPLACED_FLOOR = 0.6   # the other entry's score (0-1) must be a confident match, not one weak guess over another


@dataclass(frozen=True)
class Misplaced:
    entry: str
    paraphrase: str
    other: str
    own_score: float
    other_score: float


def misplaced(engine: Engine) -> list[Misplaced]:
    """Every paraphrase that, left out of the index, ranks another FAQ entry above its own by a clear margin."""
    found = []
    for row in engine.kb.faq.values():
        for paraphrase in row["paraphrases"]:
            faq = [c for c in engine.selector.rank(paraphrase, paraphrase) if c.kind == "faq"]
            own = next((c.score for c in faq if c.ref == row["id"]), 0.0)
            other = next((c for c in faq if c.ref != row["id"]), None)
            if other and other.score >= MISPLACED_FLOOR and other.score >= own * MISPLACED_MARGIN:
                found.append(Misplaced(row["id"], paraphrase, other.ref, own, other.score))
    return found


def reviewed(content_dir: Path) -> set[tuple[str, str]]:
    """(entry, paraphrase) pairs staff reviewed and kept under their entry (paraphrase-review.yaml)."""
    path = content_dir / REVIEW_FILE
    if not path.is_file():
        return set()
    return {(require(path, item, "entry", str), require(path, item, "paraphrase", str).strip())
            for item in require(path, load_yaml(path), "kept", list)}


def misplaced_warnings(settings: KnowledgeSettings) -> list[str]:
    """Report lines for `kb check`: one per paraphrase to review (move it, delete it, or keep it on purpose)."""
    engine = Engine.open(settings)  # opening the engine builds the knowledge base when content changed
    kept = reviewed(settings.content_dir)
    found = [m for m in misplaced(engine) if (m.entry, m.paraphrase) not in kept]
    current = {(row["id"], p) for row in engine.kb.faq.values() for p in row["paraphrases"]}
    lines = [f"问法归属待复核：{len(found)} 条（去掉该问法后检索，另一条的得分是本条的 {MISPLACED_MARGIN:g} 倍以上；"
             f"{len(kept & current)} 条已复核保留，见 {REVIEW_FILE}）"]
    lines += [f"  警告：[{m.entry}] 问法「{m.paraphrase}」更像 [{m.other}] 的问题"
              f"（{m.own_score:.2f} 对 {m.other_score:.2f}），请确认本条回答的是这个问题、同一方、同一类问题；"
              f"确属本条的登记到 {REVIEW_FILE}"
              for m in found]
    lines += [f"  警告：{REVIEW_FILE} 里的 [{entry}]「{paraphrase}」已不是这一条的问法，请删掉这条记录"
              for entry, paraphrase in sorted(kept - current)]
    return lines
