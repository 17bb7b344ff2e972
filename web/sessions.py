"""Dashboard sessions: a signed cookie (itsdangerous, the signing key kept in the data
folder), HttpOnly and SameSite=Lax, Secure behind https, with a CSRF token that every
form must send back."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from aiohttp import web
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "shop_guard_session"
MAX_AGE = 12 * 3600


@dataclass(frozen=True)
class Session:
    account: str
    csrf: str


class Sessions:
    def __init__(self, key: bytes, secure: bool = False):
        self.serializer = URLSafeTimedSerializer(key, salt="dashboard-session")
        self.secure = secure

    def start(self, response: web.StreamResponse, account: str) -> Session:
        session = Session(account, secrets.token_urlsafe(24))
        response.set_cookie(
            COOKIE,
            self.serializer.dumps({"a": session.account, "c": session.csrf}),
            max_age=MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=self.secure,
            path="/",
        )
        return session

    def of(self, request: web.Request) -> Session | None:
        value = request.cookies.get(COOKIE)
        if not value or len(value) > 4096:
            return None
        try:
            data = self.serializer.loads(value, max_age=MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("a"), str) or not isinstance(data.get("c"), str):
            return None
        return Session(data["a"], data["c"])

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
    def end(response: web.StreamResponse) -> None:
        response.del_cookie(COOKIE, path="/")

    @staticmethod
    def csrf_ok(session: Session, sent: object) -> bool:
        return isinstance(sent, str) and hmac.compare_digest(session.csrf, sent)
