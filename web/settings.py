"""Web channel settings from environment variables (and the optional .env file), checked with Chinese messages.

What each variable means and its default: runtime.settings.SETTINGS (README "Configuration").
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from runtime.settings import SettingsError, environment, flag_setting, integer_setting


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    rate_limit_per_minute: int = 20
    ip_rate_limit_per_minute: int = 120
    trust_proxy: bool = False
    cookie_secure: bool = False
    session_idle_days: int = 30
    public_url: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "WebSettings":
        """Read and check the settings; raise SettingsError naming the first bad one."""
        env = environment(environ)
        return cls(host=env.get("WEB_HOST") or "127.0.0.1",
                   port=integer_setting(env, "WEB_PORT", 8080, 1, 65535),
                   rate_limit_per_minute=integer_setting(env, "WEB_RATE_LIMIT_PER_MINUTE", 20, 0, 10_000),
                   ip_rate_limit_per_minute=integer_setting(env, "WEB_IP_RATE_LIMIT_PER_MINUTE", 120, 0, 100_000),
                   trust_proxy=flag_setting(env, "WEB_TRUST_PROXY"),
                   cookie_secure=flag_setting(env, "WEB_COOKIE_SECURE"),
                   session_idle_days=integer_setting(env, "WEB_SESSION_IDLE_DAYS", 30, 1, 3650),
                   public_url=_public_url(env.get("WEB_PUBLIC_URL", "")))


def _public_url(value: str) -> str:
    """The page's public address for links the bot gives out, or "" when unknown."""
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError(f"WEB_PUBLIC_URL 必须是网页版的公网地址，例如 https://pufa.example.cn，现在是：{value}")
    return value.rstrip("/")
