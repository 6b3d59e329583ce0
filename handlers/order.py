"""Updates of different users are handled concurrently; each user's updates one at a time, in the order they came.

python-telegram-bot runs updates one after another by default, so one slow request (a big export, a backup, a
slow disk) would stall every user. `PerUserOrder` lets updates of different users overlap (the Assistant itself runs
on worker threads, see handlers.callbacks) while a user's own messages and button presses keep their order: a form
answer never overtakes the question before it.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from runtime.turns import Turns

CONCURRENT_UPDATES = 32  # updates in progress at once, across users


class PerUserOrder(BaseUpdateProcessor):
    """Concurrent across users, sequential per user (updates without a user run on their own)."""

    def __init__(self, max_concurrent_updates: int = CONCURRENT_UPDATES):
        # PTB's own semaphore only bounds waiting tasks; ours bounds the work, taken after the user's turn came,
        # so a user with many queued updates never holds slots that other users could use.
        super().__init__(max(256, max_concurrent_updates * 8))
        self._working = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._turns = Turns()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _user_of(update)
        if key is None:
            async with self._working:
                await coroutine
            return
        async with self._turns.turn(key), self._working:
            await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _user_of(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None
