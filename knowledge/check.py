"""`kb check`: prove the curated content right against the statutes and report coverage.

`content_problems` is the one set of proofs for an answer, whoever wrote it: `kb check` runs it on content/, and the
desk runs it on a change before it may be published (`change_problems`)."""
from __future__ import annotations

from pathlib import Path

from knowledge.build import Sources, _article_rows, gather
from knowledge.check_citations import bare_article_problems, document_source_problems
from knowledge.config import KnowledgeSettings
from knowledge.misplaced import misplaced_warnings
from knowledge.overlay import Overlay
from knowledge.verify import (amendment_problems, coverage, digest_number_problems, faq_number_problems,
                              modal_problems, seed_problems, structural_problems)
from knowledge.wording import message_problems
from runtime.settings import REPO
from runtime.yamlfile import ContentError


def content_problems(sources: Sources) -> list[str]:
    """Citations exist, nothing duplicated, numbers and 应当/不得 as the cited articles say."""
    content = sources.content
    rows = _article_rows(sources)
    official = {r["key"]: r["text"] for r in rows if r["official"]}
    problems = structural_problems(content, {r["key"] for r in rows}, set(official))
    problems += digest_number_problems(content, official)
    problems += modal_problems(content, official)
    if not missing_local(sources):  # with every text loaded, an answer's numbers must come from what it cites
        problems += faq_number_problems(content, {r["key"]: r["text"] + r["digest"] for r in rows})
    return problems + document_source_problems(content) + bare_article_problems(content)


def missing_local(sources: Sources) -> list[str]:
    return [law.name for law in sources.content.laws if law.source == "local" and law.name not in sources.texts]


def change_problems(settings: KnowledgeSettings, overlay: Overlay) -> list[str]:
    """What `kb check` would newly find if the desk's changes became `overlay` (empty: it may be published)."""
    now = set(content_problems(gather(settings)))
    try:
        changed = gather(settings, overlay)
    except ContentError as exc:  # the loader's own rules: lengths, audience, phrasing count, citation form
        return [(f"[{exc.entry}] " if exc.entry else "") + exc.message]
    return [p for p in content_problems(changed) if p not in now]


def run_check(settings: KnowledgeSettings, seed_dir: Path | None = None,
              review: bool = True) -> tuple[list[str], list[str]]:
    """Return (problems, report lines); content is right when problems is empty. With `review`, the report also
    lists paraphrases that seem to belong to another entry (warnings: they need a person's judgement)."""
    sources = gather(settings)
    content = sources.content
    rows = _article_rows(sources)
    report = []
    if missing := missing_local(sources):
        report.append("未找到地方性法规原文（KB_STATUTES_DIR），跳过要点数字核对：" + "、".join(missing))
    problems = content_problems(sources)
    problems += amendment_problems(content, sources.laws_db)
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
