"""When a request arrived: the web server's outermost middleware stamps it (loop time), and a channel answering
against a deadline (WeChat's 5 seconds) counts from there, not from when its handler got its turn."""
from aiohttp import web

ARRIVED = web.RequestKey("arrived", float)
