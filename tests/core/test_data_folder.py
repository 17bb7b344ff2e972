"""One data folder for the bot, its tools, the systemd unit and the tests
(bot/deployment/data_folder.py), and the old default folder still found."""

from __future__ import annotations

from pathlib import Path

from bot.deployment.data_folder import data_folder


def test_the_setting_names_the_folder_relative_to_where_the_bot_runs(tmp_path: Path):
    assert data_folder("data", tmp_path).path == tmp_path / "data"
    assert data_folder("/var/lib/shop-guard", tmp_path).path == Path("/var/lib/shop-guard")
    assert data_folder("../shared", tmp_path / "checkout").path == tmp_path / "shared"


def test_unset_it_is_data_beside_the_bot(tmp_path: Path):
    found = data_folder(None, tmp_path, legacy=tmp_path / "old" / "storage")
    assert found.path == tmp_path / "data" and not found.legacy


def test_a_pool_in_the_old_default_folder_is_still_found_until_moved(tmp_path: Path):
    legacy = tmp_path / "home" / ".local" / "share" / "nonebot2" / "storage"
    legacy.mkdir(parents=True)
    (legacy / "shop_guard.sqlite3").write_bytes(b"")
    found = data_folder(None, tmp_path / "checkout", legacy=legacy)
    assert found.path == legacy and found.legacy and found.moved_to == tmp_path / "checkout" / "data"
    # Once the new folder holds a pool (moved, or started there), the old one is left alone.
    (tmp_path / "checkout" / "data").mkdir(parents=True)
    (tmp_path / "checkout" / "data" / "identity_hash_secret").write_text("k" * 64)
    assert data_folder(None, tmp_path / "checkout", legacy=legacy).path == tmp_path / "checkout" / "data"
    # A configured folder always wins.
    assert data_folder(str(legacy), tmp_path / "checkout", legacy=legacy).legacy is False


def test_a_configured_empty_folder_says_where_the_old_pool_is(tmp_path: Path):
    legacy = tmp_path / "old" / "storage"
    legacy.mkdir(parents=True)
    (legacy / "identity_hash_secret").write_text("k" * 64)
    found = data_folder("./data", tmp_path, legacy=legacy)
    assert found.path == tmp_path / "data" and found.stranded == legacy
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "shop_guard.sqlite3").write_bytes(b"")
    assert data_folder("./data", tmp_path, legacy=legacy).stranded is None
