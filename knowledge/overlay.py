"""Changes made on the office's desk, kept in the data folder (desk-content/faq.yaml), never in content/.

The file holds new FAQ entries, written in content's own format, and phrasings attached to existing entries:

    version: 1
    entries:                      # as in content/faq/*.yaml, each with its topic
      - {id: …, topic: …, audience: […], question: …, paraphrases: […], answer: …, sources: [{law, article}]}
    phrasings:                    # entry id -> phrasings that real questions added
      school-bullying-definition: [同学给我起外号还拍视频]

A build merges it after content/, sorted by id, so content plus desk changes always build the same knowledge base.
What content already has wins: an entry or phrasing that was exported and committed upstream is not added twice.
`export_changes` writes the changes out as content files (copies of the faq files they belong in).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.content import Content, faq_entry
from knowledge.normalize import compact
from runtime.yamlfile import ContentError, LineDict, load_yaml

logger = logging.getLogger(__name__)

OVERLAY_FILE = "faq.yaml"
FIELDS = ("id", "topic", "audience", "question", "paraphrases", "answer", "sources", "related", "documents")
LABEL = "desk-content/faq.yaml"  # how problems name the desk's changes


@dataclass
class Overlay:
    entries: dict[str, dict] = field(default_factory=dict)       # id -> entry in content's format
    phrasings: dict[str, list[str]] = field(default_factory=dict)  # entry id -> added phrasings

    def copy(self) -> "Overlay":
        return Overlay({k: dict(v) for k, v in self.entries.items()}, {k: list(v) for k, v in self.phrasings.items()})

    def as_yaml(self) -> str:
        """The file's text: sorted, so the same changes always give the same bytes."""
        data = {"version": 1, "entries": [_ordered(self.entries[k]) for k in sorted(self.entries)],
                "phrasings": {k: self.phrasings[k] for k in sorted(self.phrasings) if self.phrasings[k]}}
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)


def load_overlay(folder: Path) -> Overlay:
    """The desk's published changes (none when the file does not exist)."""
    path = folder / OVERLAY_FILE
    if not path.is_file():
        return Overlay()
    data = load_yaml(path)
    entries = {}
    for item in data.get("entries") or []:
        if not isinstance(item, dict) or not item.get("id"):
            raise ContentError(path, "entries 每项须是带 id 的问答", getattr(item, "line", None))
        entries[str(item["id"])] = _plain(item)
    phrasings = data.get("phrasings") or {}
    if not isinstance(phrasings, dict):
        raise ContentError(path, "phrasings 须写成 条目id: [问法, …]", 1)
    return Overlay(entries, {str(k): [str(x) for x in v or []] for k, v in phrasings.items()})


def save_overlay(folder: Path, overlay: Overlay) -> None:
    """Replace the file atomically: a reader sees the old changes or the new ones, never half."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / OVERLAY_FILE
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(overlay.as_yaml(), encoding="utf-8")
    os.replace(tmp, path)


def apply_overlay(content: Content, overlay: Overlay) -> None:
    """Add the desk's entries and phrasings to loaded content, in id order; entries go through content's parser."""
    path = Path(LABEL)
    known = {e.id for e in content.faq}
    for entry_id in sorted(overlay.entries):
        if entry_id not in known:
            item = LineDict(overlay.entries[entry_id])
            entry = faq_entry(path, item, str(item.get("topic") or ""), where=f"{LABEL} [{entry_id}]")
            content.faq.insert(_place(content, entry.topic), entry)
    by_id = {e.id: e for e in content.faq}
    for entry_id in sorted(overlay.phrasings):
        entry = by_id.get(entry_id)
        if entry is None:
            logger.warning("desk phrasings for %s left out: no such FAQ entry any more", entry_id)
            continue
        have = {compact(t) for t in (entry.question, *entry.paraphrases)}
        for text in overlay.phrasings[entry_id]:
            if compact(text) not in have:
                entry.paraphrases.append(text)
                have.add(compact(text))


def _place(content: Content, topic: str) -> int:
    """Where a new entry goes in the list: at the end of its topic's file, as the export writes it (same build)."""
    home = topic_file(content.root, topic)
    mine = [i for i, e in enumerate(content.faq) if home and e.where.startswith(f"{home.name}:")]
    if not mine:
        return len(content.faq)
    place = mine[-1] + 1
    while place < len(content.faq) and content.faq[place].where.startswith(LABEL):  # desk entries placed before
        place += 1
    return place


def entry_file(content_dir: Path, entry_id: str) -> tuple[Path, int] | None:
    """The content faq file holding an entry, and the line its item starts on."""
    for path in sorted((content_dir / "faq").glob("*.yaml")):
        for item in load_yaml(path).get("entries") or []:
            if item.get("id") == entry_id:
                return path, item.line
    return None


def topic_file(content_dir: Path, topic: str) -> Path | None:
    """The content faq file whose topic this is (where an exported new entry goes)."""
    return next((p for p in sorted((content_dir / "faq").glob("*.yaml")) if load_yaml(p).get("topic") == topic), None)


def export_changes(content_dir: Path, overlay: Overlay, out_dir: Path) -> list[Path]:
    """Write every faq file the changes touch, with the changes in, under out_dir/faq/ (copy over content/ to adopt)."""
    overlay = overlay.copy()
    texts: dict[Path, list[str]] = {}

    def lines_of(path: Path) -> list[str]:
        return texts.setdefault(path, path.read_text(encoding="utf-8").splitlines())

    for entry_id in sorted(overlay.phrasings):
        found = entry_file(content_dir, entry_id)
        if found is None and entry_id in overlay.entries:
            overlay.entries[entry_id]["paraphrases"] = list(dict.fromkeys(
                [*overlay.entries[entry_id]["paraphrases"], *overlay.phrasings[entry_id]]))
            continue
        if found is None:
            continue
        _insert_phrasings(lines_of(found[0]), found[1], overlay.phrasings[entry_id], found[0])
    for entry_id in sorted(overlay.entries):
        entry = overlay.entries[entry_id]
        if entry_file(content_dir, entry_id):
            continue  # already upstream
        path = topic_file(content_dir, entry.get("topic", ""))
        if path is None:
            raise ContentError(LABEL, f"content/faq 里没有主题为「{entry.get('topic')}」的文件", entry=entry_id)
        item = {k: v for k, v in _ordered(entry).items() if k != "topic"}
        block = yaml.safe_dump([item], allow_unicode=True, sort_keys=False, width=10**6).splitlines()
        lines_of(path).extend(["", *("  " + line for line in block)])
    written = []
    for path, lines in sorted(texts.items()):
        target = out_dir / path.relative_to(content_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(target)
    return written


def _insert_phrasings(lines: list[str], start: int, phrasings: list[str], path: Path) -> None:
    """Add phrasings at the end of the entry's block list `paraphrases:` that starts after line `start`."""
    i = start - 1
    while i < len(lines) and lines[i].strip() != "paraphrases:":
        i += 1
    if i == len(lines):
        raise ContentError(path, "找不到这个条目的 paraphrases: 列表（须是每行一个「- 问法」的写法）", start)
    indent = " " * (len(lines[i]) - len(lines[i].lstrip()) + 2)
    end = i + 1
    while end < len(lines) and lines[end].startswith((indent + "- ", indent + "  ")):
        end += 1
    have = {compact(line.strip()[2:].strip("'\"")) for line in lines[i + 1:end]}
    new = [indent + yaml.safe_dump([p], allow_unicode=True, width=10**6).strip()
           for p in phrasings if compact(p) not in have]
    lines[end:end] = new


def _ordered(entry: dict) -> dict:
    """An entry's fields in content's order (then any others by name)."""
    rank = {name: i for i, name in enumerate(FIELDS)}
    return {k: entry[k] for k in sorted(entry, key=lambda k: (rank.get(k, len(FIELDS)), k))}


def _plain(value):
    """YAML's line-remembering mappings as plain dicts and lists (for JSON and for dumping)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
