"""`kb check`: prove the curated content right against the statutes and report coverage."""
from __future__ import annotations

from pathlib import Path

from knowledge.build import _article_rows, gather
from knowledge.check_citations import bare_article_problems, document_source_problems
from knowledge.config import KnowledgeSettings
from knowledge.misplaced import misplaced_warnings
from knowledge.verify import (amendment_problems, coverage, digest_number_problems, faq_number_problems,
                              modal_problems, seed_problems, structural_problems)
from knowledge.wording import message_problems
from runtime.settings import REPO


def run_check(settings: KnowledgeSettings, seed_dir: Path | None = None,
              review: bool = True) -> tuple[list[str], list[str]]:
    """Return (problems, report lines); content is right when problems is empty. With `review`, the report also
    lists paraphrases that seem to belong to another entry (warnings: they need a person's judgement)."""
    sources = gather(settings)
    content = sources.content
    rows = _article_rows(sources)
    known = {r["key"] for r in rows}
    official = {r["key"]: r["text"] for r in rows if r["official"]}
    problems = structural_problems(content, known, set(official))
    report = []
    local = [law.name for law in content.laws if law.source == "local"]
    missing_local = [name for name in local if name not in sources.texts]
    if missing_local:
        report.append("未找到地方性法规原文（KB_STATUTES_DIR），跳过要点数字核对：" + "、".join(missing_local))
    problems += digest_number_problems(content, official)
    problems += modal_problems(content, official)
    problems += amendment_problems(content, sources.laws_db)
    if not missing_local:  # with every text loaded, an answer's numbers must come from what it cites
        problems += faq_number_problems(content, {r["key"]: r["text"] + r["digest"] for r in rows})
    problems += document_source_problems(content) + bare_article_problems(content)
    problems += seed_problems(content, seed_dir)
    problems += message_problems(settings.content_dir, REPO)  # every message the code says, with its values
    if seed_dir is None or not seed_dir.is_dir():
        report.append("未找到工作要点原始材料（shared/seed），跳过工作要点完整性核对")
    core = {law.name: [r["key"] for r in rows if r["law"] == law.name and r["official"]]
            for law in content.laws if law.articles == "all" and law.source == "national"}
    report += coverage(content, core)
    if review and not problems:  # the ranking needs a knowledge base, which content with problems does not build
        report += misplaced_warnings(settings)
    return problems, report
