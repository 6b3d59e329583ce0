"""WEB_* settings: defaults, checks with Chinese messages, and the parts of the channel that need no server."""
import pytest

from chat.types import Attachment
from runtime.settings import SettingsError
from web.sessions import AttachmentStore, new_token, well_formed
from web.settings import WebSettings


def test_defaults_listen_locally_with_limits_on():
    settings = WebSettings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.rate_limit_per_minute == 20 and settings.ip_rate_limit_per_minute == 120
    assert not settings.trust_proxy and not settings.cookie_secure


def test_values_are_read_and_trimmed():
    settings = WebSettings.from_env({"WEB_HOST": " 0.0.0.0 ", "WEB_PORT": "9000", "WEB_RATE_LIMIT_PER_MINUTE": "0",
                                     "WEB_IP_RATE_LIMIT_PER_MINUTE": "600", "WEB_TRUST_PROXY": "1",
                                     "WEB_COOKIE_SECURE": "true"})
    assert settings == WebSettings("0.0.0.0", 9000, 0, 600, True, True, public_url="http://0.0.0.0:9000")


def test_the_desk_settings():
    settings = WebSettings.from_env({"WEB_PUBLIC_URL": "https://pufa.example.cn/", "TELEGRAM_BOT_USERNAME": "@pd_pufa_bot",
                                     "WEB_STAFF_IDLE_MINUTES": "45"})
    assert (settings.public_url, settings.bot_username, settings.staff_idle_minutes) == \
        ("https://pufa.example.cn", "pd_pufa_bot", 45)
    for bad in ({"WEB_PUBLIC_URL": "pufa.example.cn"}, {"TELEGRAM_BOT_USERNAME": "a b"},
                {"WEB_STAFF_IDLE_MINUTES": "1"}):
        with pytest.raises(SettingsError):
            WebSettings.from_env(bad)


@pytest.mark.parametrize("name, value", [("WEB_PORT", "0"), ("WEB_PORT", "http"), ("WEB_PORT", "70000"),
                                         ("WEB_RATE_LIMIT_PER_MINUTE", "-1"), ("WEB_TRUST_PROXY", "maybe"),
                                         ("WEB_COOKIE_SECURE", "是")])
def test_bad_values_name_the_setting_in_chinese(name, value):
    with pytest.raises(SettingsError, match=name) as caught:
        WebSettings.from_env({name: value})
    assert "必须" in str(caught.value) or "只能" in str(caught.value)


def test_session_tokens_are_random_and_checked():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(well_formed(t) for t in tokens)
    assert not any(well_formed(t) for t in ("", None, "short", "a" * 31 + "!", "a" * 33, "../../etc/passwd"))


def test_attachments_expire_and_stay_with_their_session():
    now = [0.0]
    store = AttachmentStore(minutes=1, per_user=2, clock=lambda: now[0])
    files = [store.put("web:a", Attachment(f"{i}.ics", b"x", "text/calendar")) for i in range(3)]
    assert store.get("web:a", files[0]) is None  # only the newest two are kept per session
    assert store.get("web:a", files[2]).filename == "2.ics"
    assert store.get("web:b", files[2]) is None
    now[0] = 61
    assert store.get("web:a", files[2]) is None
