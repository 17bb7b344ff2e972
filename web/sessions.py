"""Dashboard sessions: a signed cookie (itsdangerous, the signing key kept in the data
folder), HttpOnly and SameSite=Lax, Secure behind https, with a CSRF token that every
form must send back. The cookie names a session row (bot/trust/access.py): logging out
ends the row, so the same cookie, kept or copied, opens nothing afterwards."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.trust.access import SESSION_HOURS, Access

COOKIE = "shop_guard_session"
MAX_AGE = SESSION_HOURS * 3600


@dataclass(frozen=True)
class Session:
    account: str
    csrf: str
    token: str  # the session row's secret: what logging out ends
    # A 版主 sees the 版主's pages in the menu; nobody else is shown a door that answers 403.
    moderator: bool = False


class Sessions:
    def __init__(
        self,
        key: bytes,
        access: Access,
        secure: bool = False,
        is_moderator: Callable[[str], Awaitable[bool]] | None = None,
    ):
        self.serializer = URLSafeTimedSerializer(key, salt="dashboard-session")
        self.access = access
        self.is_moderator = is_moderator
        self.secure = secure

    async def start(self, response: web.StreamResponse, account: str) -> Session:
        session = Session(account, secrets.token_urlsafe(24), await self.access.start_session(account))
        response.set_cookie(
            COOKIE,
            self.serializer.dumps({"s": session.token, "c": session.csrf}),
            max_age=MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=self.secure,
            path="/",
        )
        return session

    async def of(self, request: web.Request) -> Session | None:
        value = request.cookies.get(COOKIE)
        if not value or len(value) > 4096:
            return None
        try:
            data = self.serializer.loads(value, max_age=MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), str) or not isinstance(data.get("c"), str):
            return None
        account = await self.access.session_account(data["s"])
        if account is None:
            return None
        moderator = self.is_moderator is not None and await self.is_moderator(account)
        return Session(account, data["c"], data["s"], moderator)

    async def end(self, response: web.StreamResponse, session: Session) -> None:
        await self.access.end_session(session.token)
        response.del_cookie(COOKIE, path="/")

    def form_token(self) -> str:
        """For a form that needs no login (the public appeal): a signed, dated token the
        form sends back, so that another site cannot post it on a visitor's behalf."""
        return self.serializer.dumps(secrets.token_urlsafe(8), salt="form")

    def form_token_ok(self, sent: object) -> bool:
        if not isinstance(sent, str) or len(sent) > 200:
            return False
        try:
            self.serializer.loads(sent, salt="form", max_age=3600)
        except BadSignature:
            return False
        return True

    @staticmethod
    def csrf_ok(session: Session, sent: object) -> bool:
        return isinstance(sent, str) and hmac.compare_digest(session.csrf, sent)
