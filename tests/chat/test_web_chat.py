"""/令牌 and /后台 through NoneBot (nonebug): private chat only, shown once, kept hashed."""

from __future__ import annotations

import re

import pytest
from nonebug import App

from bot.storage.models.access import ApiKey, LoginToken
from bot.trust.access import digest
from tests.conversation import Reply, converse

pytestmark = pytest.mark.usefixtures("empty_session_pool")


async def test_an_api_key_is_given_privately_once_and_kept_as_a_hash(app: App):
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")), user_id=1)
    # In a group: the hint, and no key is made.
    await converse(app, ("/令牌", Reply("请私聊机器人发 /令牌", forbid=("sg_",))), user_id=1)
    assert await ApiKey.all().count() == 0
    made = Reply("店铺「甲店」的新 API 密钥", "sg_", "http://dashboard.test/api/v1/openapi.json", forbid=("失效",))
    await converse(app, ("/apikey", made), user_id=1, private=True)
    key = re.search(r"sg_[\w-]+", made.seen or "")
    assert key is not None
    first = await ApiKey.get()
    # Once a key exists, /令牌 says so and how to replace it: the shop's order system
    # keeps working until the merchant asks for a new key in words.
    state = Reply("已有 API 密钥", first.prefix, "还没用过", "/令牌 更换", forbid=(key.group(0),))
    await converse(app, ("/令牌", state), user_id=1, private=True)
    assert (await ApiKey.get()).key_hash == first.key_hash
    await converse(app, ("/令牌 更换", Reply("新 API 密钥", "之前的密钥已经失效")), user_id=1, private=True)
    second = await ApiKey.get()
    assert first.key_hash != second.key_hash and await ApiKey.all().count() == 1
    await converse(
        app, ("/令牌 删掉", Reply("「删掉」不是 /令牌 后面能写的词", "/令牌 [更换]")), user_id=1, private=True
    )
    assert (await ApiKey.get()).key_hash == second.key_hash
    await converse(app, ("/令牌", Reply("你还没有绑定店铺")), user_id=2, private=True)


async def test_a_login_link_is_one_time_and_private(app: App):
    await converse(app, ("/后台", Reply("请私聊机器人发 /后台", forbid=("token=",))), user_id=1)
    link = Reply("网页后台登录链接", "10 分钟内有效", "http://dashboard.test/login?token=")
    await converse(app, ("/dashboard", link), user_id=1, private=True)
    token = re.search(r"token=([\w-]+)", link.seen or "")
    assert token is not None
    stored = await LoginToken.get()
    # Only the digest is stored: the link in the chat is the one copy of the token.
    assert stored.token_hash == digest(token.group(1)) and token.group(1) not in stored.token_hash
    assert stored.account == "qq:1" and stored.used_at is None
