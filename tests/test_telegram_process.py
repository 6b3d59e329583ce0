"""`python bot.py` with a token runs the real bot process against a Bot API server (here the fake one)."""
from __future__ import annotations

import asyncio
import os
import signal
import sys

from runtime.settings import REPO
from tests.fakebotapi import TOKEN
from tests.telegram_fixtures import TELEGRAM_TESTS, fake  # noqa: F401

pytestmark = TELEGRAM_TESTS


async def test_bot_py_runs_the_telegram_bot_and_stops_cleanly(fake, engine, kb_settings, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("kb.sqlite", "kb.manifest.json"):
        (data / name).write_bytes((kb_settings.data_dir / name).read_bytes())
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url,
           "TELEGRAM_ADMIN_IDS": "424242", "KB_DATA_DIR": str(data)}
    process = await asyncio.create_subprocess_exec(sys.executable, "bot.py", cwd=REPO, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await fake.wait_for("setMyCommands", since=0, timeout=30)
        mark = fake.mark()
        fake.push(fake.command("/start"))
        [reply] = await fake.wait_for("sendMessage", since=mark, timeout=15)
        assert "普法助手" in reply.text
        mark = fake.mark()
        fake.push(fake.text("未保法第75条"))
        [answer] = await fake.wait_for("sendMessage", since=mark, timeout=15)
        assert "二十二时至次日八时" in answer.text
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()[-2000:]
    logs = stderr.decode()
    assert "Application started" in logs and "long polling" in logs
    assert TOKEN not in logs  # the token never reaches the logs
