from nonebot import require

require("nonebot_plugin_shop_guard.runtime")
require("nonebot_plugin_shop_guard.entry")
require("nonebot_plugin_apscheduler")

from nonebot import on_message
from nonebot.log import logger
from nonebot.plugin import PluginMetadata
from nonebot_plugin_apscheduler import scheduler

from bot.commands.catalogue import AFTER_COMMANDS
from nonebot_plugin_shop_guard.entry import wants_messages
from nonebot_plugin_shop_guard.runtime import pool
from shop_guard_chat import SUPPORTED_ADAPTERS

from .flows import (
    answers_a_proposal,
    do_answer,
    do_read,
    is_a_screenshot_to_read,
    may_answer_a_proposal,
    may_be_a_screenshot,
)

__plugin_meta__ = PluginMetadata(
    name="截图识别",
    description="读聊天或订单截图：认出买家、订单号和买家的要求，给出风险判断，或填好举报等你确认",
    usage="回复截图发 /查 或 /举报；私聊直接发截图；群里 /设置 自动识别截图 开",
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

# 确认 / 取消 of a report proposed from a screenshot: before the guide's flow replies (a
# proposal is the newer conversation, and 取消 there only drops a draft).
proposal_matcher = on_message(rule=answers_a_proposal, priority=AFTER_COMMANDS, block=True)
# A picture sent privately, or posted in a group that reads every picture: after the
# commands and the flows (a /证据 waiting for its picture takes it first).
picture_matcher = on_message(rule=is_a_screenshot_to_read, priority=AFTER_COMMANDS + 5, block=True)
wants_messages(may_answer_a_proposal)
wants_messages(may_be_a_screenshot)

do_answer(proposal_matcher)
do_read(picture_matcher)


async def refresh_screenshot_groups() -> None:
    """Another bot process sharing the database may have switched a group (/设置)."""
    try:
        await pool().group_rules.refresh_screenshot_groups()
    except Exception:
        logger.exception("could not refresh the groups that read screenshots")


scheduler.add_job(
    refresh_screenshot_groups,
    "interval",
    minutes=1,
    id="shop_guard_screenshot_groups",
    replace_existing=True,
    max_instances=1,
)
