"""Telegram settings from environment variables (and the optional .env file), checked with Chinese messages.

What each variable means and its default: runtime.settings.SETTINGS (README "Configuration").
"""
from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from runtime.settings import SettingsError, environment, integer_setting

_TOKEN = re.compile(r"\d+:[\w-]+", re.ASCII)
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_PROXY_SCHEMES = ("http", "https", "socks4", "socks5", "socks5h")


@dataclass(frozen=True)
class TelegramSettings:
    token: str = field(repr=False)
    api_base_url: str | None = None
    proxy: str | None = field(default=None, repr=False)  # may carry a password
    admin_ids: frozenset[int] = frozenset()
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    rate_limit_per_minute: int = 20

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "TelegramSettings":
        """Read and check the settings; raise SettingsError naming the first bad one."""
        env = environment(environ)
        base_url = _base_url(env.get("TELEGRAM_API_BASE_URL", ""))
        webhook_url = _webhook_url(env.get("TELEGRAM_WEBHOOK_URL", ""), local_server=bool(base_url))
        return cls(token=_token(env.get("TELEGRAM_BOT_TOKEN", "")),
                   api_base_url=base_url,
                   proxy=_proxy(env.get("TELEGRAM_PROXY", "")),
                   admin_ids=_admin_ids(env.get("TELEGRAM_ADMIN_IDS", "")),
                   webhook_url=webhook_url,
                   webhook_secret=_secret(env.get("TELEGRAM_WEBHOOK_SECRET", ""), webhook_url),
                   webhook_listen=env.get("TELEGRAM_WEBHOOK_LISTEN") or "127.0.0.1",
                   webhook_port=integer_setting(env, "TELEGRAM_WEBHOOK_PORT", 8443, 1, 65535),
                   rate_limit_per_minute=integer_setting(env, "RATE_LIMIT_PER_MINUTE", 20, 0, 10_000))

    @property
    def admin_keys(self) -> tuple[str, ...]:
        """Admin ids as the Assistant's user keys, e.g. ("tg:12345",): pass as Assistant.open(admins=…)."""
        return tuple(f"tg:{admin}" for admin in sorted(self.admin_ids))

    @property
    def webhook_path(self) -> str:
        """The path part of the webhook URL, which the local server listens on (without the leading slash)."""
        return urlsplit(self.webhook_url or "").path.lstrip("/")


def _token(value: str) -> str:
    if not value:
        raise SettingsError("没有设置 TELEGRAM_BOT_TOKEN：请在环境变量或 .env 文件中"
                            "填写 @BotFather 给您的机器人令牌。")
    if not _TOKEN.fullmatch(value):
        raise SettingsError("TELEGRAM_BOT_TOKEN 格式不对：应为 @BotFather 给出的「数字:字母串」形式，"
                            "例如 123456789:AAE…（为安全起见，这里不显示您填写的内容）。")
    return value


def _base_url(value: str) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"TELEGRAM_API_BASE_URL 不是有效的网址：{value}。"
                            "应形如 http://127.0.0.1:8081/bot（本地 Bot API 服务器地址，以 /bot 结尾）。")
    return value


def _proxy(value: str) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in _PROXY_SCHEMES or not parts.hostname:
        raise SettingsError("TELEGRAM_PROXY 不是有效的代理地址："
                            "应形如 http://127.0.0.1:7890 或 socks5://127.0.0.1:1080。")
    if parts.scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        raise SettingsError("TELEGRAM_PROXY 使用 socks 代理，需要先安装："
                            "pip install \"python-telegram-bot[socks]\"。")
    return value


def admin_keys_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Staff user keys for alerts queued by a process without the Telegram channel (the web page): the ids in
    TELEGRAM_ADMIN_IDS when a bot token is configured too (the bot, run alongside, delivers them); none without
    one, since no channel would ever deliver those alerts (staff then see new bookings with /pending or
    `python bot.py admin pending`)."""
    env = environment(environ)
    if not env.get("TELEGRAM_BOT_TOKEN"):
        return ()
    return tuple(f"tg:{admin}" for admin in sorted(_admin_ids(env.get("TELEGRAM_ADMIN_IDS", ""))))


def _admin_ids(value: str) -> frozenset[int]:
    ids = set()
    for item in value.replace("，", ",").split(","):
        item = item.strip()
        if not item:
            continue
        if not re.fullmatch(r"-?\d+", item):
            raise SettingsError(f"TELEGRAM_ADMIN_IDS 中的「{item}」不是数字用户 ID。"
                                "请填写用英文逗号分隔的数字，例如 12345678,87654321"
                                "（可向 @userinfobot 查询自己的 ID）。")
        ids.add(int(item))
    return frozenset(ids)


def _webhook_url(value: str, local_server: bool) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    allowed = ("https", "http") if local_server else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise SettingsError("TELEGRAM_WEBHOOK_URL 必须是 https:// 开头的公网地址（Telegram 只向 HTTPS 推送），"
                            f"现在是：{value}")
    return value


def _secret(value: str, webhook_url: str | None) -> str | None:
    if not value:
        if webhook_url:
            raise SettingsError("设置了 TELEGRAM_WEBHOOK_URL 就必须同时设置 TELEGRAM_WEBHOOK_SECRET，"
                                "用来确认请求确实来自 Telegram。")
        return None
    if not _SECRET.fullmatch(value):
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET 只能由 1–256 个英文字母、数字、"
                            "下划线 _ 或减号 - 组成。")
    return value


