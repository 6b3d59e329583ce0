"""Imports run one way, read from the import lines of every module (functions and TYPE_CHECKING blocks included):

    channels (terminal chat/console.py, handlers/ = Telegram, web/, wechat/)  ->  chat  ->  booking  ->  knowledge

and everything may use runtime/, which uses nothing of the project. No channel imports another, and no channel
reaches past chat into booking or knowledge. bot.py (the entry point that wires them) and bench/ are outside.
"""
import ast

import pytest

from runtime.settings import REPO

PACKAGES = ("runtime", "knowledge", "booking", "chat", "handlers", "web", "wechat", "mail")
CHANNELS = ("chat.console", "handlers", "web", "wechat", "mail")
MAY_USE = {  # layer -> the layers its modules may import (besides their own)
    "runtime": set(),
    "knowledge": {"runtime"},
    "booking": {"knowledge", "runtime"},
    "chat": {"booking", "knowledge", "runtime"},
    "channel": {"chat", "runtime"},
}


def layer(module: str) -> str:
    """The layer a module belongs to; each channel is its own ("channel:web")."""
    for channel in CHANNELS:
        if module == channel or module.startswith(channel + "."):
            return f"channel:{channel}"
    return module.split(".")[0]


def modules():
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imports(module: str, path) -> set[str]:
    """Project modules named in the file's import lines."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from .x import y
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                found.add(".".join(base + ([node.module] if node.module else [])))
            else:
                found.add(node.module)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def allowed(source: str, target: str) -> bool:
    a, b = layer(source), layer(target)
    if a == b:
        return True
    if a.startswith("channel:"):
        return not b.startswith("channel:") and b in MAY_USE["channel"]
    return b in MAY_USE[a]


def test_the_layer_rule_itself():
    assert allowed("handlers.app", "chat.assistant") and allowed("web.guards", "runtime.ratelimit")
    assert not allowed("web.guards", "handlers.ratelimit")           # a channel importing another
    assert not allowed("chat.console", "handlers.app") and not allowed("wechat.app", "web.sessions")
    assert not allowed("web.guards", "knowledge.content")            # past chat
    assert not allowed("chat.assistant", "chat.console")             # chat does not know its channels
    assert not allowed("chat.state", "web.app") and not allowed("booking.store", "chat.state")
    assert not allowed("knowledge.engine", "booking.catalog") and not allowed("runtime.settings", "knowledge.config")


@pytest.mark.parametrize("module,path", list(modules()), ids=lambda value: str(value) if isinstance(value, str) else "")
def test_imports_run_one_way(module, path):
    wrong = sorted(target for target in imports(module, path) if not allowed(module, target))
    assert not wrong, f"{module} ({layer(module)}) must not import {wrong}"
