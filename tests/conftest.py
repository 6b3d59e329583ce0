"""Shared fixtures: one knowledge base built per test session from the real content/ and statutes."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from knowledge.config import KnowledgeSettings
from runtime.settings import REPO

SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"


def make_settings(data_dir: Path, content_dir: Path | None = None, statutes: Path | None | str = "default") -> KnowledgeSettings:
    """Settings pointing at a private data folder; statutes default to the shared corpus when present."""
    return KnowledgeSettings(content_dir=content_dir or REPO / "content", data_dir=data_dir,
                             statutes_dir=(CORPUS if CORPUS.is_dir() else None) if statutes == "default" else statutes,
                             laws_db=None)


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory) -> KnowledgeSettings:
    return make_settings(tmp_path_factory.mktemp("kb"))


@pytest.fixture(scope="session")
def engine(kb_settings):
    from knowledge.engine import Engine

    return Engine.open(kb_settings)


@pytest.fixture
def bot(engine, tmp_path):
    """An Assistant over the shared engine with fresh chat and booking databases (see tests/chat_fixtures.py)."""
    from tests.chat_fixtures import make_assistant

    assistant = make_assistant(engine, tmp_path)
    yield assistant
    assistant.close()


@pytest.fixture
def tmp_content(tmp_path) -> Path:
    """A private copy of content/ that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(REPO / "content", target)
    return target


@pytest.fixture(autouse=True, scope="session")
def _no_real_env():
    """Tests never read a developer's .env or talk to Telegram."""
    os.environ.pop("TELEGRAM_BOT_TOKEN", None)
    yield
