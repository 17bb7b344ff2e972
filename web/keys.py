"""What the web application keeps for its handlers (aiohttp AppKeys): its own module, so
that web/api.py and web/pages.py import them at the top, and web/__init__.py, which
builds the application from them, imports those two."""

from __future__ import annotations

from aiohttp import web

from bot.pool import Pool
from bot.settings import Settings
from web.limits import RateLimit
from web.sessions import Sessions

POOL = web.AppKey("pool", Pool)
SETTINGS = web.AppKey("settings", Settings)
SESSIONS = web.AppKey("sessions", Sessions)
KEY_LIMIT = web.AppKey("key_limit", RateLimit)
ADDRESS_LIMIT = web.AppKey("address_limit", RateLimit)
