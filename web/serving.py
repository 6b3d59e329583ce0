"""Serving the app on a port with a header deadline: a client must send a request's line and headers within
HEADER_SECONDS of their first byte, so connections held open by trickling header bytes (slowloris) are cut off.

aiohttp has no such setting; its keep-alive timer only closes idle connections between requests. The request
handler below arms a timer when bytes arrive while no request is in progress, and closes the connection if no
complete request came by then. A request's body (at most 8 KB, 64 KB for WeChat) is not timed here.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

logger = logging.getLogger(__name__)

HEADER_SECONDS = 10.0


class _HeaderDeadline(RequestHandler):
    """aiohttp's request handler, with the header deadline."""

    _deadline: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        idle, count = self._current_request is None and not self._messages, self._request_count
        super().data_received(data)
        if self._request_count != count:
            self._disarm()
        elif idle and self._deadline is None and self.transport is not None:
            self._deadline = self._loop.call_later(HEADER_SECONDS, self._expire, count)

    def _expire(self, count: int) -> None:
        self._deadline = None
        if self._request_count == count and self.transport is not None:
            logger.info("closed a connection whose request headers took over %.0f s", HEADER_SECONDS)
            self.force_close()

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        return _HeaderDeadline(self, loop=self._loop, **self._kwargs)


class _Runner(web.AppRunner):
    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _Server  # the same server, making request handlers with the deadline
        return server


def serve(app: web.Application, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM (as web.run_app does), with the header deadline; cleanup runs at the end."""
    async def main() -> None:
        runner = _Runner(app, access_log=None, handle_signals=True)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            logger.info("serving on http://%s:%s", host, port)
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
    with contextlib.suppress(KeyboardInterrupt, web.GracefulExit):
        asyncio.run(main())
