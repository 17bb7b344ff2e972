"""The HTTP API, version 1 (web/openapi.py documents it): JSON in and out, a shop's API
key as a bearer token, the chat's rules and refusals exactly."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import BodyPartReader, web

from bot.cases.evidence import PICTURE_MAX_BYTES, PICTURES_PER_MESSAGE
from bot.commands.requests import AppealRequest, CheckRequest, ReportRequest, evidence_note, platform_or
from bot.errors import BadInput, NotFound, Refused
from bot.identity.platforms import Platform
from bot.messaging.render import render
from bot.pool import Pool
from bot.screening.sheets import refuse_if_too_large, size_limit
from bot.states import FilingOutcome
from bot.storage.appeals import appeal_by_id, appellants_of
from bot.storage.models.screening import ScreeningJob
from bot.storage.models.shops import Shop
from bot.storage.reports import reports_of_shop
from web import present
from web.keys import ADDRESS_LIMIT, KEY_LIMIT, POOL, SETTINGS
from web.openapi import document

log = logging.getLogger(__name__)

CHECK_MAX = 1000


def respond(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with the Chinese as it is (not \\u escapes): the messages are for people."""
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _pool(request: web.Request) -> Pool:
    return request.app[POOL]


def json_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return respond({"error": code, "message": message}, status=status, headers=headers)


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under /api/: a refusal is {"error", "message"} with a fitting status; nothing else
    (a traceback, an HTML error page) ever reaches the client."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except Refused as refusal:
        status = present.refusal_status(refusal)
        # A limit that knows when it ends says so (the phone lookups: Beijing midnight).
        headers = {"Retry-After": str(refusal.context.get("retry_after", 60))} if status == 429 else None
        return respond(present.refusal_body(refusal), status=status, headers=headers)
    except web.HTTPException as exc:
        if exc.status >= 400 and exc.content_type != "application/json":
            return json_error(exc.status, _HTTP_CODES.get(exc.status, "http_error"), exc.reason)
        raise
    except Exception:
        log.exception("API handler failed: %s %s", request.method, request.path)
        return json_error(500, "internal", render("api/internal.j2"))


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


async def _shop(request: web.Request) -> Shop:
    """The shop of the bearer key, within its rate limit."""
    header = request.headers.get("Authorization", "")
    key = header[7:].strip() if header[:7].lower() == "bearer " else ""
    shop = await _pool(request).access.shop_for_key(key) if key else None
    if shop is None:
        raise web.HTTPUnauthorized(
            text=_dumps({"error": "unauthorized", "message": render("api/unauthorized.j2")}),
            content_type="application/json",
            headers={"WWW-Authenticate": "Bearer"},
        )
    wait = await request.app[KEY_LIMIT].retry_after(f"key:{shop.id}")
    if wait is not None:
        raise web.HTTPTooManyRequests(
            text=_dumps({"error": "rate_limited", "message": render("api/rate_limited.j2", wait=wait)}),
            content_type="application/json",
            headers={"Retry-After": str(wait)},
        )
    return shop


async def _json(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; anything else, nesting too deep for the parser included,
    is the client's error (400), never a 500."""
    try:
        body = await request.json()
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise BadInput("api.bad_json") from exc
    if not isinstance(body, dict):
        raise BadInput("api.bad_json")
    return body


# A JSON string field is read whole before the request types judge it; nothing one
# field holds is longer than a chat message (the request types' limits are lower).
FIELD_MAX = 4000


def _text(body: dict[str, Any], name: str) -> str | None:
    """A string field as sent (None when absent or empty): the JSON's shape only; what
    it must be is the request types' to say (bot/commands/requests.py)."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float) or len(str(value)) > FIELD_MAX:
        raise BadInput("api.field_invalid", field=name)
    return str(value)


def _check_request(item: Any, default: Platform) -> CheckRequest:
    if not isinstance(item, dict):
        raise BadInput("api.field_invalid", field="buyers[]")
    clues = item.get("clues") or []
    if not isinstance(clues, list) or not all(isinstance(c, str) for c in clues):
        raise BadInput("api.field_invalid", field="clues")
    return CheckRequest.make(
        platform_or(_text(item, "platform"), default),
        _text(item, "buyer_id") or "",
        _text(item, "phone"),
        _text(item, "address"),
        clues,
    )


# -- check ------------------------------------------------------------------------------


async def check(request: web.Request) -> web.Response:
    shop = await _shop(request)
    body = await _json(request)
    buyers = body.get("buyers")
    if not isinstance(buyers, list) or not buyers:
        raise BadInput("api.field_missing", field="buyers")
    if len(buyers) > CHECK_MAX:
        raise BadInput("api.too_many_buyers", limit=CHECK_MAX, count=len(buyers))
    default = Platform(shop.platform)
    requests: list[CheckRequest] = []
    for index, item in enumerate(buyers):
        try:
            requests.append(_check_request(item, default))
        except Refused as refusal:
            return respond(present.refusal_body(refusal, index=index), status=present.refusal_status(refusal))
    pool = _pool(request)
    batch = await pool.blacklist.check_many(requests, shop.owner, shop)
    words = present.VerdictWords()
    # An item past the shop's phone and address lookups is refused alone, in its place.
    results = [
        present.refusal_body(result, index=index)
        if isinstance(result, Refused)
        else present.check_result(result, words)
        for index, result in enumerate(batch.results)
    ]
    answer: dict[str, Any] = {"results": results}
    headers: dict[str, str] = {}
    if batch.allowance is not None:
        answer["lookups"] = present.lookups(batch.allowance)
        refused = any(isinstance(result, Refused) for result in batch.results)
        headers = present.lookup_headers(batch.allowance, refused)
    return respond(answer, headers=headers)


# -- reports ------------------------------------------------------------------------------


def _report_request(body: dict[str, Any], default: Platform) -> ReportRequest:
    return ReportRequest.make(
        platform_or(_text(body, "platform"), default),
        _text(body, "buyer_id") or "",
        _text(body, "category") or "",
        _text(body, "order_no"),
        _text(body, "amount"),
        _text(body, "description") or "",
        _text(body, "phone"),
        _text(body, "address"),
    )


async def file_report(request: web.Request) -> web.Response:
    shop = await _shop(request)
    filed = await _pool(request).blacklist.report(shop, _report_request(await _json(request), Platform(shop.platform)))
    return respond(present.filing(filed), status=201 if filed.outcome is not FilingOutcome.duplicate else 200)


async def list_reports(request: web.Request) -> web.Response:
    shop = await _shop(request)
    return respond({"reports": [present.report(r) for r in await reports_of_shop(shop.id)]})


def _number(request: web.Request, name: str) -> int:
    value = request.match_info[name]
    if not value.isdigit() or len(value) > 12:
        raise NotFound("api.not_found")
    return int(value)


async def retract_report(request: web.Request) -> web.Response:
    shop = await _shop(request)
    done = await _pool(request).blacklist.retract(shop, _number(request, "id"))
    return respond(present.retraction(done))


# -- screenings ---------------------------------------------------------------------------


async def read_upload(request: web.Request, field: str = "file") -> tuple[str, bytes]:
    """The first file of a multipart upload, refused as soon as it passes the limit of its
    kind (never read whole first)."""
    if not request.content_type.startswith("multipart/"):
        raise BadInput("api.upload_missing")
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.name != field or not part.filename:
            continue
        # Some clients (aiohttp's own) percent-encode a non-ASCII name; browsers send UTF-8.
        name = Path(unquote(part.filename)).name[:120]
        if Path(name).suffix.lower() == ".xls":
            raise BadInput("sheets.unsupported", suffix=".xls")
        limit = size_limit(name)
        data = bytearray()
        while chunk := await part.read_chunk(256 * 1024):
            data += chunk
            if len(data) > limit:
                refuse_if_too_large(name, len(data))
        return name, bytes(data)
    raise BadInput("api.upload_missing")


async def field_text(part: BodyPartReader) -> str:
    """A multipart text field, read only as far as FIELD_MAX characters can take (a field
    of megabytes is cut, not held)."""
    data = bytearray()
    while len(data) <= FIELD_MAX * 4 and (chunk := await part.read_chunk(16 * 1024)):
        data += chunk
    return data[: FIELD_MAX * 4].decode(part.get_charset("utf-8"), errors="replace")[:FIELD_MAX]


async def submit_screening(request: web.Request) -> web.Response:
    shop = await _shop(request)
    screenings = _pool(request).screenings
    await screenings.admit(shop)
    name, data = await read_upload(request)
    submitted = await screenings.submit(shop, name, data)
    return respond({**present.screening(submitted.job), "ahead": submitted.ahead}, status=202)


async def _own_screening(request: web.Request, shop: Shop) -> Any:
    job = await _pool(request).screenings.job(_number(request, "id"))
    if job is None or job.shop_id != shop.id:
        raise NotFound("api.not_found")
    return job


async def screening_status(request: web.Request) -> web.Response:
    shop = await _shop(request)
    return respond(present.screening(await _own_screening(request, shop)))


async def screening_result(request: web.Request) -> web.StreamResponse:
    shop = await _shop(request)
    return await result_file(await _own_screening(request, shop))


async def result_file(job: ScreeningJob) -> web.FileResponse:
    """A screening's result CSV as a download (the API's and the dashboard's)."""
    if not job.result_path or not await asyncio.to_thread(os.path.isfile, job.result_path):
        raise NotFound("api.result_not_ready")
    return web.FileResponse(
        job.result_path,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f"attachment; filename=screening-{job.id}.csv",
        },
    )


# -- joint cases -------------------------------------------------------------------------


async def list_cases(request: web.Request) -> web.Response:
    shop = await _shop(request)
    members = await _pool(request).joint.cases_for(shop)
    return respond(
        {
            "cases": [
                {
                    "id": m.case.id,
                    "status": m.case.status.value,
                    "joined": m.state.value == "joined",
                    "platform": m.case.buyer.platform,
                    "buyer_id": m.case.buyer.buyer_key if m.state.value == "joined" else None,
                }
                for m in members
            ]
        }
    )


async def view_case(request: web.Request) -> web.Response:
    shop = await _shop(request)
    return respond(present.case(await _pool(request).joint.open(shop, _number(request, "id"))))


async def join_case(request: web.Request) -> web.Response:
    shop = await _shop(request)
    return respond(present.case(await _pool(request).joint.join(shop, _number(request, "id"))))


async def add_case_evidence(request: web.Request) -> web.Response:
    shop = await _shop(request)
    case_id = _number(request, "id")
    joint = _pool(request).joint
    await joint.joined_case(shop, case_id)
    if not request.content_type.startswith("multipart/"):
        raise BadInput("api.upload_missing")
    description = ""
    pictures: list[bytes] = []
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "description":
            description = evidence_note(await field_text(part))
        elif part.name == "file":
            if len(pictures) >= PICTURES_PER_MESSAGE:
                raise BadInput("joint.evidence_per_message", limit=PICTURES_PER_MESSAGE, count=len(pictures) + 1)
            data = bytearray()
            while chunk := await part.read_chunk(256 * 1024):
                data += chunk
                if len(data) > PICTURE_MAX_BYTES:
                    raise BadInput("joint.picture_too_large", limit_mb=PICTURE_MAX_BYTES // 1024 // 1024)
            pictures.append(bytes(data))
    if not description and not pictures:
        raise BadInput("joint.evidence_missing")
    await joint.admit_evidence(shop, case_id, len(pictures))
    stored, duplicates = await joint.add_evidence(shop, case_id, description or "截图", pictures)
    return respond({"stored": stored, "duplicates": duplicates}, status=201)


async def case_letter(request: web.Request) -> web.Response:
    shop = await _shop(request)
    police = request.query.get("police") in ("1", "true", "yes")
    text, path = await _pool(request).joint.letter(shop, _number(request, "id"), police=police)
    return web.Response(
        text=text,
        content_type="text/plain",
        charset="utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(path.name)}"},
    )


def _quote(name: str) -> str:
    return quote(name)


# -- appeals (no key: buyers are rarely in the merchants' groups) ------------------------


def appeal_from(body: dict[str, Any]) -> AppealRequest:
    """The chat's /申诉 rules on a JSON body or a form (unless the platform is named, the
    one that lists the buyer)."""
    return AppealRequest.make(
        platform_or(_text(body, "platform"), None), _text(body, "buyer_id"), _text(body, "reason")
    )


def client_address(request: web.Request) -> str:
    """Whom the per-address limits count: the connection's peer, or behind a reverse
    proxy the address the proxy wrote into WEB_TRUSTED_PROXY_HEADER (the last one in the
    header: the earlier ones are whatever the client claimed)."""
    header = request.app[SETTINGS].web_trusted_proxy_header
    if header:
        written = request.headers.get(header, "").rsplit(",", 1)[-1].strip()
        if written:
            return written[:64]
    return request.remote or "unknown"


def _appellant(receipt: str) -> str:
    return "web:" + hashlib.sha256(receipt.encode()).hexdigest()[:32]


async def open_appeal(request: web.Request) -> web.Response:
    # The address's rate before the body is parsed: a flood costs one statement, no parsing.
    wait = await request.app[ADDRESS_LIMIT].retry_after(f"appeal:{client_address(request)}")
    if wait is not None:
        return json_error(
            429, "rate_limited", render("api/appeals_rate_limited.j2", wait=wait), {"Retry-After": str(wait)}
        )
    appeal_request = appeal_from(await _json(request))
    receipt = secrets.token_urlsafe(18)
    opening = await _pool(request).appeals.open(_appellant(receipt), appeal_request)
    return respond(
        {
            "appeal": opening.appeal.id,
            "state": opening.appeal.state.value,
            "joined": opening.joined,
            "receipt": receipt,
            "message": render("api/appeal_received.j2", opening=opening),
        },
        status=201,
    )


async def appeal_state(request: web.Request) -> web.Response:
    appeal = await appeal_by_id(_number(request, "id"))
    receipt = request.query.get("receipt", "")
    if appeal is None or not receipt or _appellant(receipt) not in await appellants_of(appeal.id):
        raise NotFound("api.not_found")
    return respond({"appeal": appeal.id, "state": appeal.state.value})


async def openapi(request: web.Request) -> web.Response:
    return respond(document())


def api_routes() -> list[web.RouteDef]:
    return [
        web.get("/api/v1/openapi.json", openapi),
        web.post("/api/v1/check", check),
        web.post("/api/v1/reports", file_report),
        web.get("/api/v1/reports", list_reports),
        web.delete("/api/v1/reports/{id}", retract_report),
        web.post("/api/v1/screenings", submit_screening),
        web.get("/api/v1/screenings/{id}", screening_status),
        web.get("/api/v1/screenings/{id}/result.csv", screening_result),
        web.get("/api/v1/cases", list_cases),
        web.get("/api/v1/cases/{id}", view_case),
        web.post("/api/v1/cases/{id}/join", join_case),
        web.post("/api/v1/cases/{id}/evidence", add_case_evidence),
        web.get("/api/v1/cases/{id}/letter", case_letter),
        web.post("/api/v1/appeals", open_appeal),
        web.get("/api/v1/appeals/{id}", appeal_state),
    ]
