"""The dashboard: server-rendered zh-CN pages (templates/web/*.html), no build step. A
merchant logs in through the one-time link /后台 sends in private chat; every form
carries the session's CSRF token; phones and addresses appear masked only."""

from __future__ import annotations

import asyncio
import mimetypes
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.cases.joint import CaseSummary
from bot.commands.grammar import parse_allowance, parse_buyer, parse_check
from bot.commands.requests import decision_note
from bot.errors import BadInput, NotFound, NotRegistered, Refused
from bot.identity.platforms import Platform
from bot.identity.text import excerpt
from bot.messaging.render import explain, render, render_html
from bot.pool import Pool
from bot.scoring.categories import Category
from bot.storage.alerts import report_days_since
from bot.storage.models.shops import Shop
from bot.storage.reports import reports_of_shop
from bot.storage.screenings import screenings_of_shop
from bot.trust.access import LOGIN_MINUTES
from bot.trust.moderation import Actor
from web import present
from web.api import FIELD_MAX, _appellant, appeal_from, client_address, read_upload, respond, result_file
from web.keys import ADDRESS_LIMIT, POOL, SESSIONS
from web.sessions import Session

Page = Callable[[web.Request, Session], Awaitable[web.StreamResponse]]
CHECK_LINES_MAX = 200
FORM = web.RequestKey("form", dict)


def _pool(request: web.Request) -> Pool:
    return request.app[POOL]


def _sessions(request: web.Request) -> Any:
    return request.app[SESSIONS]


def page(
    template: str, request: web.Request, session: Session | None, status: int = 200, **context: Any
) -> web.Response:
    return web.Response(
        text=render_html(template, session=session, path=request.path, **context),
        content_type="text/html",
        charset="utf-8",
        status=status,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        },
    )


def refused(request: web.Request, session: Session | None, refusal: Refused, back: str = "/") -> web.Response:
    body = present.refusal_body(refusal)
    return page(
        "web/message.html", request, session, present.refusal_status(refusal), message=body["message"], back=back
    )


@web.middleware
async def page_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Outside /api/: a refusal that no page handled (a body over its route's limit, a
    form that cannot be parsed) is a page with its words and status, never a 500."""
    if request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except Refused as refusal:
        return refused(request, None, refusal)


def signed_in(handler: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A page for someone logged in; a form post must carry the session's CSRF token."""

    async def run(request: web.Request) -> web.StreamResponse:
        session = await _sessions(request).of(request)
        if session is None:
            return page("web/login_needed.html", request, None, 401)
        if request.method == "POST":
            form = await _form(request)
            if not _sessions(request).csrf_ok(session, form.get("csrf")):
                return page("web/message.html", request, session, 403, message=render("web/form_expired.j2"), back="/")
        try:
            return await handler(request, session)
        except Refused as refusal:
            return refused(request, session, refusal)

    return run


async def _form(request: web.Request) -> dict[str, Any]:
    """The form fields (a multipart upload's are read by its handler: only its CSRF field
    is looked at here, from the query string the form posts to)."""
    if FORM not in request:
        if request.content_type.startswith("multipart/"):
            request[FORM] = {"csrf": request.query.get("csrf")}
        else:
            try:
                request[FORM] = dict(await request.post())
            except (ValueError, web.HTTPException) as exc:  # undecodable, too many fields
                raise BadInput("api.bad_form") from exc
    return request[FORM]


async def _shop(session: Session, request: web.Request) -> Shop:
    shop = await _pool(request).blacklist.shop_or_none(session.account)
    if shop is None:
        raise NotRegistered()
    return shop


# -- login ----------------------------------------------------------------------------


async def login_page(request: web.Request) -> web.StreamResponse:
    """What the link /后台 sends opens: a button that posts the token. A chat app that
    fetches the link for its preview only gets this page; the one-time link is used up
    by the merchant's click (POST /login), not by the preview."""
    token = request.query.get("token", "")[:100]
    return page("web/login.html", request, None, token=token, minutes=LOGIN_MINUTES)


async def login(request: web.Request) -> web.StreamResponse:
    token = (await _form(request)).get("token")
    account = await _pool(request).access.redeem(token if isinstance(token, str) else "")
    if account is None:
        return page(
            "web/message.html",
            request,
            None,
            403,
            message=render("web/login_invalid.j2", minutes=LOGIN_MINUTES),
            back=None,
        )
    response = web.HTTPSeeOther("/")
    await _sessions(request).start(response, account)
    raise response


@signed_in
async def logout(request: web.Request, session: Session) -> web.StreamResponse:
    """Ends the session itself, not only the browser's cookie."""
    response = web.HTTPSeeOther("/")
    await _sessions(request).end(response, session)
    raise response


# -- 我的店铺 ----------------------------------------------------------------------------


async def _home(request: web.Request, session: Session, **extra: Any) -> web.Response:
    pool = _pool(request)
    shop = await pool.blacklist.shop_or_none(session.account)
    reports = await reports_of_shop(shop.id) if shop else []
    key = await pool.access.key_of(shop) if shop else None
    return page(
        "web/home.html",
        request,
        session,
        shop=shop,
        platform=Platform(shop.platform) if shop else None,
        reports=reports,
        key=key,
        labels={c.value: c.label for c in Category},
        chart=await _weekly_chart(pool),
        moderator=await pool.moderation.is_moderator(session.account),
        **extra,
    )


async def home(request: web.Request) -> web.StreamResponse:
    session = await _sessions(request).of(request)
    if session is None:
        return page("web/login_needed.html", request, None)
    return await _home(request, session)


async def _weekly_chart(pool: Pool, weeks: int = 8) -> dict[str, Any]:
    """Reports by category and week, for an inline SVG."""
    now = pool.blacklist.clock()
    start = now - timedelta(weeks=weeks)
    counts: dict[int, dict[str, int]] = {w: {} for w in range(weeks)}
    for created_at, category in await report_days_since(start):
        week = min(weeks - 1, int((created_at - start).days // 7))
        counts[week][category] = counts[week].get(category, 0) + 1
    most = max([sum(c.values()) for c in counts.values()] + [1])
    labels = [(start + timedelta(weeks=w)).strftime("%m-%d") for w in range(weeks)]
    return {"weeks": [counts[w] for w in range(weeks)], "labels": labels, "most": most, "categories": list(Category)}


@signed_in
async def rotate_key(request: web.Request, session: Session) -> web.StreamResponse:
    shop = await _shop(session, request)
    key = await _pool(request).access.rotate_key(shop, session.account)
    return await _home(request, session, new_key=key)


@signed_in
async def retract(request: web.Request, session: Session) -> web.StreamResponse:
    shop = await _shop(session, request)
    report_id = request.match_info["id"]
    if not report_id.isdigit():
        raise NotFound("api.not_found")
    done = await _pool(request).blacklist.retract(shop, int(report_id))
    message = render("web/retracted_notice.j2", done=done)
    return await _home(request, session, notice=message)


# -- 查买家 ------------------------------------------------------------------------------


@signed_in
async def check_page(request: web.Request, session: Session) -> web.StreamResponse:
    pool = _pool(request)
    # A registered shop asks, as in the API: an account without one cannot walk the
    # pool (or the alerts' numbers) from here.
    shop = await _shop(session, request)
    if request.method != "POST":
        return page("web/check.html", request, session, results=None, refused_lines=[], text="")
    text = str((await _form(request)).get("buyers", ""))[:20_000]
    numbered = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    # The pasted list stays in the box whatever is wrong with it: a refusal of the whole
    # list, or the lines that could not be read, each named by its number, the rest checked.
    if not numbered or len(numbered) > CHECK_LINES_MAX:
        whole = BadInput("buyer_id_missing") if not numbered else None
        whole = whole or BadInput("api.too_many_buyers", limit=CHECK_LINES_MAX, count=len(numbered))
        return page(
            "web/check.html", request, session, 400, results=None, refused_lines=[], text=text, error=explain(whole)
        )
    requests, refused_lines = [], []
    for number, line in numbered:
        try:
            requests.append(parse_check(line, Platform(shop.platform)))
        except Refused as refusal:
            refused_lines.append((number, excerpt(line, 40), explain(refusal)))
    if not requests:
        return page("web/check.html", request, session, results=None, refused_lines=refused_lines, text=text)
    batch = await pool.blacklist.check_many(requests, session.account, shop)
    words = present.VerdictWords()
    # A line past the shop's phone and address lookups is refused alone, with the reason.
    rows = [
        (r, present.refusal_body(r) if isinstance(r, Refused) else present.check_result(r, words))
        for r in batch.results
    ]
    return page(
        "web/check.html",
        request,
        session,
        results=rows,
        refused_lines=refused_lines,
        text=text,
        allowance=batch.allowance,
    )


# -- 筛查订单 ----------------------------------------------------------------------------


@signed_in
async def screen_page(request: web.Request, session: Session) -> web.StreamResponse:
    shop = await _shop(session, request)
    pool = _pool(request)
    if request.method == "POST":
        await pool.screenings.admit(shop)
        name, data = await read_upload(request)
        submitted = await pool.screenings.submit(shop, name, data)
        raise web.HTTPSeeOther(f"/screen/{submitted.job.id}")
    jobs = await screenings_of_shop(shop.id)
    return page("web/screen.html", request, session, shop=shop, platform=Platform(shop.platform), jobs=jobs)


async def _own_job(request: web.Request, session: Session) -> Any:
    shop = await _shop(session, request)
    job_id = request.match_info["id"]
    job = await _pool(request).screenings.job(int(job_id)) if job_id.isdigit() else None
    if job is None or job.shop_id != shop.id:
        raise NotFound("api.not_found")
    return job


@signed_in
async def screening_page(request: web.Request, session: Session) -> web.StreamResponse:
    job = await _own_job(request, session)
    return page("web/screening.html", request, session, job=job, data=present.screening(job))


@signed_in
async def screening_json(request: web.Request, session: Session) -> web.StreamResponse:
    return respond(present.screening(await _own_job(request, session)))


@signed_in
async def screening_csv(request: web.Request, session: Session) -> web.StreamResponse:
    return await result_file(await _own_job(request, session))


# -- 联合案件 ----------------------------------------------------------------------------


@signed_in
async def cases_page(request: web.Request, session: Session) -> web.StreamResponse:
    shop = await _shop(session, request)
    return page("web/cases.html", request, session, members=await _pool(request).joint.cases_for(shop))


def _case_id(request: web.Request) -> int:
    value = request.match_info["id"]
    if not value.isdigit() or len(value) > 9:
        raise NotFound("joint.not_allowed", case_id=0)
    return int(value)


@signed_in
async def case_page(request: web.Request, session: Session) -> web.StreamResponse:
    shop = await _shop(session, request)
    joint = _pool(request).joint
    case_id = _case_id(request)
    if request.method == "POST":
        found: Any = await joint.join(shop, case_id)
    else:
        found = await joint.open(shop, case_id)
    if isinstance(found, CaseSummary):
        return page("web/case_summary.html", request, session, s=found)
    return page("web/case.html", request, session, v=found)


@signed_in
async def case_evidence_file(request: web.Request, session: Session) -> web.StreamResponse:
    """An evidence picture, to a joined member of its case only."""
    shop = await _shop(session, request)
    view = await _pool(request).joint.view(shop, _case_id(request))
    name = request.match_info["name"]
    if name not in {e.file_name for _, e in view.evidence if e.file_name}:
        raise NotFound("api.not_found")
    path = _pool(request).data_dir / "evidence" / name
    if not await asyncio.to_thread(path.is_file):
        raise NotFound("api.not_found")
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return web.FileResponse(path, headers={"Content-Type": kind, "X-Content-Type-Options": "nosniff"})


@signed_in
async def case_letter(request: web.Request, session: Session) -> web.StreamResponse:
    shop = await _shop(session, request)
    police = request.query.get("police") == "1"
    text, path = await _pool(request).joint.letter(shop, _case_id(request), police=police)
    return web.Response(
        text=text,
        content_type="text/plain",
        charset="utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(path.name)}"},
    )


# -- 审核 and 群设置 (版主) -------------------------------------------------------------


async def _moderator(request: web.Request, session: Session) -> Actor:
    actor = Actor(session.account)
    await _pool(request).moderation.require_moderator(actor)
    return actor


@signed_in
async def review_page(request: web.Request, session: Session) -> web.StreamResponse:
    await _moderator(request, session)
    appeals = _pool(request).appeals
    appeal_id = request.match_info.get("id")
    if appeal_id is None:
        return page("web/review.html", request, session, views=await appeals.open_list(Actor(session.account)))
    if not appeal_id.isdigit():
        raise NotFound("api.not_found")
    if request.method == "POST":
        form = await _form(request)
        reason = decision_note(str(form.get("reason", ""))[:FIELD_MAX])
        if form.get("action") == "remove":
            await appeals.remove(Actor(session.account), int(appeal_id), [], reason)
        elif form.get("action") == "uphold":
            await appeals.uphold(Actor(session.account), int(appeal_id), reason)
        else:
            raise BadInput("api.field_invalid", field="action")
    view = await appeals.view(Actor(session.account), int(appeal_id))
    return page("web/appeal_view.html", request, session, view=view, labels={c.value: c.label for c in Category})


@signed_in
async def groups_page(request: web.Request, session: Session) -> web.StreamResponse:
    await _moderator(request, session)
    group = request.match_info.get("group") or request.query.get("group", "")
    if not group:
        return page("web/groups.html", request, session)
    if not group.isdigit() or len(group) > 12:
        raise BadInput("api.field_invalid", field="group")
    group_id = int(group)
    rules = _pool(request).group_rules
    actor = Actor(session.account, group_id=group_id)
    notice = None
    if request.method == "POST":
        form = await _form(request)
        setting = form.get("setting")
        value = str(form.get("value", "")).strip()[:300]
        if setting == "预警":
            await rules.set_alert_level(actor, value)
        elif setting == "日报":
            await rules.set_digest(actor, value)
        elif setting == "平台":
            await rules.set_platform(actor, value)
        elif setting == "放行":
            await rules.allow(actor, parse_allowance(value))
        elif setting == "放行取消":
            platform, buyer_id = parse_buyer(value)
            await rules.disallow(actor, platform, buyer_id)
        else:
            raise BadInput("rules.unknown", word=excerpt(str(setting)))
        notice = render("web/saved.j2")
    return page("web/group.html", request, session, rules=await rules.view(group_id), notice=notice)


# -- 申诉 (public) -----------------------------------------------------------------------


async def appeal_page(request: web.Request) -> web.StreamResponse:
    sessions = _sessions(request)
    session = await sessions.of(request)
    if request.method != "POST":
        return page("web/appeal_form.html", request, session, token=sessions.form_token(), opened=None)
    # The address's rate first, before the form is read or parsed: anyone may post here.
    wait = await request.app[ADDRESS_LIMIT].retry_after(f"appeal:{client_address(request)}")
    if wait is not None:
        return page(
            "web/message.html",
            request,
            session,
            429,
            message=render("api/appeals_rate_limited.j2", wait=wait),
            back="/appeal",
        )
    try:
        form = await _form(request)
    except Refused as refusal:
        return refused(request, session, refusal, back="/appeal")
    if not sessions.form_token_ok(form.get("token")):
        return page("web/message.html", request, session, 403, message=render("web/form_expired.j2"), back="/appeal")
    try:
        receipt = secrets.token_urlsafe(18)
        opening = await _pool(request).appeals.open(_appellant(receipt), appeal_from(dict(form)))
    except Refused as refusal:
        return refused(request, session, refusal, back="/appeal")
    return page(
        "web/appeal_form.html",
        request,
        session,
        token=sessions.form_token(),
        opened=opening.appeal,
        joined=opening.joined,
        receipt=receipt,
    )


def page_routes() -> list[web.RouteDef]:
    return [
        web.get("/", home),
        web.get("/login", login_page),
        web.post("/login", login),
        web.post("/logout", logout),
        web.post("/key", rotate_key),
        web.post("/reports/{id}/retract", retract),
        web.get("/check", check_page),
        web.post("/check", check_page),
        web.get("/screen", screen_page),
        web.post("/screen", screen_page),
        web.get("/screen/{id}", screening_page),
        web.get("/screen/{id}/status", screening_json),
        web.get("/screen/{id}/result.csv", screening_csv),
        web.get("/cases", cases_page),
        web.get("/cases/{id}", case_page),
        web.post("/cases/{id}", case_page),
        web.get("/cases/{id}/letter", case_letter),
        web.get("/cases/{id}/evidence/{name}", case_evidence_file),
        web.get("/review", review_page),
        web.get("/review/{id}", review_page),
        web.post("/review/{id}", review_page),
        web.get("/groups", groups_page),
        web.get("/groups/{group}", groups_page),
        web.post("/groups/{group}", groups_page),
        web.get("/appeal", appeal_page),
        web.post("/appeal", appeal_page),
    ]
