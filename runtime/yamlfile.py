"""YAML loading that remembers line numbers, so content errors can name file and line."""
from __future__ import annotations

from pathlib import Path

import yaml


class ContentError(Exception):
    """A content file is wrong; the message names the file, the entry and what is wrong."""

    def __init__(self, path: Path | str, message: str, line: int | None = None, entry: str | None = None):
        self.path, self.line, self.entry, self.message = str(path), line, entry, message
        where = self.path + (f":{line}" if line else "")
        super().__init__(f"{where}: " + (f"[{entry}] " if entry else "") + message)


class LineDict(dict):
    """A mapping that knows the line it started on."""

    line: int = 0


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    mapping = LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path, *, version: int = 1) -> LineDict:
    """Load one content file and check its declared format version."""
    if not path.is_file():
        raise ContentError(path, "文件不存在")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except UnicodeDecodeError as exc:
        raise ContentError(path, "文件必须是 UTF-8 编码") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError(path, f"YAML 格式错误：{getattr(exc, 'problem', exc)}",
                           line=mark.line + 1 if mark else None) from exc
    if not isinstance(data, dict):
        raise ContentError(path, "文件顶层必须是键值对（mapping）")
    if data.get("version") != version:
        raise ContentError(path, f"缺少或不支持的 version（应为 version: {version}）", line=1)
    return data


def require(path: Path, item: dict, key: str, kind: type | tuple, entry: str | None = None):
    """Fetch a required field of the right type or raise a ContentError that names it."""
    value = item.get(key)
    if value is None or (isinstance(value, (str, list)) and not value):
        raise ContentError(path, f"缺少字段 {key}", getattr(item, "line", None), entry)
    if not isinstance(value, kind):
        raise ContentError(path, f"字段 {key} 类型不对", getattr(item, "line", None), entry)
    return value
