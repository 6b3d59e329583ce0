"""TelegramSettings.from_env: defaults, parsing, and a clear Chinese message for each wrong value."""
from __future__ import annotations

import pytest

from handlers.settings import TelegramSettings
from runtime.settings import SettingsError

TOKEN = "123456789:AAE-abc_DEF"


def settings(**env: str) -> TelegramSettings:
    return TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, **env})


def test_defaults():
    s = settings()
    assert (s.api_base_url, s.proxy, s.admin_ids, s.webhook_url) == (None, None, frozenset(), None)
    assert (s.webhook_listen, s.webhook_port, s.rate_limit_per_minute) == ("127.0.0.1", 8443, 20)


def test_values_are_parsed():
    s = settings(TELEGRAM_API_BASE_URL="http://127.0.0.1:8081/bot", TELEGRAM_PROXY="http://127.0.0.1:7890",
                 TELEGRAM_ADMIN_IDS=" 12345, 67890,", TELEGRAM_WEBHOOK_URL="https://bot.example.org/tg/hook",
                 TELEGRAM_WEBHOOK_SECRET="Abc_123-x", TELEGRAM_WEBHOOK_LISTEN="0.0.0.0",
                 TELEGRAM_WEBHOOK_PORT="8080", RATE_LIMIT_PER_MINUTE="0")
    assert s.admin_ids == {12345, 67890}
    assert (s.webhook_path, s.webhook_port, s.webhook_listen, s.rate_limit_per_minute) == ("tg/hook", 8080, "0.0.0.0", 0)
    assert s.api_base_url == "http://127.0.0.1:8081/bot" and s.proxy == "http://127.0.0.1:7890"


def test_chinese_comma_between_admin_ids_is_accepted():
    assert settings(TELEGRAM_ADMIN_IDS="1，2").admin_ids == {1, 2}


def test_admin_keys_are_the_assistants_user_keys():
    assert settings(TELEGRAM_ADMIN_IDS="67890,12345").admin_keys == ("tg:12345", "tg:67890")


def test_the_token_never_shows_in_repr_or_errors():
    assert TOKEN not in repr(settings(TELEGRAM_WEBHOOK_URL="https://x.org/h", TELEGRAM_WEBHOOK_SECRET="s"))
    with pytest.raises(SettingsError) as caught:
        TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": "123456789 secret-ish"})
    assert "secret-ish" not in str(caught.value)


@pytest.mark.parametrize("env,words", [
    ({"TELEGRAM_BOT_TOKEN": ""}, ["TELEGRAM_BOT_TOKEN", "没有设置"]),
    ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, ["TELEGRAM_BOT_TOKEN", "格式不对"]),
    ({"TELEGRAM_BOT_TOKEN": "123:abc:def"}, ["格式不对"]),
    ({"TELEGRAM_ADMIN_IDS": "12345,张老师"}, ["TELEGRAM_ADMIN_IDS", "张老师", "不是数字"]),
    ({"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook"}, ["TELEGRAM_WEBHOOK_SECRET", "必须"]),
    ({"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook", "TELEGRAM_WEBHOOK_SECRET": "有中文"},
     ["TELEGRAM_WEBHOOK_SECRET", "1–256"]),
    ({"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook", "TELEGRAM_WEBHOOK_SECRET": "x" * 257}, ["1–256"]),
    ({"TELEGRAM_WEBHOOK_URL": "http://bot.example.org/hook", "TELEGRAM_WEBHOOK_SECRET": "s"}, ["https://"]),
    ({"TELEGRAM_WEBHOOK_PORT": "八四四三"}, ["TELEGRAM_WEBHOOK_PORT", "整数"]),
    ({"TELEGRAM_WEBHOOK_PORT": "70000"}, ["TELEGRAM_WEBHOOK_PORT", "65535"]),
    ({"RATE_LIMIT_PER_MINUTE": "-1"}, ["RATE_LIMIT_PER_MINUTE", "整数"]),
    ({"TELEGRAM_API_BASE_URL": "127.0.0.1:8081"}, ["TELEGRAM_API_BASE_URL", "/bot"]),
    ({"TELEGRAM_PROXY": "ftp://proxy"}, ["TELEGRAM_PROXY", "socks5://"]),
])
def test_wrong_settings_are_explained_in_chinese(env, words):
    with pytest.raises(SettingsError) as caught:
        settings(**env)
    assert all(word in str(caught.value) for word in words), str(caught.value)


def test_a_webhook_over_plain_http_is_allowed_only_for_a_local_bot_api_server():
    s = settings(TELEGRAM_API_BASE_URL="http://127.0.0.1:8081/bot", TELEGRAM_WEBHOOK_URL="http://10.0.0.2:8443/hook",
                 TELEGRAM_WEBHOOK_SECRET="s")
    assert s.webhook_url == "http://10.0.0.2:8443/hook"


def test_socks_proxy_needs_its_extra(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SettingsError, match=r"python-telegram-bot\[socks\]"):
        settings(TELEGRAM_PROXY="socks5://127.0.0.1:1080")


def test_from_env_reads_the_process_environment(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_ADMIN_IDS", "7")
    assert TelegramSettings.from_env().admin_ids == {7}


def test_staff_alerts_from_the_web_page_only_go_where_a_channel_delivers_them():
    from handlers.settings import admin_keys_from_env

    assert admin_keys_from_env({"TELEGRAM_ADMIN_IDS": "2002"}) == ()  # no bot: nobody would ever send them
    assert admin_keys_from_env({"TELEGRAM_ADMIN_IDS": "2002", "TELEGRAM_BOT_TOKEN": "1:x"}) == ("tg:2002",)
