"""The WeChat channel's protocol against a stand-in WeChat over HTTP: handshake, signatures, timestamps,
明文 and 安全 modes, retries answered once, and a passive reply within 5 seconds for every kind of push."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time

import pytest

from tests.test_chat_flows import make_assistant
from tests.wechat_fixtures import running
from tests.wechat_standin import AES_KEY, APP_SECRET, TOKEN

pytestmark = pytest.mark.asyncio
MODES = pytest.mark.parametrize("aes_key", ["", AES_KEY], ids=["明文模式", "安全模式"])
OLD_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"


def openid(name: str) -> str:
    """A 28-character OpenID, distinct per test."""
    return "o" + hashlib.sha1(name.encode()).hexdigest()[:27]


@pytest.fixture(scope="module")
def assistant(engine, tmp_path_factory):
    helper = make_assistant(engine, tmp_path_factory.mktemp("wechat-protocol"))
    yield helper
    helper.close()


# ---- handshake and refusals ---------------------------------------------------------------------------------
@MODES
async def test_server_address_check_returns_echostr(assistant, aes_key):
    async with running(assistant, aes_key=aes_key) as bot:
        assert await bot.wx.handshake(bot.url) == (200, "7213541063410987654")


@MODES
async def test_forged_signatures_are_refused(assistant, aes_key, caplog):
    caplog.set_level(logging.WARNING)
    user = openid("forged")
    async with running(assistant, aes_key=aes_key) as bot:
        status, text = await bot.wx.handshake(bot.url, forge="signature")
        assert status == 403 and "7213541063410987654" not in text
        forged = await bot.send(bot.wx.text(user, "未保法第75条"), forge="signature", retry=False)
        assert forged.status == 403 and forged.reply is None
        if aes_key:
            wrong = await bot.send(bot.wx.text(user, "未保法第75条"), forge="msg_signature", retry=False)
            assert wrong.status == 403
            garbled = await bot.send(bot.wx.text(user, "未保法第75条"), forge="ciphertext", retry=False)
            assert garbled.status == 400
        async with bot.wx._session.post(bot.url, data=b"<xml/>") as response:  # no query at all
            assert response.status == 403
    assert assistant.state.get("wx:" + user) is None
    assert "refused a push to /wechat: bad signature" in caplog.text
    assert TOKEN not in caplog.text and APP_SECRET not in caplog.text and AES_KEY not in caplog.text


@MODES
async def test_stale_or_future_timestamps_are_refused(assistant, aes_key):
    user = openid("stale")
    async with running(assistant, aes_key=aes_key) as bot:
        old = int(time.time()) - 301
        assert (await bot.wx.handshake(bot.url, timestamp=old))[0] == 403
        assert (await bot.send(bot.wx.text(user, "你好"), timestamp=old, retry=False)).status == 403
        ahead = int(time.time()) + 400
        assert (await bot.send(bot.wx.text(user, "你好"), timestamp=ahead, retry=False)).status == 403
        recent = int(time.time()) - 100  # a few minutes of clock difference are fine
        assert (await bot.send(bot.wx.text(user, "你好"), timestamp=recent, retry=False)).status == 200


async def test_safe_mode_refuses_plaintext_and_plain_mode_refuses_ciphertext(assistant):
    user = openid("modes")
    async with running(assistant, aes_key=AES_KEY, wx_key="") as bot:  # WeChat still in 明文模式
        refused = await bot.send(bot.wx.text(user, "你好"), retry=False)
        assert refused.status == 400
    async with running(assistant, aes_key="", wx_key=AES_KEY) as bot:  # WeChat switched, the bot was not told
        refused = await bot.send(bot.wx.text(user, "你好"), retry=False)
        assert refused.status == 400


async def test_previous_aes_key_still_works_after_a_change(assistant):
    user = openid("rotation")
    async with running(assistant, aes_key=AES_KEY, previous_aes_key=OLD_KEY, wx_key=OLD_KEY) as bot:
        result = await bot.send(bot.wx.text(user, "未保法第75条"))
        assert result.status == 200 and "第七十五条" in result.content  # decrypted with the key WeChat used


@MODES
async def test_entities_and_garbage_are_refused(assistant, aes_key):
    async with running(assistant, aes_key=aes_key) as bot:
        evil = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                "<xml><ToUserName>gh</ToUserName><FromUserName>oX</FromUserName><CreateTime>1</CreateTime>"
                "<MsgType>text</MsgType><Content>&x;</Content><MsgId>1</MsgId></xml>")
        if not aes_key:
            query, _ = bot.wx.signed(bot.wx.text("oX", "x"))
            for body in (evil.encode(), b"not xml", b"\xff\xfe", b"<xml><MsgType>text</MsgType></xml>"):
                async with bot.wx._session.post(bot.url, params=query, data=body) as response:
                    assert response.status == 400, body
        else:
            result = await bot.send(evil, retry=False)  # the entity is inside the encrypted message
            assert result.status == 400
        query, _ = bot.wx.signed(bot.wx.text("oX", "x"))
        async with bot.wx._session.post(bot.url, params=query, data=b"x" * 70_000) as response:
            assert response.status == 413


@MODES
async def test_a_signed_push_whose_content_holds_elements_is_refused_not_a_crash(assistant, aes_key, caplog):
    async with running(assistant, aes_key=aes_key) as bot:
        xml = bot.wx.text(openid("nested"), "x").replace("<Content><![CDATA[x]]></Content>",
                                                         "<Content><a>孩子</a><b>打架</b></Content>")
        assert "<a>孩子</a>" in xml
        with caplog.at_level("ERROR"):
            result = await bot.send(xml, retry=False)
        assert result.status == 400 and not [r for r in caplog.records if r.levelname == "ERROR"]
        assert (await bot.send(bot.wx.text(openid("nested"), "未保法第75条"))).status == 200  # the next one is read


async def test_a_long_message_beyond_the_pages_8_kb_limit_is_read(assistant):
    async with running(assistant, aes_key=AES_KEY) as bot:
        long = "孩子在学校被同学欺负，老师不管，" * 200  # about 9.6 KB, 12.8 KB encrypted
        result = await bot.send(bot.wx.text(openid("long-question"), long))
        assert result.status == 200 and result.content


# ---- retries ------------------------------------------------------------------------------------------------
@MODES
async def test_the_same_message_delivered_three_times_is_answered_once(assistant, aes_key, monkeypatch):
    user = openid(f"triple{aes_key}")
    calls = []
    handle = assistant.handle
    monkeypatch.setattr(assistant, "handle", lambda event: calls.append(event) or handle(event))
    async with running(assistant, aes_key=aes_key) as bot:
        xml = bot.wx.text(user, "孩子在学校被欺负怎么办")
        results = [await bot.send(xml, retry=False) for _ in range(3)]  # WeChat re-signs each attempt
        assert [r.status for r in results] == [200, 200, 200]
        assert len(calls) == 1
        assert results[0].content and {r.content for r in results} == {results[0].content}
        await bot.wx.wait_sent(user, 1)
        await asyncio.sleep(1)
        assert len(bot.wx.sent_to(user)) == 1  # the rest of the answer went once, too
        again = await bot.send(bot.wx.text(user, "孩子在学校被欺负怎么办"), retry=False)  # a new MsgId
        assert again.content and len(calls) == 2


async def test_retries_while_the_first_attempt_is_still_thinking_are_not_answered_twice(assistant, monkeypatch):
    user = openid("retry-during")
    calls = []
    handle = assistant.handle

    def slow(event):
        calls.append(event)
        time.sleep(1.0)
        return handle(event)

    monkeypatch.setattr(assistant, "handle", slow)
    async with running(assistant) as bot:
        xml = bot.wx.text(user, "未保法第75条")
        first, second, third = await asyncio.gather(*(bot.send(xml, retry=False) for _ in range(3)))
        assert len(calls) == 1
        assert first.content and first.content == second.content == third.content


async def test_events_are_deduplicated_by_sender_and_create_time(assistant, monkeypatch):
    user = openid("event-dedupe")
    calls = []
    handle = assistant.handle
    monkeypatch.setattr(assistant, "handle", lambda event: calls.append(event) or handle(event))
    async with running(assistant) as bot:
        created = int(time.time())
        click = bot.wx.event(user, "CLICK", "cmd:hotline", create_time=created)
        for _ in range(3):
            assert (await bot.send(click, retry=False)).content
        assert len(calls) == 1
        await bot.send(bot.wx.event(user, "CLICK", "cmd:hotline", create_time=created + 1), retry=False)
        assert len(calls) == 2


# ---- five seconds ------------------------------------------------------------------------------------------------
async def test_every_kind_of_push_is_answered_within_five_seconds(assistant):
    user = openid("kinds")
    async with running(assistant, aes_key=AES_KEY) as bot:
        wx = bot.wx
        answered = {
            "text": wx.text(user, "孩子打游戏充了三千块能要回来吗"),
            "voice": wx.voice(user, "老师可以体罚学生吗？"),
            "voice without recognition": wx.voice(user, None),
            "image": wx.image(user),
            "location": wx.location(user),
            "link": wx.link(user),
            "video": wx.video(user),
            "shortvideo": wx.video(user, short=True),
            "unknown message type": wx._xml(user, "miniprogrampage", {"Title": "x"}),
            "subscribe": wx.event(user, "subscribe", ""),
            "subscribe by QR code": wx.event(openid("kinds-qr"), "subscribe", "qrscene_book"),
            "scan": wx.event(user, "SCAN", "lec_1"),
            "click": wx.click(user, "cmd:lectures"),
            "unknown click": wx.click(user, "nothing"),
        }
        silent = {
            "view": wx.event(user, "VIEW", "https://pufa.example.cn/"),
            "location report": wx.event(user, "LOCATION"),
            "template result": wx.event(user, "TEMPLATESENDJOBFINISH"),
            "unsubscribe": wx.event(openid("kinds-leaver"), "unsubscribe"),
        }
        for name, xml in answered.items():
            result = await bot.send(xml)
            assert result.status == 200 and result.attempts == 1 and result.seconds < 5, name
            assert result.content.strip(), name
        for name, xml in silent.items():
            result = await bot.send(xml)
            assert result.status == 200 and result.seconds < 5 and result.body == "success", name


async def test_a_slow_answer_gets_success_in_time_and_follows_as_a_customer_service_message(assistant, monkeypatch):
    user = openid("slow")
    handle = assistant.handle

    def slow(event):
        time.sleep(4.6)  # longer than the 4-second budget
        return handle(event)

    monkeypatch.setattr(assistant, "handle", slow)
    async with running(assistant, aes_key=AES_KEY) as bot:
        result = await bot.send(bot.wx.text(user, "未保法第75条"))
        assert result.status == 200 and result.attempts == 1 and result.seconds < 5
        assert result.body == "success"  # not XML with an empty Content, which WeChat shows as an error
        sent = await bot.wx.wait_sent(user, 1, timeout=8)
        assert "第七十五条" in sent[0]
