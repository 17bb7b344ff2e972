"""A deployment keeps its fingerprint key with its pool (the key guard), and a backup
brings both back on a new machine: phone numbers still link buyers after a restore."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.commands.grammar import parse_check, parse_report
from bot.deployment.backup import backup, restore
from bot.deployment.key_guard import KeyState, accept_key, guard_key
from bot.errors import Misconfigured
from bot.identity.fingerprints import KEY_FILE, load_secret
from bot.messaging.render import render
from bot.pool import close_pool, open_pool
from bot.settings import Settings
from bot.storage.database import database, describe, sqlite_url
from tests.conftest import SESSION_DB, drop_database, empty_postgres, verified_shop

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


class Deployment:
    """A deployment's settings on a backend of its own: a SQLite file in its data folder,
    or a new PostgreSQL database."""

    def __init__(self, kind: str, made: list[str]):
        self.kind = kind
        self.made = made

    async def settings(self, secret: str | None = None) -> Settings:
        url = await empty_postgres() if self.kind == "postgres" else None
        if url:
            self.made.append(url)
        return Settings(database_url=url, identity_hash_secret=secret)


@pytest.fixture(params=["sqlite", "postgres"])
async def deployment(request: pytest.FixtureRequest) -> AsyncIterator[Deployment]:
    """The session database stopped while the test opens pools of its own."""
    await database.stop()
    made: list[str] = []
    try:
        yield Deployment(request.param, made)
    finally:
        await database.stop()
        for url in made:
            await drop_database(url)
        await database.start(SESSION_DB)


def _key(folder: Path) -> bytes:
    found = load_secret(None, folder)
    assert found is not None
    return found


def _words(refusal: Misconfigured) -> str:
    return render(refusal.template, **refusal.context)


async def _populated(settings: Settings, folder: Path):
    pool = await open_pool(settings, folder)
    a = await verified_shop(pool.blacklist, "qq:1", "甲店")
    b = await verified_shop(pool.blacklist, "qq:2", "乙店")
    await pool.blacklist.report(a, parse_report("tb_one 差评师 3720000000000001 手机:13812345678"))
    await pool.blacklist.report(b, parse_report("tb_two 恶意退货 3720000000000002 地址:浙江省杭州市西湖区文三路100号"))
    return pool


async def test_a_new_deployment_makes_its_key_once_and_the_pool_remembers_it(deployment, tmp_path):
    settings = await deployment.settings()
    said: list[str] = []
    pool = await open_pool(settings, tmp_path, warn=said.append)
    await close_pool(pool)
    key = tmp_path / KEY_FILE
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    assert str(key) in said[0] and "备份" in said[0]
    # The second start finds it and matches.
    await database.start(settings.database_url or sqlite_url(tmp_path))
    guarded = await guard_key(None, tmp_path, "x", NOW)
    assert guarded.state is KeyState.matched and guarded.secret == load_secret(None, tmp_path)


async def test_a_start_with_another_key_is_refused_and_says_how_to_fix_it(deployment, tmp_path):
    settings = await deployment.settings("the-first-key-0123456789abcdef")
    await close_pool(await _populated(settings, tmp_path))
    other = settings.model_copy(update={"identity_hash_secret": "another-key-0123456789abcdef"})
    with pytest.raises(Misconfigured) as refused:
        await open_pool(other, tmp_path)
    assert refused.value.code == "deployment.key_mismatch"
    words = _words(refused.value)
    assert "密钥和数据库不匹配" in words and "2 条带手机号/地址的举报" in words
    assert "IDENTITY_HASH_SECRET" in words and "python -m bot restore" in words
    assert not database.started  # refused before anything else ran
    # The right key still starts.
    await close_pool(await open_pool(settings, tmp_path))


async def test_a_lost_key_file_is_not_silently_replaced(deployment, tmp_path):
    """The systemd unit pointed at another data folder, the database shared: the bot used
    to make a new key there and never match a phone again."""
    settings = await deployment.settings()
    await close_pool(await _populated(settings, tmp_path / "trial"))
    elsewhere = tmp_path / "service"
    url = settings.database_url or sqlite_url(tmp_path / "trial")
    moved = settings.model_copy(update={"database_url": url})
    with pytest.raises(Misconfigured) as refused:
        await open_pool(moved, elsewhere)
    assert refused.value.code == "deployment.key_missing"
    assert "找不到手机号/地址指纹密钥" in _words(refused.value) and str(elsewhere) in _words(refused.value)
    assert not (elsewhere / KEY_FILE).exists()  # nothing generated that would hide it
    # Copying the key file over is the fix.
    elsewhere.mkdir(exist_ok=True)
    (elsewhere / KEY_FILE).write_bytes((tmp_path / "trial" / KEY_FILE).read_bytes())
    await close_pool(await open_pool(moved, elsewhere))


async def test_accept_key_makes_the_pool_take_a_new_key_on_purpose(deployment, tmp_path):
    settings = await deployment.settings("the-first-key-0123456789abcdef")
    await close_pool(await _populated(settings, tmp_path))
    other = settings.model_copy(update={"identity_hash_secret": "another-key-0123456789abcdef"})
    await database.start(settings.database_url or sqlite_url(tmp_path))
    _, fingerprints = await accept_key(other.identity_hash_secret, tmp_path, NOW)
    await database.stop()
    assert fingerprints == 2
    await close_pool(await open_pool(other, tmp_path))
    with pytest.raises(Misconfigured):
        await open_pool(settings, tmp_path)


async def test_a_backup_restores_on_a_new_machine_and_phones_still_link(deployment, tmp_path):
    old = await deployment.settings()
    pool = await _populated(old, tmp_path / "old")
    (tmp_path / "old" / "evidence").mkdir()
    picture = tmp_path / "old" / "evidence" / ("ab" * 32 + ".png")
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 100)
    (tmp_path / "old" / "web_signing_key").write_text("11" * 32)
    archive = tmp_path / "backups" / "shop-guard.tar.gz"
    # While the bot runs: the pool is open.
    made = await backup(archive, old, tmp_path / "old", _key(tmp_path / "old"), NOW)
    await close_pool(pool)
    assert made.database == deployment.kind and made.pool == {"shops": 2, "buyers": 2, "reports": 2}
    assert made.evidence == 1 and oct(archive.stat().st_mode & 0o777) == "0o600"

    # A new machine: another data folder, a new database, no key.
    new = await deployment.settings()
    restored = await restore(archive, new, tmp_path / "new", NOW)
    assert restored.pool == {"shops": 2, "buyers": 2, "reports": 2} and restored.evidence == 1
    assert (tmp_path / "new" / KEY_FILE).read_bytes() == (tmp_path / "old" / KEY_FILE).read_bytes()
    assert (tmp_path / "new" / "evidence" / picture.name).read_bytes() == picture.read_bytes()
    assert (tmp_path / "new" / "web_signing_key").read_text() == "11" * 32

    pool = await open_pool(new, tmp_path / "new")
    try:
        # /查 with 手机: finds the buyer reported under that phone before the move.
        result = await pool.blacklist.check(parse_check("tb_someone_new 手机:138-1234-5678"))
        assert [x.buyer_id for x in result.verdict.linked_accounts] == ["tb_one"]
        result = await pool.blacklist.check(parse_check('tb_other 地址:"浙江省 杭州市 西湖区 文三路100号"'))
        assert [x.buyer_id for x in result.verdict.linked_accounts] == ["tb_two"]
    finally:
        await close_pool(pool)

    # Now the pool holds data: a second restore needs --force.
    with pytest.raises(Misconfigured) as refused:
        await restore(archive, new, tmp_path / "new", NOW)
    assert refused.value.code == "deployment.restore_not_empty"
    assert "2 个店铺" in _words(refused.value) and "--force" in _words(refused.value)
    again = await restore(archive, new, tmp_path / "new", NOW, force=True)
    assert again.pool["reports"] == 2
    if deployment.kind == "sqlite":
        assert any(path.name.startswith("shop_guard.sqlite3.before-restore-") for path in again.kept)


async def test_a_restore_refuses_a_configured_key_that_is_not_the_backups(deployment, tmp_path):
    old = await deployment.settings()
    await close_pool(await _populated(old, tmp_path / "old"))
    await database.start(old.database_url or sqlite_url(tmp_path / "old"))
    await backup(tmp_path / "b.tar.gz", old, tmp_path / "old", _key(tmp_path / "old"), NOW)
    await database.stop()
    new = await deployment.settings("a-different-key-0123456789abcdef")
    with pytest.raises(Misconfigured) as refused:
        await restore(tmp_path / "b.tar.gz", new, tmp_path / "new", NOW)
    assert refused.value.code == "deployment.restore_other_key"
    assert not (tmp_path / "new" / KEY_FILE).exists()


async def test_a_damaged_archive_restores_nothing(tmp_path):
    archive = tmp_path / "broken.tar.gz"
    archive.write_bytes(b"not an archive")
    with pytest.raises(Misconfigured) as refused:
        await restore(archive, Settings(), tmp_path / "new", NOW)
    assert refused.value.code == "deployment.archive_unreadable"
    assert "什么都没有恢复" in _words(refused.value)
    assert not (tmp_path / "new" / KEY_FILE).exists()


def test_describe_hides_the_password():
    assert describe("postgres://u:secret@h:5432/db") == "postgres://u:***@h:5432/db"


async def test_the_doctor_finds_a_key_that_does_not_fit_and_a_database_it_cannot_reach(deployment, tmp_path):
    from bot.deployment.data_folder import DataFolder
    from bot.deployment.doctor import Health, OneBotSetup, examine

    settings = await deployment.settings("the-first-key-0123456789abcdef")
    await close_pool(await _populated(settings, tmp_path))
    nobody = OneBotSetup([], None, serves_reverse=False)
    other = settings.model_copy(update={"identity_hash_secret": "another-key-0123456789abcdef"})

    def by_check(findings):
        return {found.check: found for found in findings}

    found = by_check(await examine(other, DataFolder(tmp_path), nobody, seconds=5))
    assert found["key"].health is Health.problem and found["key"].context["state"] == "mismatch"
    words = render("deployment/doctor/key.j2", health="problem", **found["key"].context)
    assert "不匹配" in words and "2 条带手机号/地址的举报" in words
    assert found["database"].health is Health.ok and found["onebot_missing"].health is Health.warning
    assert not database.started  # opened to look, closed again
    found = by_check(await examine(settings, DataFolder(tmp_path), nobody, seconds=5))
    assert found["key"].context["state"] == "matched"

    unreachable = settings.model_copy(update={"database_url": "postgres://nobody@127.0.0.1:9/none"})
    found = by_check(await examine(unreachable, DataFolder(tmp_path), nobody, seconds=5))
    assert found["database"].health is Health.problem and "key" not in found
    assert "DATABASE_URL" in render("deployment/doctor/database.j2", health="problem", **found["database"].context)


async def test_a_restore_into_a_database_it_cannot_reach_says_so(deployment, tmp_path):
    old = await deployment.settings()
    await close_pool(await _populated(old, tmp_path / "old"))
    await database.start(old.database_url or sqlite_url(tmp_path / "old"))
    await backup(tmp_path / "b.tar.gz", old, tmp_path / "old", _key(tmp_path / "old"), NOW)
    await database.stop()
    if deployment.kind == "sqlite":
        # Into a PostgreSQL deployment: refused before connecting.
        elsewhere = Settings(database_url="postgres://nobody@127.0.0.1:9/none")
        code = "deployment.restore_other_kind"
    else:
        elsewhere = old.model_copy(update={"database_url": "postgres://nobody@127.0.0.1:9/none"})
        code = "deployment.database_unreachable"
    with pytest.raises(Misconfigured) as refused:
        await restore(tmp_path / "b.tar.gz", elsewhere, tmp_path / "new", NOW)
    assert refused.value.code == code
    assert "postgres://nobody" in _words(refused.value) or "sqlite" in _words(refused.value)
    assert not database.started and not (tmp_path / "new" / KEY_FILE).exists()
