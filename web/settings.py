"""Web channel settings from environment variables (and the optional .env file), checked with Chinese messages.

What each variable means and its default: runtime.settings.SETTINGS (README "Configuration").
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from runtime.settings import SettingsError, environment, flag_setting, integer_setting, web_public_url


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    rate_limit_per_minute: int = 20
    ip_rate_limit_per_minute: int = 120
    trust_proxy: bool = False
    cookie_secure: bool = False
    session_idle_days: int = 30     # a browser session ends after this many days unused
    public_url: str = ""            # WEB_PUBLIC_URL, else the local address
    bot_username: str = ""          # for t.me share links of lecture sessions
    staff_idle_minutes: int = 30    # the web desk signs staff out after this long without a request

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
                   public_url=web_public_url(env), bot_username=_bot_username(env),
                   staff_idle_minutes=integer_setting(env, "WEB_STAFF_IDLE_MINUTES", 30, 5, 24 * 60))


def _bot_username(env: Mapping[str, str]) -> str:
    name = env.get("TELEGRAM_BOT_USERNAME", "").lstrip("@")
    if name and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{4,31}", name):
        raise SettingsError(f"TELEGRAM_BOT_USERNAME 应是机器人的用户名（不带 @），例如 pudong_pufa_bot，现在是：{name}")
    return name
