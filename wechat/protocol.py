"""WeChat's push protocol around wechatpy: signatures, the timestamp window, 安全模式 crypto, passive replies.

Every push carries `signature = sha1(sorted(token, timestamp, nonce))` in the query string; in 安全模式 it also
carries `encrypt_type=aes` and `msg_signature = sha1(sorted(token, timestamp, nonce, Encrypt))`, which covers the
encrypted body. A passive reply is one XML message (encrypted again in 安全模式), or `success` for nothing.
"""
from __future__ import annotations

import hmac
import time
from collections.abc import Mapping

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

WINDOW = 300          # seconds a push's timestamp may differ from our clock (WeChat documents none)
SUCCESS = "success"   # what WeChat wants when there is no passive reply


class Refused(Exception):
    """A push that is not from WeChat (or not readable): the HTTP status to answer with and why (for the log)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


TEXT_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Content", "Recognition", "Event",
               "EventKey", "bizmsgmenuid", "Title", "Description", "Url", "Label", "MediaId", "Format")  # read as text


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted, concatenated parts."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _same(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def check_request(token: str, query: Mapping[str, str], now: float | None = None, window: int = WINDOW) -> None:
    """The query signature is right and the timestamp recent; raise Refused(403) otherwise."""
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    if not timestamp or not nonce or not _same(sign(token, timestamp, nonce), query.get("signature")):
        raise Refused(403, "bad signature")
    if not (timestamp.isascii() and timestamp.isdigit()) or abs((time.time() if now is None else now) - int(timestamp)) > window:
        raise Refused(403, "stale timestamp")


class Codec:
    """Reads pushes and writes passive replies in the configured mode (明文 or 安全)."""

    def __init__(self, token: str, app_id: str, aes_key: str = "", previous_aes_key: str = ""):
        self.token = token
        keys = [k for k in (aes_key, previous_aes_key) if k]
        self.cryptos = [WeChatCrypto(token, key, app_id) for key in keys]

    @property
    def safe_mode(self) -> bool:
        return bool(self.cryptos)

    def open(self, body: bytes, query: Mapping[str, str]) -> tuple[str, WeChatCrypto | None]:
        """The push's plain XML and the crypto to encrypt the reply with (None in 明文模式)."""
        encrypted = query.get("encrypt_type", "raw") == "aes"
        if not self.safe_mode:
            if encrypted and b"<MsgType>" not in body:  # 安全模式 on WeChat's side, no key on ours
                raise Refused(400, "encrypted push but WECHAT_AES_KEY is not set")
            return body.decode("utf-8", "replace"), None  # 明文, or 兼容模式's plaintext fields
        if not encrypted:  # in 安全模式 the body must be covered by msg_signature
            raise Refused(400, "plaintext push but WECHAT_AES_KEY is set (安全模式)")
        try:
            encrypt = xmltodict.parse(body)["xml"]["Encrypt"]
        except Exception:  # not XML, entities (refused by xmltodict), no <Encrypt>
            raise Refused(400, "unreadable encrypted push") from None
        if not isinstance(encrypt, str) or not _same(sign(self.token, query["timestamp"], query["nonce"], encrypt),
                                                     query.get("msg_signature")):
            raise Refused(403, "bad msg_signature")
        for crypto in self.cryptos:  # the current EncodingAESKey, then the previous one
            try:
                xml = crypto.decrypt_message({"Encrypt": encrypt}, query["msg_signature"], query["timestamp"],
                                             query["nonce"])
                return xml, crypto
            except Exception:  # InvalidAppIdException, padding or base64 errors from a wrong key
                continue  # try the previous key
        raise Refused(400, "cannot decrypt (wrong EncodingAESKey or AppID)")

    @staticmethod
    def parse(xml: str):
        """wechatpy's message or event object; Refused(400) for anything unreadable."""
        try:
            message = parse_message(xml)
        except Exception:  # malformed XML, entities, no MsgType
            raise Refused(400, "unreadable push") from None
        if message is None or not getattr(message, "source", None):
            raise Refused(400, "push without sender")
        data = getattr(message, "_data", None) or {}
        if any(isinstance(data.get(name), (dict, list)) for name in TEXT_FIELDS):
            raise Refused(400, "unreadable push: a field holds elements, not text")  # <Content><a/></Content>
        return message

    @staticmethod
    def text_reply(message, content: str) -> str:
        """A passive text reply to `message` as plain XML (CDATA-safe)."""
        safe = content.replace("]]>", "]]]]><![CDATA[>")
        return TextReply(message=message, content=safe, time=int(time.time())).render()

    @staticmethod
    def seal(xml: str, crypto: WeChatCrypto | None, query: Mapping[str, str]) -> str:
        """Encrypt a reply in 安全模式 with the push's nonce; `success` and 明文 replies go as they are."""
        if crypto is None or xml == SUCCESS:
            return xml
        return crypto.encrypt_message(xml, query.get("nonce", ""), str(int(time.time())))
