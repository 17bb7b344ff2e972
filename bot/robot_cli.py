"""`python -m bot robot add|list|remove`: the operator registers webhook robots (企业微信,
钉钉, 飞书) as subscribers, with the same rules as in chat (bot/trust/robots.py); the
operator is not limited to ROBOTS_PER_OWNER and sees every robot."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from bot.commands.requests import RobotRequest
from bot.messaging.render import render
from bot.pool import Pool
from bot.trust.robots import OPERATOR


def add_parser(sub: Any) -> None:
    robot = sub.add_parser("robot", help="把企业微信、钉钉、飞书的群机器人登记为预警和日报的接收者")
    actions = robot.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="登记一个机器人（同一地址再登记就是修改）")
    add.add_argument("address", metavar="地址", help="机器人的 Webhook 地址")
    add.add_argument(
        "--kind", metavar="企业微信|钉钉|飞书", help="不写时按地址判断；WEBHOOK_ALLOW_HOSTS 里的地址必须写"
    )
    add.add_argument("--secret", metavar="密钥", help="钉钉、飞书的加签密钥；写 - 则从标准输入读（不留在命令历史里）")
    add.add_argument("--keyword", metavar="关键词", help="钉钉、飞书的自定义关键词")
    add.add_argument("--level", metavar="高风险|极高风险", help="从哪一级开始预警（默认高风险）")
    add.add_argument("--digest", metavar="HH:MM|关", help="日报时间（默认 09:00），关 则不发日报")
    actions.add_parser("list", help="列出登记的机器人（地址只显示结尾）")
    remove = actions.add_parser("remove", help="删除一个机器人，不再向它推送")
    remove.add_argument("number", metavar="编号", type=int)


def _secret(value: str | None) -> str | None:
    if value != "-":
        return value
    return getpass.getpass("") if sys.stdin.isatty() else sys.stdin.readline().strip()


async def run(args: argparse.Namespace, pool: Pool) -> int:
    robots = pool.robots
    if args.action == "add":
        request = RobotRequest.make(
            args.address, args.kind, _secret(args.secret), args.keyword, args.level, args.digest
        )
        robot, created = await robots.add(OPERATOR, request)
        print(render("robots/added.j2", robot=robot, created=created))
    elif args.action == "list":
        print(render("robots/list.j2", robots=await robots.visible(OPERATOR), everyone=True))
    else:
        print(render("robots/removed.j2", robot=await robots.remove(OPERATOR, args.number)))
    return 0
