"""`kb check`: every message the code asks for exists in messages.yaml, with the {placeholders} the code fills.

The code is read, not imported: calls such as `texts("decided", ref=…, status=…)`, `t("ask_name")`,
`self._m("basis_line", law=…)`, `messages["empty_question"]`, `ApiError(404, "attachment_gone", minutes=…)`.
A message may not use a placeholder the code does not fill (the bot would fail when it says it), and the code's
values must each have their placeholder (otherwise, say, the reference code silently drops out of a confirmation),
except where one call picks between two messages (`"a" if … else "b"`), which may show different values.
Code under web/ may also use web/messages.yaml.
"""
from __future__ import annotations

import ast
import re
import string
from dataclasses import dataclass
from pathlib import Path

from knowledge.content import load_messages
from runtime.yamlfile import ContentError

ACCESSORS = {"texts", "t", "_m", "wording"}   # callables taking (key, **values)
CODE = ("knowledge", "booking", "chat", "handlers", "web", "runtime")


@dataclass(frozen=True)
class Use:
    key: str
    values: frozenset[str] | None  # the placeholders filled; None when they cannot be read (**values)
    where: str
    only: bool = True               # the one key of its call (not one side of `a if … else b`, which share values)


def _constants(node: ast.AST) -> list[str]:
    """The string keys an argument can be: a literal, or either side of `a if … else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return []


def _filled(call: ast.Call) -> frozenset[str] | None:
    if any(k.arg is None for k in call.keywords):
        return None
    return frozenset(k.arg for k in call.keywords)


def uses_in(path: Path, repo: Path) -> list[Use]:
    """Every message key (and the values given with it) one Python file asks for."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    where = lambda node: f"{path.relative_to(repo)}:{node.lineno}"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            key_arg = None
            if name in ACCESSORS and node.args:
                key_arg = node.args[0]
            elif name == "ApiError" and len(node.args) > 1:
                key_arg = node.args[1]
            elif name == "error_response" and len(node.args) > 2:
                key_arg = node.args[2]
            if key_arg is not None:
                keys = _constants(key_arg)
                found += [Use(key, _filled(node), where(node), len(keys) == 1) for key in keys]
        elif isinstance(node, ast.Subscript) and isinstance(node.value, (ast.Name, ast.Attribute)):
            base = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
            if base == "messages":
                found += [Use(key, None, where(node)) for key in _constants(node.slice)]
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "STATUS_KEYS"
                                                  for t in node.targets) and isinstance(node.value, ast.Dict):
            found += [Use(key, frozenset(), where(node)) for v in node.value.values for key in _constants(v)]
    return found


TEMPLATE_CALL = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*((?:,\s*\w+\s*=[^,)]+)*)\)""")


def uses_in_template(path: Path, repo: Path) -> list[Use]:
    """The keys a Jinja2 page template asks for with t("key", name=…) (web/desk/templates)."""
    text = path.read_text(encoding="utf-8")
    return [Use(m[1], frozenset(re.findall(r"(\w+)\s*=", m[2])), f"{path.relative_to(repo)}:"
                f"{text.count(chr(10), 0, m.start()) + 1}") for m in TEMPLATE_CALL.finditer(text)]


def placeholders(message: str) -> set[str]:
    """The {names} a message fills in."""
    try:
        return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(message)
                if field is not None}
    except ValueError:  # an unmatched brace
        return {"{"}


def message_problems(content_dir: Path, repo: Path) -> list[str]:
    """Problems between the code's message uses and content/messages.yaml (and web/messages.yaml for web/)."""
    shared = load_messages(content_dir)
    try:
        own = load_messages(repo / "web") if (repo / "web" / "messages.yaml").is_file() else {}
    except ContentError as error:
        return [str(error)]
    problems = []
    files = [p for folder in CODE for p in sorted((repo / folder).rglob("*.py"))] + [repo / "bot.py"]
    files += sorted((repo / "web").rglob("templates/*.html"))
    for path in files:
        if not path.is_file():
            continue
        in_web = path.relative_to(repo).parts[0] == "web"
        for use in (uses_in_template if path.suffix == ".html" else uses_in)(path, repo):
            message = own.get(use.key) if in_web and use.key in own else shared.get(use.key)
            if message is None:
                problems.append(f"messages.yaml 缺少 {use.key}（程序在 {use.where} 用到）")
                continue
            if "{" in placeholders(message):
                problems.append(f"messages.yaml 的 {use.key} 花括号不成对：{{ 和 }} 要成对出现")
                continue
            if use.values is None:
                continue
            if missing := placeholders(message) - use.values:
                problems.append(f"messages.yaml 的 {use.key} 用了程序不填的 "
                                + "、".join(f"{{{m}}}" for m in sorted(missing)) + f"（{use.where}）")
            if use.only and (unused := use.values - placeholders(message)):
                problems.append(f"messages.yaml 的 {use.key} 少了 "
                                + "、".join(f"{{{u}}}" for u in sorted(unused)) + f"：程序会填入它（{use.where}）")
    return sorted(set(problems))
