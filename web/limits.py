"""Limits of the HTTP front door: how large each route's body may be, checked before a
byte of it is read; the rate per API key; and per client address for what needs no key
(appeals). The rates are counted in the database, in fixed windows: every process
sharing it keeps one count, and a restart forgets nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.cases.evidence import PICTURE_MAX_BYTES, PICTURES_PER_MESSAGE
from bot.commands.requests import APPEAL_REASON_MAX
from bot.errors import LengthRequired, TooLarge
from bot.screening.sheets import CSV_MAX_BYTES, XLSX_MAX_BYTES
from bot.trust.access import Access

KB = 1024
# A form's fields and a multipart upload's headers around the file.
_ENVELOPE = 64 * KB
# Any route not named below: a form of a few fields (a CSRF token, a button, a note).
BODY_DEFAULT = 16 * KB
# The public appeal, form or JSON: a reason of APPEAL_REASON_MAX characters is 4.5 KB
# URL-encoded (9 bytes a Chinese character), the rest a buyer id and a token.
APPEAL_BODY_MAX = max(8 * KB, APPEAL_REASON_MAX * 9 + 2 * KB)
# 1,000 buyers with clues (api.CHECK_MAX), and the dashboard's 200 lines of 查买家.
CHECK_BODY_MAX = 2 * 1024 * KB
CHECK_FORM_MAX = 256 * KB
# A report: its description, order, amount, clues.
REPORT_BODY_MAX = 64 * KB
# Uploads: the file limits of their kind, plus the envelope.
EXPORT_UPLOAD_MAX = max(CSV_MAX_BYTES, XLSX_MAX_BYTES) + _ENVELOPE
EVIDENCE_UPLOAD_MAX = PICTURES_PER_MESSAGE * PICTURE_MAX_BYTES + _ENVELOPE

BODY_LIMITS: dict[tuple[str, str], int] = {
    ("POST", "/api/v1/check"): CHECK_BODY_MAX,
    ("POST", "/api/v1/reports"): REPORT_BODY_MAX,
    ("POST", "/api/v1/screenings"): EXPORT_UPLOAD_MAX,
    ("POST", "/api/v1/cases/{id}/evidence"): EVIDENCE_UPLOAD_MAX,
    ("POST", "/api/v1/appeals"): APPEAL_BODY_MAX,
    ("POST", "/check"): CHECK_FORM_MAX,
    ("POST", "/screen"): EXPORT_UPLOAD_MAX,
    ("POST", "/appeal"): APPEAL_BODY_MAX,
}
# aiohttp's own ceiling for reading a body: the largest route's.
BODY_MAX = max(BODY_LIMITS.values())

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def body_limit_of(request: web.Request) -> int:
    resource = request.match_info.route.resource
    if resource is None:  # no such route: nothing will read the body
        return BODY_DEFAULT
    return BODY_LIMITS.get((request.method, resource.canonical), BODY_DEFAULT)


@web.middleware
async def body_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Each route's body limit, from the declared length, before anything reads the body
    (ten anonymous 60 MB posts once took the bot from 131 MB to 1.3 GB). A body without a
    declared length (chunked) is refused: its size is only known once it is read."""
    if request.body_exists:
        limit = body_limit_of(request)
        length = request.content_length
        if length is None:
            raise LengthRequired("api.length_required")
        if length > limit:
            raise TooLarge("api.too_large", limit_kb=max(1, limit // KB))
    return await handler(request)


class RateLimit:
    """At most `calls` per caller in each window of `per_seconds` (Access.call_allowed:
    one count in the database for every web process sharing it)."""

    def __init__(self, calls: int, per_seconds: int, access: Access):
        self.calls = calls
        self.per = per_seconds
        self.access = access

    async def retry_after(self, key: str) -> int | None:
        """None: allowed (and counted); else the seconds to wait."""
        return await self.access.call_allowed(key, self.calls, self.per)
