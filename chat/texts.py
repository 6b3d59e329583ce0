"""The bot's wording and command table, read from content/ so staff can change them."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.content import load_messages
from runtime.yamlfile import load_yaml, require


@dataclass(frozen=True)
class Command:
    command: str
    description: str
    admin: bool = False


def messages_in(folder: Path) -> dict[str, str]:
    """The messages of the messages.yaml in `folder`: a channel's own wording (web/messages.yaml)."""
    return load_messages(folder)


class Texts:
    """Looks up a message by key and fills its {placeholders}."""

    def __init__(self, content_dir: Path):
        self.messages = load_messages(content_dir)
        path = content_dir / "commands.yaml"
        self.commands = [Command(require(path, c, "command", str), require(path, c, "description", str),
                                 bool(c.get("admin"))) for c in require(path, load_yaml(path), "commands", list)]

    def __call__(self, key: str, **values) -> str:
        return self.messages[key].format(**values).strip()

    def help(self, is_admin: bool) -> str:
        lines = [self("help_header")]
        lines += [f"/{c.command} — {c.description}" for c in self.commands if is_admin or not c.admin]
        return "\n".join(lines + ["", self("help_footer")])
