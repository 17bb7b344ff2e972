"""Personal data never reaches the database, the log or a written file in clear (issue:
phones written as +86…, with spaces, dots, dashes or full-width digits, ID-card numbers
and street addresses were stored and exported in clear; issue 25: en dashes,
underscores, slashes, brackets, full-width commas, spaced dashes, double spaces through
the API, and 86… as buyer ids).

A corpus of those forms goes through every entry point (chat commands, evidence, the
complaint letter, the HTTP API and the public appeal, import, export and screening on
the command line); then the database file, its WAL, the log and every file written are
searched for the clear digits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nonebot
import pytest
from nonebot import logger
from nonebot.adapters.onebot.v11 import Adapter, Bot
from nonebug import App

from bot.storage.models.cases import JointCase
from bot.storage.models.reports import Report
from bot.storage.models.shops import Shop
from tests.conftest import DATA_DIR, SESSION_DB
from tests.conversation import Reply, group_message, private_message, verify_user

PHONE_FORMS = [
    "+8613965432178",
    "139 6543 2178",
    "139.6543.2178",
    "１３９６５４３２１７８",
    "1 3 9 6 5 4 3 2 1 7 8",
    "139-6543-2178",
    # Issue 25: ten forms that reached the database, the WAL or the log in clear.
    "139–6543–2178",
    "139_6543_2178",
    "139/6543/2178",
    "(139)6543-2178",
    "139，6543，2178",
    "139 - 6543 - 2178",
    "139  6543  2178",
    "8613965432178",
    "008613965432178",
    "86-139-6543-2178",
]
ID_CARD = "110101199003074514"
ADDRESS = "浙江省杭州市西湖区文三路478号"
CORPUS = "、".join([*PHONE_FORMS, f"身份证{ID_CARD}", f"寄到{ADDRESS}3幢201室"])
# What must not be found anywhere: each form as typed, the bare digits, the middle digits
# with any separator, the ID number and the street part of the address.
NEEDLES = [
    *PHONE_FORMS,
    "13965432178",
    "96543217",
    *(f"6543{separator}2178" for separator in (" ", ".", "-", "–", "_", "/", "，", " - ", "  ")),
    "６５４３",
    "6 5 4 3",
    ID_CARD,
    "19900307",
    "文三路478号",
]


def leaks(data: bytes) -> list[str]:
    return [needle for needle in NEEDLES if needle.encode() in data]


def leaks_in_folder(folder: Path) -> dict[str, list[str]]:
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            hits = leaks(path.read_bytes())
            if hits:
                found[str(path)] = hits
    return found


async def say(app: App, text: str, expected: Reply, user_id: int, private: bool = False) -> None:
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = private_message(text, user_id=user_id) if private else group_message(text, user_id=user_id)
        ctx.receive_event(bot, event)
        ctx.should_call_send(event, expected, result={"message_id": 1})
        ctx.should_finished()


@pytest.mark.usefixtures("empty_session_pool")
async def test_the_corpus_through_chat_leaves_no_clear_digits(app: App, tmp_path: Path):
    log = tmp_path / "bot.log"
    sink = logger.add(str(log), level="DEBUG")
    try:
        # A shop name, and three shops reporting one buyer with the corpus in each report.
        for user in (1, 2, 3):
            await say(app, f"/绑定 淘宝 店{user}电话{PHONE_FORMS[user]}", Reply("已绑定", forbid=tuple(NEEDLES)), user)
            await verify_user(user)
            await say(
                app,
                f"/举报 tb_privacy 差评师 37200999999990{user:02d} 30 {CORPUS}",
                Reply("已收到举报", forbid=tuple(NEEDLES)),
                user,
            )
        # Where a phone is typed instead of a buyer id or an order number: refused, not stored.
        for form in PHONE_FORMS:
            await say(app, f'/举报 "{form}" 差评师', Reply("买家ID不能是手机号", forbid=tuple(NEEDLES)), 1)
            await say(
                app,
                f"/举报 tb_other 差评师 {form}",
                Reply("这看起来是手机号 139****2178，不是订单号", forbid=tuple(NEEDLES)),
                1,
            )
        await say(app, "/处理 差评敲诈 tb_privacy 139-6543-2178", Reply("这看起来是手机号", forbid=tuple(NEEDLES)), 1)
        await say(app, f"/查 tb_privacy 手机:{PHONE_FORMS[0]}", Reply("139****2178", forbid=tuple(NEEDLES)), 2)
        # Evidence text and the complaint letter (a file in the data folder).
        case = await JointCase.get()
        await say(app, f"/联合 {case.id} 加入", Reply("你已加入这个案件"), 1, private=True)
        async with app.test_matcher() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            event = private_message(f"/证据 {case.id} 聊天记录：{CORPUS}", user_id=1)
            ctx.receive_event(bot, event)
            ctx.should_call_send(event, Reply("已为案件", "记录证据", forbid=tuple(NEEDLES)), result={"message_id": 1})
            ctx.should_paused()
        async with app.test_matcher() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            event = private_message(f"/投诉书 {case.id}", user_id=1)
            ctx.receive_event(bot, event)
            ctx.should_call_send(event, Reply("联合投诉书", forbid=tuple(NEEDLES)), result={"message_id": 1})
            ctx.should_call_api("upload_private_file", Reply(), result={})  # checked below, on disk
            ctx.should_call_send(event, Reply("联合投诉书已生成"), result={"message_id": 2})
            ctx.should_finished()
        await _through_the_api(tmp_path)
    finally:
        logger.remove(sink)

    reports = await Report.filter(buyer__buyer_key="tb_privacy")
    assert len(reports) == 3
    for part in ("139****2178", "110***********4514", "寄到浙江省杭州市***"):
        assert part in reports[0].description, reports[0].description
    assert all("电话139****" in shop.name for shop in await Shop.all())
    database_file = Path(SESSION_DB.removeprefix("sqlite://"))
    for path in database_file.parent.glob("shop_guard.sqlite3*"):  # the database, its WAL
        assert leaks(path.read_bytes()) == [], path
    assert leaks(log.read_bytes()) == []
    assert "tb_privacy" in log.read_text()  # the log was written, and holds the messages
    assert leaks_in_folder(DATA_DIR / "data") == {}
    assert any((DATA_DIR / "data").rglob("联合投诉书-*.txt"))


async def _through_the_api(tmp_path: Path) -> None:
    """The HTTP API keeps what chat's words fold (double spaces), and the public appeal
    is a door of its own."""
    from aiohttp.test_utils import TestClient, TestServer

    from bot.settings import Settings
    from nonebot_plugin_shop_guard.runtime import pool as session_pool
    from web import create_app

    services = session_pool()
    shop = await Shop.get(owner="qq:1")
    key = await services.access.rotate_key(shop, "qq:1")
    headers = {"Authorization": f"Bearer {key}"}
    async with TestClient(TestServer(create_app(services, Settings(), tmp_path))) as client:
        for form in PHONE_FORMS:
            report = {"buyer_id": "tb_api", "category": "恶拍", "description": f"电话  {form}  {CORPUS}"[:500]}
            response = await client.post("/api/v1/reports", json={**report, "phone": form}, headers=headers)
            assert response.status in (200, 201) and leaks(await response.read()) == [], await response.text()
            response = await client.post("/api/v1/reports", json={**report, "buyer_id": form}, headers=headers)
            body = await response.read()
            assert response.status == 400 and b"buyer_id_is_phone" in body and leaks(body) == [], body.decode()
        response = await client.post("/api/v1/appeals", json={"buyer_id": "tb_privacy", "reason": CORPUS[:500]})
        assert response.status == 201 and leaks(await response.read()) == []


def test_the_corpus_through_the_command_line_leaves_no_clear_digits(tmp_path: Path):
    env = {**os.environ, "SHOP_GUARD_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert leaks(done.stdout.encode()) == [] and leaks(done.stderr.encode()) == []
        return done

    rows = ["旺旺,原因,备注,手机,地址,订单号"]
    rows += [f'tb_cli_{n},差评师,"{CORPUS}",{form},{ADDRESS},' for n, form in enumerate(PHONE_FORMS)]
    rows += [f"tb_phone_order,差评师,,,,{PHONE_FORMS[5]}"]
    (tmp_path / "黑名单.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    imported = run("import", "黑名单.csv", "--shop", f"群黑名单{PHONE_FORMS[1]}")
    assert f"新增举报 {len(PHONE_FORMS)} 条" in imported.stdout and "订单号是手机号" in imported.stdout

    orders = ["订单编号,买家会员名,联系手机,收货地址,宝贝标题"]
    orders += [f'="3720000000000{n:03d}",tb_cli_{n},{form},{ADDRESS},"{CORPUS}"' for n, form in enumerate(PHONE_FORMS)]
    (tmp_path / "订单.csv").write_text("\n".join(orders) + "\n", encoding="utf-8")
    screened = run("screen", "订单.csv")
    assert "订单筛查完成" in screened.stdout
    run("export", "pool.csv")

    found = leaks_in_folder(tmp_path)
    # The merchant's own input files hold the corpus, of course; nothing the bot wrote does.
    assert set(found) == {str(tmp_path / "黑名单.csv"), str(tmp_path / "订单.csv")}, found
    assert (tmp_path / "订单.screened.csv").exists() and (tmp_path / "pool.csv").exists()
