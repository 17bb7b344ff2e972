"""Upgrading a database that holds data: every migration after the first must apply to
a populated pool, on SQLite and PostgreSQL (tests otherwise only ever migrate empty
databases)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from tortoise.context import TortoiseContext, set_global_context
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from bot.states import Channel, OutboxKind, ReportState
from bot.storage.alerts import standing_alert
from bot.storage.database import database, sqlite_url, tortoise_config
from bot.storage.outbox import enqueue
from tests.conftest import SESSION_DB, drop_database, empty_postgres


async def _migrated_to(url: str, target: str, statements: tuple[str, ...]) -> None:
    """Migrate a new database up to `target` only and fill it with rows."""
    config = tortoise_config(url)
    context = TortoiseContext()
    set_global_context(context)
    try:
        await context.init(config=config)
        await MigrationExecutor(context.db(), config["apps"]).migrate([MigrationTarget("models", target)])
        for sql in statements:
            await context.db().execute_script(sql)
    finally:
        await context.close_connections()


@contextlib.asynccontextmanager
async def populated(kind: str, tmp_path, target: str, statements: tuple[str, ...]) -> AsyncIterator[str]:
    """A new database of `kind` migrated to `target` and filled; the session's database
    is put back after."""
    await database.stop()
    url = sqlite_url(tmp_path) if kind == "sqlite" else await empty_postgres()
    try:
        await _migrated_to(url, target, statements)
        yield url
    finally:
        await database.stop()
        await drop_database(url)
        await database.start(SESSION_DB)


NOW = "2026-11-01 00:00:00+00:00"


@pytest.fixture(params=["sqlite", "postgres"])
async def old_pool(request, tmp_path):
    """A database migrated to the first release's schema only (issue 2)."""
    now = NOW
    async with populated(
        request.param,
        tmp_path,
        "0001_initial",
        (
            f"INSERT INTO shop (owner, platform, name, created_at, updated_at) VALUES ('qq:1', 'taobao', '甲', '{now}', '{now}')",
            # Two accounts that bound the same name before names were unique (0009).
            f"INSERT INTO shop (owner, platform, name, created_at, updated_at) VALUES ('qq:2', 'taobao', 'Ａb店', '{now}', '{now}')",
            f"INSERT INTO shop (owner, platform, name, created_at, updated_at) VALUES ('qq:3', 'taobao', 'ab店', '{now}', '{now}')",
            f"INSERT INTO buyer (platform, buyer_key, created_at) VALUES ('taobao', 'tb_old', '{now}')",
            "INSERT INTO report (shop_id, buyer_id, category, description, dedup_key, created_at)"
            f" VALUES (1, 1, 'extortion', '', 'kind:extortion', '{now}')",
            "INSERT INTO report (shop_id, buyer_id, category, description, dedup_key, created_at, retracted_at)"
            f" VALUES (1, 1, 'scalper', '', 'kind:scalper', '{now}', '{now}')",
        ),
    ) as url:
        yield url


async def test_later_migrations_apply_to_a_populated_database(old_pool):
    await database.start(old_pool)
    from bot.storage.models.messaging import OutboxMessage
    from bot.storage.models.reports import Buyer, Report

    buyer = await Buyer.get(buyer_key="tb_old")
    assert buyer.alerted is False
    # A report retracted before reports had a state is retracted after (0006).
    states = {r.category: r.state for r in await Report.filter(buyer_id=buyer.id)}
    assert states == {"extortion": ReportState.active, "scalper": ReportState.retracted}
    assert await OutboxMessage.all().count() == 0
    # The outbox column renamed in 0006 kept its unique constraint (one event, once).
    now = datetime(2026, 11, 1, tzinfo=UTC)
    assert await enqueue(OutboxKind.alert, Channel.group, 5, "alert:1", "x", now)
    assert not await enqueue(OutboxKind.alert, Channel.group, 5, "alert:1", "x", now)
    assert await OutboxMessage.filter(target_id=5).count() == 1
    # Every migration kept the report table's indexes (a Tortoise AlterField on SQLite
    # rebuilds a table without them), and 0008 added the time-window one.
    from tortoise.connection import get_connection

    connection = get_connection("default")
    if connection.capabilities.dialect == "postgres":
        sql = "SELECT indexdef FROM pg_indexes WHERE tablename = 'report'"
    else:
        sql = "SELECT sql FROM sqlite_master WHERE tbl_name = 'report' AND sql IS NOT NULL"
    definitions = " ".join(str(row[0]) for row in (await connection.execute_query(sql))[1])
    for column in ("phone_hash", "address_hash", "buyer_id", "created_at"):
        assert f'("{column}")' in definitions or f"({column})" in definitions, (column, definitions)


@pytest.fixture(params=["sqlite", "postgres"])
async def trust_release_pool(request, tmp_path):
    """A database at the trust release (0009): a buyer alerted before alerts were kept
    per level, and a joint case with a joined and an invited member."""
    yes = "TRUE" if request.param == "postgres" else "1"
    async with populated(
        request.param,
        tmp_path,
        "0009_trust",
        (
            f"INSERT INTO shop (owner, platform, name, name_key, created_at, updated_at)"
            f" VALUES ('qq:1', 'taobao', '甲店', '甲店', '{NOW}', '{NOW}')",
            f"INSERT INTO shop (owner, platform, name, name_key, created_at, updated_at)"
            f" VALUES ('qq:2', 'taobao', '乙店', '乙店', '{NOW}', '{NOW}')",
            f"INSERT INTO buyer (platform, buyer_key, created_at, alerted) VALUES ('taobao', 'tb_hot', '{NOW}', {yes})",
            f"INSERT INTO joint_case (buyer_id, status, status_changes, created_at, updated_at)"
            f" VALUES (1, '收集证据', 0, '{NOW}', '{NOW}')",
            f"INSERT INTO joint_member (case_id, shop_id, state, invited_at, joined_at)"
            f" VALUES (1, 1, 'joined', '{NOW}', '{NOW}')",
            f"INSERT INTO joint_member (case_id, shop_id, state, invited_at) VALUES (1, 2, 'invited', '{NOW}')",
            f"INSERT INTO subscription (group_id, digest_time, active, delivery, subscribed_by, created_at, updated_at)"
            f" VALUES (5, '09:00', {yes}, 'ok', 'qq:9', '{NOW}', '{NOW}')",
        ),
    ) as url:
        yield url


async def test_0010_keeps_the_alerted_buyers_told_and_the_joined_names(trust_release_pool):
    await database.start(trust_release_pool)
    from bot.storage.models.cases import JointCase, JointMember
    from bot.storage.models.messaging import Alert, Subscription

    # The buyer the groups were alerted about before 0010 has a standing 高风险 alert, so
    # that the next report about it does not alert them a second time.
    (alert,) = await Alert.filter(buyer__buyer_key="tb_hot")
    assert alert.level == "高风险" and alert.corrected_at is None
    assert await standing_alert(alert.buyer_id, "高风险")
    names = {m.shop_id: m.joined_name for m in await JointMember.all()}
    assert names == {1: "甲店", 2: None}
    case = await JointCase.get()
    assert case.unsent_changes == [] and case.reopened == 0 and case.proposed_status is None
    subscription = await Subscription.get(group_id=5)
    assert subscription.alert_level == "高风险" and subscription.digest_enabled


@pytest.fixture(params=["sqlite", "postgres"])
async def web_release_pool(request, tmp_path):
    """A database at the web release (0011): a group subscribed and an alert half-way
    through the outbox, before robots and the official QQ bot (0013)."""
    yes = "TRUE" if request.param == "postgres" else "1"
    async with populated(
        request.param,
        tmp_path,
        "0011_web_access",
        (
            f"INSERT INTO subscription (group_id, digest_time, active, delivery, subscribed_by, created_at, updated_at)"
            f" VALUES (5, '09:00', {yes}, 'ok', 'qq:9', '{NOW}', '{NOW}')",
            "INSERT INTO outbox (kind, channel, target_id, event_key, text, status, attempts, next_attempt_at,"
            f" created_at) VALUES ('alert', 'group', 5, 'alert:1', '预警', 'pending', 2, '{NOW}', '{NOW}')",
        ),
    ) as url:
        yield url


async def test_0013_adds_robots_beside_the_groups_and_keeps_the_queue(web_release_pool):
    await database.start(web_release_pool)
    from bot.identity.places import robot_target
    from bot.storage.models.messaging import OutboxMessage
    from bot.storage.robots import qqbot_group_for, register_robot

    (queued,) = await OutboxMessage.all()
    assert (queued.target_id, queued.status, queued.attempts, queued.parts_sent) == (5, "pending", 2, 0)
    now = datetime(2026, 11, 2, tzinfo=UTC)
    robot, created = await register_robot(
        service="钉钉",
        host="oapi.dingtalk.com",
        address_sealed="sealed",
        address_digest="d" * 64,
        address_mask="oapi.dingtalk.com/…1234",
        secret_sealed=None,
        keyword=None,
        owner="cli",
        alert_level="高风险",
        digest_time="09:00",
        digest_enabled=True,
        now=now,
    )
    assert created
    # The same event for the group and for the robot are two messages, never one.
    assert await enqueue(OutboxKind.alert, Channel.group, robot_target(robot.id), "alert:1", "预警", now)
    assert await OutboxMessage.filter(event_key="alert:1").count() == 2
    group = await qqbot_group_for("GROUP_OPENID", "102000001", now)
    assert group.pushes_allowed and group.pushes == 0


@pytest.fixture(params=["sqlite", "postgres"])
async def verified_release_pool(request, tmp_path):
    """A database at 0011 with shops verified in the old way (one row each) and an appeal
    open without an end to its hold."""
    shop = "INSERT INTO shop (owner, platform, name, name_key, verified_at, verified_by, verified_in, created_at, updated_at)"
    async with populated(
        request.param,
        tmp_path,
        "0011_web_access",
        (
            "INSERT INTO moderator (account, added_by, created_at) VALUES ('qq:600', 'qq:90000', '2026-10-01')",
            f"{shop} VALUES ('qq:1', 'taobao', '甲店', '甲店', '{NOW}', 'qq:500', 7000, '{NOW}', '{NOW}')",
            f"{shop} VALUES ('qq:2', 'taobao', '乙店', '乙店', '{NOW}', 'qq:90000', NULL, '{NOW}', '{NOW}')",
            f"{shop} VALUES ('qq:3', 'taobao', '丙店', '丙店', '{NOW}', 'qq:600', 7001, '{NOW}', '{NOW}')",
            f"{shop} VALUES ('qq:4', 'taobao', '丁店', '丁店', NULL, NULL, NULL, '{NOW}', '{NOW}')",
            f"INSERT INTO buyer (platform, buyer_key, created_at) VALUES ('taobao', 'tb_appealed', '{NOW}')",
            "INSERT INTO appeal (buyer_id, appellant, reason, state, open_buyer, created_at)"
            f" VALUES (1, 'qq:555', '冤枉', 'open', 1, '{NOW}')",
        ),
    ) as url:
        yield url


async def test_0012_turns_verifications_into_vouches_and_bounds_open_holds(verified_release_pool):
    """A shop verified in a group rests on that group's admin; one verified by a 版主 (an
    appointed one, even in a group, or anyone outside a group) on a 版主; an appeal open
    before the release holds for 48 hours from when it was opened."""
    from datetime import timedelta

    from bot.storage.models.appeals import Appeal
    from bot.storage.models.shops import Shop
    from bot.storage.models.trust import Vouch

    await database.start(verified_release_pool)
    shops = {s.owner: s for s in await Shop.all()}
    assert shops["qq:1"].roots == "qq:500@7000"
    assert shops["qq:2"].roots == "m" and shops["qq:3"].roots == "m"
    assert shops["qq:4"].roots == "" and shops["qq:4"].verified_at is None
    vouches = {(v.voucher, v.group_id, v.by_moderator) for v in await Vouch.all()}
    assert vouches == {("qq:500", 7000, False), ("qq:90000", None, True), ("qq:600", 7001, True)}
    (appeal,) = await Appeal.all()
    assert appeal.hold_until == datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=48)


@pytest.fixture(params=["sqlite", "postgres"])
async def web_access_pool(request, tmp_path):
    """A database at the web release (0011): a login link used and an API key."""
    async with populated(
        request.param,
        tmp_path,
        "0011_web_access",
        (
            f"INSERT INTO shop (owner, platform, name, name_key, created_at, updated_at)"
            f" VALUES ('qq:1', 'taobao', '甲店', '甲店', '{NOW}', '{NOW}')",
            f"INSERT INTO login_token (token_hash, account, expires_at, used_at)"
            f" VALUES ('{'a' * 64}', 'qq:1', '{NOW}', '{NOW}')",
            f"INSERT INTO api_key (shop_id, key_hash, prefix, created_by, created_at)"
            f" VALUES (1, '{'b' * 64}', 'sg_x', 'qq:1', '{NOW}')",
        ),
    ) as url:
        yield url


async def test_0014_keeps_dashboard_sessions_that_logging_out_ends(web_access_pool):
    await database.start(web_access_pool)
    from bot.storage.models.access import ApiKey, LoginToken
    from bot.trust.access import Access

    assert await LoginToken.all().count() == 1 and await ApiKey.all().count() == 1
    access = Access()
    token = await access.start_session("qq:1")
    assert await access.session_account(token) == "qq:1"
    await access.end_session(token)
    assert await access.session_account(token) is None


@pytest.fixture(params=["sqlite", "postgres"])
async def previous_release_pool(request, tmp_path):
    """A database at the release before the deployment facts (0011_web_access), with a
    pool in it: two verified shops, reports on two buyers sharing a phone, an API key."""
    from bot.identity.fingerprints import Fingerprinter
    from tests.conftest import SECRET

    phone = Fingerprinter(SECRET).phone("13812345678")
    async with populated(
        request.param,
        tmp_path,
        "0011_web_access",
        (
            *(
                f"INSERT INTO shop (owner, platform, name, name_key, created_at, updated_at, verified_at, verified_by)"
                f" VALUES ('qq:{n}', 'taobao', '店{n}', '店{n}', '{NOW}', '{NOW}', '{NOW}', 'qq:90000')"
                for n in (1, 2)
            ),
            f"INSERT INTO buyer (platform, buyer_key, created_at) VALUES ('taobao', 'tb_one', '{NOW}')",
            f"INSERT INTO buyer (platform, buyer_key, created_at) VALUES ('pdd', 'pdd_two', '{NOW}')",
            *(
                "INSERT INTO report (shop_id, buyer_id, category, order_no, description, phone_hash, phone_mask,"
                f" dedup_key, created_at, state) VALUES ({n}, {n}, 'extortion', '372000000000000{n}', '',"
                f" '{phone.digest}', '{phone.mask}', 'order:372000000000000{n}', '{NOW}', 'active')"
                for n in (1, 2)
            ),
            "INSERT INTO api_key (shop_id, key_hash, prefix, created_by, created_at)"
            f" VALUES (1, '{'ab' * 32}', 'sg_abcdefg', 'qq:1', '{NOW}')",
        ),
    ) as url:
        yield url


async def test_the_previous_release_upgrades_with_its_pool_and_records_the_key(previous_release_pool, tmp_path):
    """What an upgrade does (README: pull, install, restart): the start migrates the
    pool to this release; phones still link, and the key it started with is recorded."""
    from bot.blacklist.blacklist import Blacklist
    from bot.commands.grammar import parse_check
    from bot.deployment.key_guard import KeyState, guard_key
    from bot.errors import Misconfigured
    from bot.identity.fingerprints import Fingerprinter
    from bot.storage.database import head_migration
    from bot.storage.deployment import IDENTITY_KEY_CHECK, fact_of
    from bot.storage.models.access import ApiKey
    from tests.conftest import SECRET

    await database.start(previous_release_pool)
    assert head_migration() > "0011_web_access"
    assert await fact_of(IDENTITY_KEY_CHECK) is None
    assert (await ApiKey.get()).prefix == "sg_abcdefg"
    verdict = (await Blacklist(Fingerprinter(SECRET)).check(parse_check("tb_new 手机:13812345678"))).verdict
    assert sorted(x.buyer_id for x in verdict.linked_accounts) == ["pdd_two", "tb_one"]
    # The first start after the upgrade records the key; a later one with another is refused.
    assert (await guard_key(SECRET.decode(), tmp_path, "db", datetime.now(UTC))).state is KeyState.recorded
    assert (await guard_key(SECRET.decode(), tmp_path, "db", datetime.now(UTC))).state is KeyState.matched
    with pytest.raises(Misconfigured):
        await guard_key("another-key-0123456789abcdef", tmp_path, "db", datetime.now(UTC))


@pytest.fixture(params=["sqlite", "postgres"])
async def sessions_release_pool(request, tmp_path):
    """A database at 0015: a subscribed group with its rules, and a verified shop."""
    async with populated(
        request.param,
        tmp_path,
        "0015_deployment_facts",
        (
            f"INSERT INTO shop (owner, platform, name, name_key, verified_at, roots, created_at, updated_at)"
            f" VALUES ('qq:1', 'pdd', '多多店', '多多店', '{NOW}', 'm', '{NOW}', '{NOW}')",
            "INSERT INTO subscription (group_id, digest_time, digest_enabled, alert_level, active, delivery,"
            f" subscribed_by, created_at, updated_at) VALUES (7000, '21:30', true, '极高风险', true, 'ok', 'qq:1',"
            f" '{NOW}', '{NOW}')",
        ),
    ) as url:
        yield url


async def test_0016_adds_the_group_platform_and_the_stored_lookup_allowance(sessions_release_pool):
    """The group keeps its rules and has no platform until it sets one (every platform);
    a shop's phone lookups are counted in the database from the first one."""
    await database.start(sessions_release_pool)
    from bot.storage.group_rules import change_group_rule, group_platforms, rules_of_group
    from bot.storage.shops import clue_lookups_used, take_clue_lookups

    rules = await rules_of_group(7000)
    assert rules is not None and (rules.digest_time, rules.alert_level, rules.platform) == ("21:30", "极高风险", None)
    assert await group_platforms() == {}
    now = datetime(2026, 11, 2, tzinfo=UTC)
    await change_group_rule(7000, "qq:1", "平台", "关", "拼多多", now, platform="pdd")
    assert await group_platforms() == {7000: "pdd"}
    assert await clue_lookups_used(1, "2026-11-02") == 0
    assert await take_clue_lookups(1, "2026-11-02", 3, 4) == (3, 3)
    assert await take_clue_lookups(1, "2026-11-02", 3, 4) == (1, 4)
    assert await take_clue_lookups(1, "2026-11-02", 1, 4) == (0, 4)
    assert await clue_lookups_used(1, "2026-11-03") == 0


@pytest.fixture(params=["sqlite", "postgres"])
async def platforms_release_pool(request, tmp_path):
    """A database at the platforms release (0016): a subscribed group and a report, before
    screenshots were read (0017)."""
    yes = "TRUE" if request.param == "postgres" else "1"
    async with populated(
        request.param,
        tmp_path,
        "0016_group_platform_and_lookups",
        (
            f"INSERT INTO shop (owner, platform, name, name_key, created_at, updated_at)"
            f" VALUES ('qq:1', 'taobao', '甲店', '甲店', '{NOW}', '{NOW}')",
            f"INSERT INTO buyer (platform, buyer_key, created_at) VALUES ('taobao', 'tb_shot', '{NOW}')",
            "INSERT INTO report (shop_id, buyer_id, category, description, dedup_key, created_at)"
            f" VALUES (1, 1, 'extortion', '', 'kind:extortion', '{NOW}')",
            f"INSERT INTO subscription (group_id, digest_time, active, delivery, subscribed_by, created_at, updated_at)"
            f" VALUES (5, '09:00', {yes}, 'ok', 'qq:9', '{NOW}', '{NOW}')",
        ),
    ) as url:
        yield url


async def test_0017_reads_no_group_s_pictures_unasked_and_keeps_screenshots_with_reports(platforms_release_pool):
    await database.start(platforms_release_pool)
    from bot.storage.group_rules import screenshot_groups
    from bot.storage.models.messaging import Subscription
    from bot.storage.reports import add_report_evidence, report_evidence

    subscription = await Subscription.get(group_id=5)
    assert subscription.read_screenshots is False and subscription.active
    assert await screenshot_groups() == []
    now = datetime(2026, 11, 2, tzinfo=UTC)
    assert await add_report_evidence(1, "screenshot", "a" * 64, now)
    assert not await add_report_evidence(1, "screenshot", "a" * 64, now)  # once per report
    assert [e.sha256 for e in await report_evidence(1)] == ["a" * 64]
    await Subscription.filter(group_id=5).update(read_screenshots=True)
    assert await screenshot_groups() == [5]
