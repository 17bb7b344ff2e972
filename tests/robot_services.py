"""企业微信, 钉钉 and 飞书 group robots played by a local HTTP server that answers as the
real services do: their paths and tokens, their signatures (checked here from the
services' documented recipes, not from bot/messaging/robots.py), their keyword rule,
their size limits, and on demand their rate-limit and error answers or a hang."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from aiohttp import web

TOKEN = "tok3n5ecret0123456789"


@dataclass
class Received:
    kind: str
    body: dict[str, Any]
    query: dict[str, str]

    @property
    def text(self) -> str:
        if self.kind == "飞书":
            return str(self.body.get("content", {}).get("text", ""))
        return str(self.body.get("text", {}).get("content", ""))


@dataclass
class RobotService:
    """One server that plays all three services (each on its own path)."""

    secret: str | None = None
    keyword: str | None = None
    # Answers to give instead of the service's own, in order: a dict (JSON), an int (an
    # HTTP status), "hang" (answer after `hang_seconds`), or None (answer as the service).
    answers: list[Any] = field(default_factory=list)
    hang_seconds: float = 3.0
    received: list[Received] = field(default_factory=list)
    requests: int = 0
    runner: web.AppRunner | None = None
    port: int = 0

    async def start(self) -> RobotService:
        app = web.Application()
        app.router.add_post("/cgi-bin/webhook/send", self._wecom)
        app.router.add_post("/robot/send", self._dingtalk)
        app.router.add_post("/open-apis/bot/v2/hook/{token}", self._feishu)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def address(self, kind: str) -> str:
        base = f"http://127.0.0.1:{self.port}"
        return {
            "企业微信": f"{base}/cgi-bin/webhook/send?key={TOKEN}",
            "钉钉": f"{base}/robot/send?access_token={TOKEN}",
            "飞书": f"{base}/open-apis/bot/v2/hook/{TOKEN}",
        }[kind]

    async def _scripted(self) -> web.Response | None:
        self.requests += 1
        if not self.answers:
            return None
        answer = self.answers.pop(0)
        if answer is None:
            return None
        if answer == "hang":
            await asyncio.sleep(self.hang_seconds)
            return web.json_response({"errcode": 0, "errmsg": "ok"})
        if isinstance(answer, int):
            return web.Response(status=answer, text="busy")
        return web.json_response(answer)

    async def _wecom(self, request: web.Request) -> web.Response:
        scripted = await self._scripted()
        if scripted is not None:
            return scripted
        if request.query.get("key") != TOKEN:
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        body = await request.json()
        if body.get("msgtype") == "text" and len(body["text"]["content"].encode()) > 2048:
            return web.json_response({"errcode": 45002, "errmsg": "content exceed max length"})
        if body.get("msgtype") == "image":
            data = base64.b64decode(body["image"]["base64"])
            if hashlib.md5(data).hexdigest() != body["image"]["md5"]:
                return web.json_response({"errcode": 40008, "errmsg": "invalid md5"})
        self.received.append(Received("企业微信", body, dict(request.query)))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _dingtalk(self, request: web.Request) -> web.Response:
        scripted = await self._scripted()
        if scripted is not None:
            return scripted
        if request.query.get("access_token") != TOKEN:
            return web.json_response({"errcode": 300001, "errmsg": "token is not exist"})
        if self.secret is not None:
            # 钉钉's recipe: sign = urlencode(base64(HmacSHA256(secret, timestamp + "\n" + secret))).
            timestamp = request.query.get("timestamp", "")
            wanted = base64.b64encode(
                hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
            ).decode()
            # aiohttp has already URL-decoded the query once.
            if request.query.get("sign") not in (wanted, unquote_plus(wanted)):
                return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
        body = await request.json()
        if self.keyword is not None and self.keyword not in body["text"]["content"]:
            return web.json_response({"errcode": 310000, "errmsg": "keywords not in content"})
        self.received.append(Received("钉钉", body, dict(request.query)))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _feishu(self, request: web.Request) -> web.Response:
        scripted = await self._scripted()
        if scripted is not None:
            return scripted
        if request.match_info["token"] != TOKEN:
            return web.json_response({"code": 19001, "msg": "param invalid: incoming webhook access token invalid"})
        raw = await request.read()
        if len(raw) > 20 * 1024:
            return web.json_response({"code": 9499, "msg": "request body too large"})
        body = json.loads(raw)
        if self.secret is not None:
            # 飞书's recipe: sign = base64(HmacSHA256(key = timestamp + "\n" + secret, message = "")).
            timestamp = str(body.get("timestamp", ""))
            wanted = base64.b64encode(
                hmac.new(f"{timestamp}\n{self.secret}".encode(), b"", hashlib.sha256).digest()
            ).decode()
            if body.get("sign") != wanted:
                return web.json_response({"code": 19021, "msg": "sign match fail or timestamp is not within one hour"})
        if self.keyword is not None and self.keyword not in body["content"]["text"]:
            return web.json_response({"code": 19024, "msg": "Key Words Not Found"})
        self.received.append(Received("飞书", body, {}))
        return web.json_response({"code": 0, "msg": "success", "data": {}})
