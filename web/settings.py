"""Web channel settings from environment variables (and the optional .env file), checked with Chinese messages.

| Variable                       | Default     | Meaning |
|--------------------------------|-------------|---------|
| `WEB_HOST`                     | `127.0.0.1` | Address the web page listens on. Keep `127.0.0.1` behind a reverse proxy (nginx, Caddy) that adds HTTPS; `0.0.0.0` makes it reachable from the local network. |
| `WEB_PORT`                     | `8080`      | Port the web page listens on. |
| `WEB_RATE_LIMIT_PER_MINUTE`    | `20`        | Messages and button presses one browser session may send per minute; 0 turns the limit off. |
| `WEB_IP_RATE_LIMIT_PER_MINUTE` | `120`       | API requests one client address may make per minute, across all its sessions (phones on one mobile network often share an address, so keep it generous); 0 turns it off. |
| `WEB_TRUST_PROXY`              | `0`         | `1` only behind a reverse proxy on this machine: the client address is then read from the last `X-Forwarded-For` entry. |
| `WEB_COOKIE_SECURE`            | `0`         | `1` when the page is served over HTTPS: the session and CSRF cookies get the `Secure` flag. |
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from knowledge.config import SettingsError, environment, integer_setting

_FLAGS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}




@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    rate_limit_per_minute: int = 20
    ip_rate_limit_per_minute: int = 120
    trust_proxy: bool = False
    cookie_secure: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "WebSettings":
        """Read and check the settings; raise SettingsError naming the first bad one."""
        env = environment(environ)
        return cls(host=env.get("WEB_HOST") or "127.0.0.1",
                   port=integer_setting(env, "WEB_PORT", 8080, 1, 65535),
                   rate_limit_per_minute=integer_setting(env, "WEB_RATE_LIMIT_PER_MINUTE", 20, 0, 10_000),
                   ip_rate_limit_per_minute=integer_setting(env, "WEB_IP_RATE_LIMIT_PER_MINUTE", 120, 0, 100_000),
                   trust_proxy=_flag(env, "WEB_TRUST_PROXY"),
                   cookie_secure=_flag(env, "WEB_COOKIE_SECURE"))




def _flag(env: dict[str, str], name: str) -> bool:
    value = env.get(name, "").lower()
    if not value:
        return False
    if value not in _FLAGS:
        raise SettingsError(f"{name} 只能填 1（开启）或 0（关闭），现在是：{value}")
    return _FLAGS[value]
