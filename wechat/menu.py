"""The account's custom menu: content/wechat_menu.yaml -> the JSON of WeChat's menu/create, checked first.

A `command` item is a CLICK button whose key is `cmd:<command>`; the channel turns the click into that command.
A `url` item is a VIEW button; a url starting with "/" is on this server's web page (WECHAT_PUBLIC_URL).
"""
from __future__ import annotations

from pathlib import Path

from chat.texts import Texts
from runtime.yamlfile import ContentError, load_yaml, require

FILE = "wechat_menu.yaml"
KEY_PREFIX = "cmd:"
TOP_BYTES, SUB_BYTES, URL_BYTES = 16, 60, 1024   # WeChat's limits
MAX_TOP, MAX_SUB = 3, 5


def load_menu(content_dir: Path, public_url: str) -> dict:
    """The menu as WeChat's API wants it ({"button": [...]}); ContentError names what is wrong."""
    path = content_dir / FILE
    data = load_yaml(path)
    allowed = {c.command for c in Texts(content_dir).commands if not c.admin}
    tops = require(path, data, "menu", list)
    if not 1 <= len(tops) <= MAX_TOP:
        raise ContentError(path, f"一级菜单应有 1–{MAX_TOP} 个，现在有 {len(tops)} 个")
    buttons = []
    for top in tops:
        name = _name(path, top, TOP_BYTES, "一级菜单名")
        items = require(path, top, "items", list, name)
        if not 1 <= len(items) <= MAX_SUB:
            raise ContentError(path, f"每个一级菜单下应有 1–{MAX_SUB} 个子菜单，现在有 {len(items)} 个",
                               getattr(top, "line", None), name)
        buttons.append({"name": name, "sub_button": [_item(path, item, allowed, public_url) for item in items]})
    return {"button": buttons}


def command_of(key: str) -> str | None:
    """The command a CLICK key stands for ("cmd:law" -> "law")."""
    return key[len(KEY_PREFIX):] if key.startswith(KEY_PREFIX) and len(key) > len(KEY_PREFIX) else None


def _name(path: Path, item: dict, limit: int, what: str) -> str:
    name = require(path, item, "name", str)
    if len(name.encode("utf-8")) > limit:
        raise ContentError(path, f"{what}「{name}」太长：最多 {limit} 字节（约 {limit // 3} 个汉字）",
                           getattr(item, "line", None))
    return name


def _item(path: Path, item: dict, allowed: set[str], public_url: str) -> dict:
    name = _name(path, item, SUB_BYTES, "子菜单名")
    line = getattr(item, "line", None)
    command, url = item.get("command"), item.get("url")
    if bool(command) == bool(url):
        raise ContentError(path, "每个子菜单要有 command 或 url 二者之一", line, name)
    if command:
        command = str(command).strip().lstrip("/")
        if command not in allowed:
            raise ContentError(path, f"命令 /{command} 不在 commands.yaml 面向所有人的命令里", line, name)
        return {"type": "click", "name": name, "key": KEY_PREFIX + command}
    url = str(url).strip()
    if url.startswith("/"):
        url = public_url + url
    if not url.startswith("https://") and not url.startswith("http://"):
        raise ContentError(path, f"网址应以 https:// 或 / 开头：{url}", line, name)
    if len(url.encode()) > URL_BYTES:
        raise ContentError(path, f"网址太长：最多 {URL_BYTES} 字节", line, name)
    return {"type": "view", "name": name, "url": url}
