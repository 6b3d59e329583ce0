"""A secret key beside the databases, and the keyed hash that turns a web session id into a stored user key.

A browser's session id is its password: the databases (and their backups) keep only HMAC-SHA256(key, id), so
someone who reads a database or a backup cannot act as that browser. The key is made once, owner-only, in the data
folder (`web.key`), and is not copied into backups.

    key = data_key(data_dir)
    keyed_hash(key, session_id)   # 43 characters of URL-safe base64
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

KEY_FILE = "web.key"
KEY_BYTES = 32
RAW_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{32}")  # what the web page issued before ids were hashed


def data_key(data_dir: Path, name: str = KEY_FILE) -> bytes:
    """The data folder's secret key, made (owner-only, never overwritten) the first time it is asked for."""
    path = Path(data_dir) / name
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago
        return _read(path)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_hex(KEY_BYTES) + "\n")
    return _read(path)


def _read(path: Path) -> bytes:
    text = path.read_text().strip()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise ValueError(f"{path} is not a key made by this program; move it away and restart")
    return bytes.fromhex(text)


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256 of `value` under `key`, as 43 URL-safe characters."""
    digest = hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def rekey_web_users(conn, table_columns: list[tuple[str, str]]) -> None:
    """A migration step: user keys stored as "web:<raw session id>" by older code become "web:<keyed hash>"
    (the key beside the database file; made if missing)."""
    path = next(row["file"] for row in conn.execute("PRAGMA database_list") if row["name"] == "main")
    if not path:  # an in-memory database has no data folder and no old keys
        return
    key = None
    for table, column in table_columns:
        exists = conn.execute("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?",
                              [table]).fetchone()
        if not exists:
            continue
        old = [r[column] for r in conn.execute(f"SELECT DISTINCT {column} FROM {table} WHERE {column} LIKE 'web:%'")]
        for user in old:
            raw = user[len("web:"):]
            if RAW_SESSION_ID.fullmatch(raw):
                key = key or data_key(Path(path).parent)
                conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", [f"web:{keyed_hash(key, raw)}", user])
