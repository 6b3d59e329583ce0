"""The WeChat channel's parts on their own: settings, signatures, reply XML, rendering and splitting, the token."""
from __future__ import annotations

import asyncio
import time

import pytest
import xmltodict
from wechatpy import parse_message

from chat.types import Attachment, Button, Reply
from runtime.settings import SettingsError
from tests.wechat_standin import AES_KEY, APP_ID, APP_SECRET, TOKEN, StandInWeChat, sign
from wechat.api import WeChatApi, WeChatApiError
from wechat.protocol import Codec, Refused, check_request
from wechat.render import Choices, Renderer, pack, size
from wechat.settings import DEFAULT_API, WeChatSettings

GOOD = {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_PUBLIC_URL": "https://pufa.example.cn/"}


# ---- settings -----------------------------------------------------------------------------------------------
def test_without_a_token_the_channel_is_off():
    assert WeChatSettings.from_env({}) is None


def test_good_settings_and_defaults():
    settings = WeChatSettings.from_env(GOOD)
    assert settings.public_url == "https://pufa.example.cn" and settings.api_base_url == DEFAULT_API
    assert not settings.safe_mode and settings.menu_links
    safe = WeChatSettings.from_env({**GOOD, "WECHAT_AES_KEY": AES_KEY, "WECHAT_MENU_LINKS": "0",
                                    "WECHAT_API_BASE_URL": "http://127.0.0.1:9/cgi-bin"})
    assert safe.safe_mode and not safe.menu_links and safe.api_base_url == "http://127.0.0.1:9/cgi-bin/"
    assert APP_SECRET not in repr(safe) and AES_KEY not in repr(safe) and TOKEN not in repr(safe)


@pytest.mark.parametrize("change, words", [
    ({"WECHAT_APP_ID": ""}, "WECHAT_APP_ID"),
    ({"WECHAT_APP_ID": "gh_123"}, "以 wx 开头"),
    ({"WECHAT_APP_SECRET": ""}, "开发者密码"),
    ({"WECHAT_TOKEN": "ab"}, "3–32"),
    ({"WECHAT_AES_KEY": AES_KEY[:42]}, "43 位"),
    ({"WECHAT_AES_KEY": AES_KEY + "x"}, "43 位"),
    ({"WECHAT_AES_KEY_PREVIOUS": "short"}, "WECHAT_AES_KEY_PREVIOUS"),
    ({"WECHAT_PUBLIC_URL": ""}, "WECHAT_PUBLIC_URL"),
    ({"WECHAT_PUBLIC_URL": "http://pufa.example.cn"}, "https://"),
    ({"WECHAT_API_BASE_URL": "api.weixin.qq.com"}, "WECHAT_API_BASE_URL"),
    ({"WECHAT_MENU_LINKS": "maybe"}, "WECHAT_MENU_LINKS"),
])
def test_bad_settings_are_named_in_chinese_without_showing_secrets(change, words):
    with pytest.raises(SettingsError, match=words) as error:
        WeChatSettings.from_env({**GOOD, **change})
    secret = change.get("WECHAT_APP_SECRET") or change.get("WECHAT_AES_KEY") or change.get("WECHAT_AES_KEY_PREVIOUS")
    assert not secret or secret not in str(error.value)


def test_a_wrong_secret_is_not_echoed():
    with pytest.raises(SettingsError) as error:
        WeChatSettings.from_env({**GOOD, "WECHAT_APP_SECRET": "my-secret-with-dashes-0123456789"})
    assert "my-secret" not in str(error.value)


# ---- signatures and reply XML -------------------------------------------------------------------------------------
def test_the_official_signature_example():
    assert sign("AAAAA", "1714036504", "1514711492").startswith("f464b24f")
    check_request("AAAAA", {"signature": sign("AAAAA", "1714036504", "1514711492"), "timestamp": "1714036504",
                            "nonce": "1514711492"}, now=1714036504 + 299)
    with pytest.raises(Refused, match="stale"):
        check_request("AAAAA", {"signature": sign("AAAAA", "1714036504", "1514711492"), "timestamp": "1714036504",
                                "nonce": "1514711492"}, now=1714036504 + 301)
    with pytest.raises(Refused, match="signature"):
        check_request("AAAAA", {"signature": "", "timestamp": "1714036504", "nonce": "1514711492"}, now=1714036504)


def test_a_reply_survives_cdata_terminators_and_is_encrypted_in_safe_mode():
    wx = StandInWeChat(aes_key=AES_KEY)
    message = Codec.parse(wx.text("oUser", "x"))
    text = "第一行]]>第二行 <a href=\"weixin://bizmsgmenu?msgmenucontent=是&msgmenuid=1\">是</a>"
    plain = Codec.text_reply(message, text)
    assert parse_message(plain).content == text
    codec = Codec(TOKEN, APP_ID, AES_KEY)
    sealed = codec.seal(plain, codec.cryptos[0], {"nonce": "42"})
    outer = xmltodict.parse(sealed)["xml"]
    assert outer["MsgSignature"] == sign(TOKEN, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
    assert parse_message(wx.crypto.decrypt_message(sealed, outer["MsgSignature"], outer["TimeStamp"],
                                                   outer["Nonce"])).content == text
    assert codec.seal("success", codec.cryptos[0], {"nonce": "42"}) == "success"


# ---- rendering -----------------------------------------------------------------------------------------------------
def test_buttons_become_numbered_links_and_cancel_stays_unnumbered():
    choices = Choices()
    reply = Reply("请选择身份：", [[Button("家长", "lec:pick:role:0"), Button("学生", "lec:pick:role:1")],
                                 [Button("取消", "lec:cancel")]])
    [text] = Renderer().render([reply], choices)
    assert '1. <a href="weixin://bizmsgmenu?msgmenucontent=家长&msgmenuid=1">家长</a>' in text
    assert '<a href="weixin://bizmsgmenu?msgmenucontent=取消&msgmenuid=3">取消</a>' in text
    assert "3. " not in text
    assert choices.button_for("2") == "lec:pick:role:1"
    assert choices.button_for("3") is None            # a typed 3 is text (e.g. a head count)
    assert choices.button_for("取消") == "lec:cancel"  # typed like the label
    assert choices.button_for("whatever", "1") == "lec:pick:role:0"  # a tap carries its id
    later = Choices.loads(choices.dumps())
    Renderer().render([Reply("下一步", [[Button("👍 有帮助", "fb:up:1")]])], later)
    assert later.button_for("x", "2") == "lec:pick:role:1"  # an older message's link still works
    assert later.button_for("2") is None and later.button_for("👍有帮助") == "fb:up:1"
    assert Choices.loads("not json").numbers == []


def test_numbers_only_without_links():
    [text] = Renderer(links=False).render([Reply("选：", [[Button("是", "x:pick:a:0")], [Button("跳过", "x:skip")]])],
                                          Choices())
    assert "[1] 是" in text and "（回复「跳过」）" in text and "<a" not in text


def test_long_text_is_split_by_utf8_bytes_at_paragraphs_and_never_inside_a_link():
    paragraphs = [f"第{i}段：" + "未成年人保护" * 40 for i in range(8)]
    buttons = [[Button(f"查看原文：第{i}条", f"art:0:{i}")] for i in range(30)]
    parts = Renderer(part_bytes=2000).render([Reply("\n\n".join(paragraphs), buttons)], Choices())
    assert len(parts) > 2 and all(size(p) <= 2000 for p in parts)
    joined = "\n".join(parts)
    assert all(p in joined for p in paragraphs)
    assert sum(part.count("<a ") for part in parts) == 30 == sum(part.count("</a>") for part in parts)
    assert all(part.count("<a ") == part.count("</a>") for part in parts)
    assert pack(["字" * 1000], 2000) == ["字" * 666, "字" * 334]  # a hard cut at a character boundary


def test_files_become_a_line_with_a_link():
    renderer = Renderer(file_line=lambda a: f"📅 {a.filename}")
    [text] = renderer.render([Reply("报名成功", attachment=Attachment("JZ-2026-0001.ics", b"x", "text/calendar"))],
                             Choices())
    assert text == "报名成功\n\n📅 JZ-2026-0001.ics"


# ---- the access token --------------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_one_token_for_concurrent_callers_refreshed_before_it_expires():
    wx = StandInWeChat()
    await wx.start()
    now = [time.time()]
    api = WeChatApi(wx.api_base_url, APP_ID, APP_SECRET, clock=lambda: now[0])
    try:
        await asyncio.gather(*(api.send_text("oUser", f"消息{i}") for i in range(5)))
        assert wx.tokens_issued == 1 and len(wx.sent) == 5
        now[0] += 7200 - 299  # within 5 minutes of expiry: replaced before use
        await api.send_text("oUser", "again")
        assert wx.tokens_issued == 2
        wx.expire_tokens()
        await asyncio.gather(*(api.send_text("oUser", f"过期{i}") for i in range(3)))
        assert wx.tokens_issued == 3  # one refresh for all callers refused with 42001
        wx.fail_next = [45047]
        with pytest.raises(WeChatApiError) as error:
            await api.send_text("oUser", "quota")
        assert error.value.code == 45047 and "用完" in str(error.value)
        wx.secret = "f" * 32
        wx.expire_tokens()
        with pytest.raises(WeChatApiError, match="40125"):
            await api.send_text("oUser", "bad secret")
        assert wx.calls.count("custom/send") == 5 + 1 + 3 + 3 + 1 + 1
    finally:
        await api.close()
        await wx.close()

