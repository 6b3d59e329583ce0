"""`python bot.py admin …` drives the same staff flows from the command line."""
import os
import sqlite3
import subprocess
import sys

from runtime.settings import REPO


def admin(data_dir, *args):
    env = {**os.environ, "KB_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "bot.py", "admin", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=120)


def test_create_list_export_and_backup(engine, kb_settings, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("kb.sqlite", "kb.manifest.json"):
        (data / name).write_bytes((kb_settings.data_dir / name).read_bytes())
    created = admin(data, "session-create", "--program", "family-education", "--start", "2026-12-20 14:00",
                    "--minutes", "90", "--venue", "浦东图书馆", "--street", "花木", "--audience", "家长",
                    "--capacity", "30", "--deadline", "2026-12-19 18:00")
    assert created.returncode == 0, created.stderr
    assert "/start lec_1" in created.stdout
    listed = admin(data, "sessions")
    assert "家庭教育指导讲座" in listed.stdout and "0/30" in listed.stdout
    exported = admin(data, "export", "--out", str(tmp_path / "out"))
    assert exported.returncode == 0 and (tmp_path / "out").is_dir()
    assert all(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in (tmp_path / "out").glob("*.csv"))
    backed = admin(data, "backup", str(tmp_path / "bk"))
    assert backed.returncode == 0
    copy = tmp_path / "bk" / "bookings.sqlite"
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert conn.execute("select count(*) from sessions").fetchone() == (1,)


def test_bad_input_is_explained(engine, kb_settings, tmp_path):
    result = admin(kb_settings.data_dir, "session-create", "--program", "nope")
    assert result.returncode == 1 and "--program" in result.stdout
    result = admin(kb_settings.data_dir, "approve", "PD-2026-0999")
    assert result.returncode == 1 and "未找到" in result.stdout
