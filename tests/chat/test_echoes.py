"""No reply repeats a phone number the user typed (issue 25: `/处理 3 tb_x 13812345678`
answered 「手机号请写成 手机:13812345678」 into the group). A phone typed where a buyer id,
an order number or a word goes is named masked only: 「手机号 138****5678」."""

from __future__ import annotations

import pytest
from nonebug import App

from tests.conversation import Reply, converse

pytestmark = pytest.mark.usefixtures("empty_session_pool")


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("/处理 3 tb_x 13965432178", ("这看起来是手机号 139****2178", "手机号请写成 手机:号码")),
        ("/处理 3 tb_x 139–6543–2178", ("这看起来是手机号 139****2178",)),
        ("/举报 tb_x 差评师 (139)6543-2178", ("这看起来是手机号 139****2178",)),
        ("/举报 8613965432178 差评师", ("买家ID不能是手机号：手机号 139****2178", "手机:号码")),
        ("/举报 86-139-6543-2178 差评师", ("买家ID不能是手机号：手机号 139****2178",)),
        ('/查 "139 - 6543 - 2178"', ("买家ID不能是手机号：手机号 139****2178",)),
        ("/查 tb_x 13965432178", ("看不懂的线索「139****2178」",)),
        ("/撤回 13965432178", ("139****2178",)),
        ("/帮助 139_6543_2178", ("没有「139****2178」这个命令",)),
        ("/处理 吃饭吃饭吃饭吃饭吃饭吃饭13965432178", ("不认识的情况",)),
    ],
)
async def test_a_typed_phone_is_never_repeated(app: App, command: str, words: tuple[str, ...]):
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    await converse(app, (command, Reply(*words, forbid=("6543",))))


async def test_the_number_of_the_issue_is_not_repeated_either(app: App):
    # The old answer's own example was that very number.
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    await converse(app, ("/处理 3 tb_x 13812345678", Reply("手机号 138****5678", forbid=("13812345678",))))
