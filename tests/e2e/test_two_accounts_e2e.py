"""Two bot processes, each with its own QQ account over a real OneBot v11 WebSocket, on
one PostgreSQL (issue #29): a command in a group the two accounts share is answered
once; an alert reaches every subscribed group once, from the account that is there."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import drop_database, empty_postgres
from tests.onebot_client import MODERATOR, QQClientSide, running_bot

A_GROUP, SHARED, B_GROUP = 700_001, 700_002, 700_003


async def test_two_accounts_on_one_postgres_share_the_groups(tmp_path: Path, unused_tcp_port_factory):
    url = await empty_postgres()
    env = {"DATABASE_URL": url, "IDENTITY_HASH_SECRET": "two-accounts-secret-0123456789abcdef"}
    a = QQClientSide(self_id=3_000_000_001, groups=[A_GROUP, SHARED])
    b = QQClientSide(self_id=3_000_000_002, groups=[SHARED, B_GROUP])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    try:
        # One after the other: A's start migrates the new database before B connects to it.
        async with (
            running_bot(tmp_path / "a", unused_tcp_port_factory(), extra_env=env, client=a),
            running_bot(tmp_path / "b", unused_tcp_port_factory(), extra_env=env, client=b),
        ):
            await _two_accounts(a, b)
        for side in ("a", "b"):
            log = (tmp_path / side / "bot.log").read_text(errors="replace")
            assert "Traceback" not in log, log[-3000:]
        assert "in 2 groups, sends to 2 of them" in (tmp_path / "a" / "bot.log").read_text(errors="replace")
        assert "in 2 groups, sends to 1 of them" in (tmp_path / "b" / "bot.log").read_text(errors="replace")
    finally:
        await drop_database(url)


async def _two_accounts(a: QQClientSide, b: QQClientSide) -> None:
    assert "已订阅" in await a.say("/订阅", user_id=MODERATOR, role="admin", group_id=A_GROUP)
    assert "已订阅" in await b.say("/订阅", user_id=MODERATOR, role="admin", group_id=B_GROUP)
    # In the shared group both accounts hear the command; only A, which serves it, answers.
    await b._send("/订阅", MODERATOR, SHARED, "admin")
    assert "已订阅" in await a.say("/订阅", user_id=MODERATOR, role="admin", group_id=SHARED)
    await b._send("/查 淘宝 nobody_here", 100003, SHARED)
    assert "nobody_here：无记录" in await a.say("/查 淘宝 nobody_here", user_id=100003, group_id=SHARED)

    for user in (100001, 100002):
        assert "已绑定店铺" in await a.say(f"/绑定 淘宝 店{user}", user_id=user, group_id=A_GROUP)
        assert "已认证" in await a.say(f"/认证 {user}", user_id=MODERATOR, group_id=A_GROUP)
    await a.say("/举报 淘宝 two_acct_buyer 差评师 3720012345670001", user_id=100001, group_id=A_GROUP)
    reply = await a.say("/举报 淘宝 two_acct_buyer 恶意退货 3720012345670002", user_id=100002, group_id=A_GROUP)
    assert "该买家现在：高风险" in reply

    # Each subscribed group gets the alert once, from the account that is in it.
    for client, group in ((a, A_GROUP), (a, SHARED), (b, B_GROUP)):
        assert "tw**********er" in await client.wait("group", group, "高风险买家预警", timeout=30)
    await asyncio.sleep(2)
    assert len(a.alerts) == 2 and len(b.alerts) == 1
    assert not [m for m in b.messages if m[:2] == ("group", SHARED)]
    # B answered in its own group and nowhere else.
    assert {target for channel, target, _ in b.messages if channel == "group"} == {B_GROUP}
