"""The engine the running bot answers with, replaced whole after a rebuild: no restart, no dropped question.

Every flow holds one LiveEngine; each attribute read goes to the engine current at that moment, and a swap is one
reference assignment, so a question being answered finishes on the engine it started with (Python keeps that engine
alive while it runs) and the next question gets the new one. Rebuilds run on one background thread at a time; one
asked for during a rebuild runs right after it, so the last published change is always the one built. A process
that does not publish (the Telegram bot beside the web desk) follows the file the other one built (`follow`).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine
from knowledge.manifest import read_manifest, source_fingerprint

logger = logging.getLogger(__name__)


@dataclass
class RebuildStatus:
    running: bool = False
    done: int = 0          # rebuilds finished and swapped in
    error: str = ""        # why the last rebuild failed ("" when it did not)
    finished_at: float = 0.0


class LiveEngine:
    """A stable handle on the current Engine; `rebuild()` builds from content plus desk changes and swaps."""

    def __init__(self, engine: Engine, settings: KnowledgeSettings | None = None):
        self._engine = engine
        self.settings = settings or getattr(engine, "settings", None)
        self.status = RebuildStatus()
        self._lock = threading.Lock()
        self._again = False
        self._idle = threading.Event()
        self._idle.set()
        self._stopped = threading.Event()

    @classmethod
    def open(cls, settings: KnowledgeSettings) -> "LiveEngine":
        return cls(Engine.open(settings), settings)

    def __getattr__(self, name: str):
        return getattr(self._engine, name)

    @property
    def current(self) -> Engine:
        return self._engine

    def swap(self, engine: Engine) -> None:
        self._engine = engine

    def rebuild(self) -> None:
        """Start a rebuild in the background (or, if one is running, another one right after it)."""
        with self._lock:
            if self.status.running:
                self._again = True
                return
            self.status.running, self._again = True, False
            self._idle.clear()
        threading.Thread(target=self._run, name="kb-rebuild", daemon=True).start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no rebuild is running (for the command line and tests)."""
        return self._idle.wait(timeout)

    def follow(self, every: float = 30.0) -> None:
        """Also take up a knowledge base another process built (the web desk published a change): checked every
        `every` seconds, loaded only when it is built from the current sources and differs from the one in use."""
        def watch() -> None:
            while not self._stopped.wait(every):
                try:
                    if self.built_elsewhere():
                        self.swap(Engine.open(self.settings))
                except Exception:  # keep answering with what we have; try again next time
                    logger.exception("could not take up the rebuilt knowledge base")
        threading.Thread(target=watch, name="kb-follow", daemon=True).start()

    def built_elsewhere(self) -> bool:
        if self.settings is None or self.status.running:
            return False
        on_disk = (read_manifest(self.settings.kb_path) or {}).get("fingerprint")
        mine = self._engine.kb.manifest.get("fingerprint")
        return bool(on_disk) and on_disk != mine and on_disk == source_fingerprint(self.settings)

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while True:
            try:
                self.swap(Engine.open(self.settings))  # builds: the desk's changes altered the fingerprint
                self.status.error, self.status.done = "", self.status.done + 1
            except Exception as exc:  # the old engine keeps answering; the desk shows why
                logger.exception("knowledge base rebuild failed")
                self.status.error = str(exc)
            with self._lock:
                self.status.finished_at = time.time()
                if not self._again:
                    self.status.running = False
                    self._idle.set()
                    return
                self._again = False
