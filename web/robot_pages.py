"""The dashboard's 群机器人 page: a 版主 or a verified shop's owner lists (masked), adds and
removes webhook robots (企业微信, 钉钉, 飞书), with the chat's rules (bot/trust/robots.py)."""

from __future__ import annotations

from aiohttp import web

from bot.commands.requests import RobotRequest
from bot.errors import BadInput
from bot.messaging.render import render
from web.keys import POOL
from web.pages import _form, page, signed_in
from web.sessions import Session

_FIELD_MAX = 600


@signed_in
async def robots_page(request: web.Request, session: Session) -> web.StreamResponse:
    pool = request.app[POOL]
    robots = pool.robots
    notice = None
    if request.method == "POST":
        form = await _form(request)
        removing = request.match_info.get("number")
        if removing is not None:
            if not removing.isdigit() or len(removing) > 9:
                raise BadInput("robots.number_invalid")
            robot = await robots.remove(session.account, int(removing))
            notice = render("robots/removed.j2", robot=robot)
        else:
            fields = {name: str(form.get(name, "")).strip()[:_FIELD_MAX] or None for name in _FIELDS}
            robot, created = await robots.add(
                session.account, RobotRequest.make(fields["address"] or "", **{k: fields[k] for k in _FIELDS[1:]})
            )
            notice = render("robots/added.j2", robot=robot, created=created)
    everyone = await pool.moderation.is_moderator(session.account)
    return page(
        "web/robots.html",
        request,
        session,
        robots=await robots.visible(session.account),
        everyone=everyone,
        notice=notice,
    )


_FIELDS = ("address", "kind", "secret", "keyword", "level", "digest")


def robot_routes() -> list[web.RouteDef]:
    return [
        web.get("/robots", robots_page),
        web.post("/robots", robots_page),
        web.post("/robots/{number}/remove", robots_page),
    ]
