"""SMTP settings (SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_FROM, SMTP_TLS), checked in Chinese."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from runtime.settings import SettingsError, environment, integer_setting

TLS_MODES = {"starttls": 587, "ssl": 465, "none": 25}  # SMTP_TLS -> the usual port
_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: str                       # SMTP_FROM, e.g. 浦东普法助手 <pufa@example.cn>
    user: str = ""
    password: str = field(default="", repr=False)  # never printed
    tls: str = "starttls"
    timeout: float = 20.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "MailSettings | None":
        """The settings, or None when SMTP_HOST is empty (e-mail off); SettingsError names a wrong one."""
        env = environment(environ)
        host = env.get("SMTP_HOST", "")
        if not host:
            return None
        tls = (env.get("SMTP_TLS") or "starttls").lower()
        if tls not in TLS_MODES:
            raise SettingsError(f"SMTP_TLS 只能是 starttls、ssl 或 none，现在是：{tls}")
        sender = env.get("SMTP_FROM", "")
        if not _ADDRESS.search(sender):
            raise SettingsError("设置了 SMTP_HOST 时必须设置 SMTP_FROM（发件地址），例如：浦东普法助手 <pufa@example.cn>")
        user, password = env.get("SMTP_USER", ""), env.get("SMTP_PASSWORD", "")
        if bool(user) != bool(password):
            raise SettingsError("SMTP_USER 和 SMTP_PASSWORD 要么都设置，要么都不设置。")
        return cls(host=host, port=integer_setting(env, "SMTP_PORT", TLS_MODES[tls], 1, 65535), sender=sender,
                   user=user, password=password, tls=tls)
