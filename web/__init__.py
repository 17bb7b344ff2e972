"""The second front door (DESIGN.md §6): an HTTP API for shop systems and a dashboard for
merchants and 版主. It imports the core, never NoneBot, and reaches chat only through
the outbox, as the plugins do.

The same aiohttp application runs inside the bot process (plugins/web starts and stops
it; NoneBot's ~aiohttp driver serves no HTTP itself) or alone with `python -m bot web`
where several processes share PostgreSQL.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from bot.pool import Pool
from bot.settings import Settings
from bot.trust.access import load_or_create_signing_key
from web.api import api_errors, api_routes
from web.keys import ADDRESS_LIMIT, KEY_LIMIT, POOL, SESSIONS, SETTINGS
from web.limits import BODY_MAX, RateLimit, body_limits
from web.pages import page_errors, page_routes
from web.robot_pages import robot_routes
from web.sessions import Sessions

log = logging.getLogger(__name__)


def create_app(pool: Pool, settings: Settings, data_dir: Path) -> web.Application:
    # Each route's body limit is checked before its body is read (web/limits.py); the
    # refusals are JSON under /api/ and a page elsewhere.
    app = web.Application(client_max_size=BODY_MAX, middlewares=[api_errors, page_errors, body_limits])
    app[POOL] = pool
    app[SETTINGS] = settings
    app[SESSIONS] = Sessions(
        load_or_create_signing_key(data_dir),
        pool.access,
        secure=settings.public_url.startswith("https:"),
        is_moderator=pool.moderation.is_moderator,
    )
    app[KEY_LIMIT] = RateLimit(settings.api_calls_per_minute, 60, pool.access)
    app[ADDRESS_LIMIT] = RateLimit(settings.web_appeals_per_hour, 3600, pool.access)
    app.add_routes(api_routes())
    app.add_routes(page_routes())
    app.add_routes(robot_routes())
    return app


class WebServer:
    """The application on a port, started and stopped with the process that hosts it."""

    def __init__(self, app: web.Application, host: str, port: int):
        self.app = app
        self.host = host
        self.port = port
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, self.host, self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
