"""WeChat Official Account settings from environment variables (and the optional .env file), checked in Chinese.

The variables are documented once, in runtime.settings.SETTINGS (README's configuration table).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from runtime.settings import SettingsError, environment, flag_setting, integer_setting

DEFAULT_API = "https://api.weixin.qq.com/cgi-bin/"
_TOKEN = re.compile(r"[A-Za-z0-9]{3,32}")
_APP_ID = re.compile(r"wx[A-Za-z0-9]{16}")
_SECRET = re.compile(r"[A-Za-z0-9]{32}")
_AES_KEY = re.compile(r"[A-Za-z0-9]{43}")
_WHERE = "公众号后台「设置与开发 → 基本配置」"


@dataclass(frozen=True)
class WeChatSettings:
    token: str = field(repr=False)
    app_id: str
    app_secret: str = field(repr=False)
    public_url: str
    aes_key: str = field(default="", repr=False)
    previous_aes_key: str = field(default="", repr=False)
    api_base_url: str = DEFAULT_API
    menu_links: bool = True
    rate_limit_per_minute: int = 20  # RATE_LIMIT_PER_MINUTE, as for Telegram

    @property
    def safe_mode(self) -> bool:
        """安全模式: pushes are encrypted; without an EncodingAESKey the channel runs in 明文模式."""
        return bool(self.aes_key)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "WeChatSettings | None":
        """The settings, or None when WECHAT_TOKEN is not set (the channel is off); SettingsError names a bad one."""
        env = environment(environ)
        if not env.get("WECHAT_TOKEN"):
            return None
        return cls(token=_checked(env, "WECHAT_TOKEN", _TOKEN, "令牌(Token)", "3–32 位英文字母或数字"),
                   app_id=_checked(env, "WECHAT_APP_ID", _APP_ID, "开发者ID(AppID)", "以 wx 开头的 18 位字母数字"),
                   app_secret=_checked(env, "WECHAT_APP_SECRET", _SECRET, "开发者密码(AppSecret)",
                                       "32 位英文字母或数字", show=False),
                   aes_key=_aes_key(env, "WECHAT_AES_KEY"),
                   previous_aes_key=_aes_key(env, "WECHAT_AES_KEY_PREVIOUS"),
                   public_url=_public_url(env.get("WECHAT_PUBLIC_URL", "")),
                   api_base_url=_api_base_url(env.get("WECHAT_API_BASE_URL", "")),
                   menu_links=flag_setting(env, "WECHAT_MENU_LINKS", True),
                   rate_limit_per_minute=integer_setting(env, "RATE_LIMIT_PER_MINUTE", 20, 0, 10_000))


def _checked(env: Mapping[str, str], name: str, pattern: re.Pattern, label: str, shape: str, show: bool = True) -> str:
    value = env.get(name, "")
    if not value:
        raise SettingsError(f"设置了 WECHAT_TOKEN 就必须同时设置 {name}：请填写{_WHERE}里的{label}。")
    if not pattern.fullmatch(value):
        shown = f"现在是：{value}" if show else "为安全起见，这里不显示您填写的内容"
        raise SettingsError(f"{name} 格式不对：{label}应为 {shape}（{shown}）。请从{_WHERE}复制。")
    return value


def _aes_key(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if value and not _AES_KEY.fullmatch(value):
        raise SettingsError(f"{name} 格式不对：消息加解密密钥(EncodingAESKey)应为 43 位英文字母或数字，"
                            f"现在是 {len(value)} 位（为安全起见，这里不显示内容）。请从{_WHERE}复制；"
                            "留空表示明文模式。")
    return value


def _public_url(value: str) -> str:
    if not value:
        raise SettingsError("设置了 WECHAT_TOKEN 就必须同时设置 WECHAT_PUBLIC_URL：本网页服务的公网地址，"
                            "例如 https://pufa.example.cn（微信服务器向它的 /wechat 推送消息，"
                            "表单和日历文件的链接也用它）。")
    parts = urlsplit(value)
    local = parts.hostname in ("127.0.0.1", "localhost")
    if parts.scheme not in (("https", "http") if local else ("https",)) or not parts.hostname \
            or parts.query or parts.fragment:
        raise SettingsError(f"WECHAT_PUBLIC_URL 必须是 https:// 开头的公网地址，例如 https://pufa.example.cn，"
                            f"现在是：{value}")
    return value.rstrip("/")


def _api_base_url(value: str) -> str:
    if not value:
        return DEFAULT_API
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"WECHAT_API_BASE_URL 不是有效的网址：{value}。"
                            f"应形如 {DEFAULT_API}（一般不用设置）。")
    return value if value.endswith("/") else value + "/"
