"""Kill the process (SIGKILL) in the middle of a burst of sign-ups: nothing confirmed to a user is lost."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

from runtime.settings import REPO


def test_sigkill_during_sign_ups_loses_nothing_confirmed(engine, kb_settings, tmp_path):
    worker = subprocess.Popen([sys.executable, "-m", "tests.crash_worker", str(tmp_path), str(kb_settings.data_dir)],
                              cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    told = []
    assert worker.stdout.readline().strip() == "READY"
    deadline = time.monotonic() + 60
    while len(told) < 40 and time.monotonic() < deadline:
        told.append(worker.stdout.readline().strip())
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    told += [line.strip() for line in worker.stdout.read().splitlines() if line.startswith("JZ-")]
    assert len(told) >= 40
    with sqlite3.connect(tmp_path / "bookings.sqlite") as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        stored = {ref for ref, in conn.execute("select ref from registrations where status = 'confirmed'")}
        duplicates = conn.execute("select count(*) - count(distinct ref) from registrations").fetchone()[0]
    assert set(told) <= stored, f"confirmed to users but missing: {sorted(set(told) - stored)[:5]}"
    assert duplicates == 0
