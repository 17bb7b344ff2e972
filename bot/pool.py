"""Opening the shared pool: database, hash secret, and the services of the core. Used by
the storage plugin on NoneBot's startup and by the command-line tools."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.blacklist.blacklist import Blacklist
from bot.cases.guides import Guides
from bot.cases.joint import JointCases
from bot.clock import Clock, utc_now
from bot.commands.requests import CLUE_LOOKUPS_PER_DAY
from bot.deployment.key_guard import KeyState, guard_key
from bot.errors import Misconfigured
from bot.identity.accounts import qq_account
from bot.identity.fingerprints import KEY_FILE, Fingerprinter
from bot.identity.sealing import Sealer
from bot.messaging.alerts import Alerts
from bot.messaging.render import render
from bot.scoring.verdict import Level, Verdict
from bot.screening.jobs import ScreeningJobs
from bot.screening.ocr import OcrWorker
from bot.screening.reader import Screenshots
from bot.settings import Settings
from bot.states import DecisionKind
from bot.storage.database import database, describe, sqlite_path, sqlite_url
from bot.storage.models.reports import Report
from bot.storage.reports import OnDecided
from bot.trust.access import Access
from bot.trust.appeals import Appeals
from bot.trust.group_rules import GroupRules
from bot.trust.links import AccountLinks
from bot.trust.moderation import Moderation
from bot.trust.robots import Robots

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pool:
    blacklist: Blacklist
    alerts: Alerts
    joint: JointCases
    guides: Guides
    screenings: ScreeningJobs
    moderation: Moderation
    appeals: Appeals
    group_rules: GroupRules
    access: Access
    data_dir: Path
    robots: Robots
    # Opens what is stored sealed (a robot's address and secret) for the outbox sender.
    sealer: Sealer
    links: AccountLinks
    # Chat and order screenshots read into checks and proposed reports (OCR worker).
    screenshots: Screenshots


Say = Callable[[str], object]


async def open_pool(settings: Settings, data_dir: Path, warn: Say = log.warning, info: Say = log.info) -> Pool:
    """The database started and migrated, the fingerprint key checked against it (a key
    that does not fit refuses the start with Misconfigured), and the services."""
    url = settings.database_url or sqlite_url(data_dir)
    info(render("deployment/opening.j2", database=describe(url), folder=data_dir))
    if sqlite_path(url) is not None:
        await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    await database.start(url)
    try:
        key = await guard_key(settings.identity_hash_secret, data_dir, describe(url), utc_now())
    except BaseException:
        await database.stop()
        raise
    if key.state is KeyState.created:
        warn(render("deployment/key_created.j2", key_file=data_dir / KEY_FILE))
    elif key.state is KeyState.recorded:
        info(render("deployment/key_recorded.j2"))
    return assemble(settings, data_dir, key.secret, url)


async def refusal_to_start(settings: Settings, data_dir: Path, warn: Say = log.warning) -> str | None:
    """Why this deployment may not start (the fingerprint key does not fit its pool),
    in words; None when it may. Opens the database (migrating it) and closes it."""
    try:
        await close_pool(await open_pool(settings, data_dir, warn=warn, info=lambda _: None))
    except Misconfigured as refusal:
        return render(refusal.template, **refusal.context)
    return None


def superuser_account(user: str) -> str:
    """A SUPERUSERS entry as an account: a QQ number is "qq:<number>"; an openid of the
    official QQ bot (as NoneBot's own SUPERUSER check reads it) "qqbot:<openid>"; an
    account written whole stays as it is."""
    if ":" in user:
        return user
    return qq_account(user) if user.isdigit() else f"qqbot:{user}"


def assemble(settings: Settings, data_dir: Path, secret: bytes, url: str, clock: Clock = utc_now) -> Pool:
    """The services of the core on a started database (the tests pass a clock of their own)."""
    alerts = Alerts(data_dir, clock, mask_keep=settings.alert_mask_keep, realert_days=settings.realert_days)
    joint = JointCases(
        data_dir,
        clock,
        threshold=settings.joint_threshold_shops,
        window_days=settings.joint_window_days,
        reminder_days=settings.joint_reminder_days,
        evidence_folder_max_mb=settings.evidence_folder_max_mb,
        by_hand_shops=settings.joint_by_hand_shops,
    )
    blacklist = Blacklist(
        Fingerprinter(secret),
        clock,
        on_decided=compose(alerts.on_decided, joint.on_decided),
        reports_per_day=settings.reports_per_day,
        clue_lookups_per_day=(
            CLUE_LOOKUPS_PER_DAY if settings.clue_lookups_per_day is None else settings.clue_lookups_per_day
        ),
    )
    moderation = Moderation(
        blacklist,
        {superuser_account(user) for user in settings.superusers},
        clock,
        removals_to_unverify=settings.removals_to_unverify,
        removal_window_days=settings.removal_window_days,
        vouch_member_days=settings.vouch_member_days,
        vouches_per_week=settings.vouches_per_week,
    )
    appeals = Appeals(
        blacklist,
        moderation,
        data_dir,
        alerts.release_held,
        clock,
        reask_days=settings.appeal_reask_days,
        evidence_days=settings.appeal_evidence_days,
        hold_hours=settings.appeal_hold_hours,
        open_per_account=settings.appeals_open_per_account,
        per_account_per_day=settings.appeals_per_account_per_day,
        per_buyer_per_day=settings.appeals_per_buyer_per_day,
        notice_minutes=settings.appeal_notice_minutes,
    )
    screenings = ScreeningJobs(
        data_dir,
        secret,
        url,
        clock,
        workers=settings.screen_workers,
        queue_max=settings.screen_queue_max,
        memory_mb=settings.screen_memory_mb,
        seconds=settings.screen_timeout_seconds,
    )
    sealer = Sealer(secret)
    worker = OcrWorker(
        secret,
        memory_mb=settings.ocr_memory_mb,
        seconds=settings.ocr_timeout_seconds,
        threads=settings.ocr_threads,
        queue_max=settings.ocr_queue_max,
        idle_seconds=settings.ocr_idle_seconds,
    )
    return Pool(
        blacklist,
        alerts,
        joint,
        Guides(clock),
        screenings,
        moderation,
        appeals,
        GroupRules(moderation, clock),
        Access(clock),
        data_dir,
        Robots(moderation, sealer, clock, allowed_hosts=settings.webhook_allow_hosts),
        sealer,
        AccountLinks(moderation, clock),
        Screenshots(blacklist, worker, clock, proposal_minutes=settings.screenshot_proposal_minutes),
    )


async def close_pool(pool: Pool | None = None) -> None:
    if pool is not None:
        await pool.screenings.stop()
        await pool.screenshots.stop()
    await database.stop()


def compose(*hooks: OnDecided) -> OnDecided:
    """Several on_decided hooks, run in order inside the same transaction."""

    async def run(report: Report, level_before: Level, verdict: Verdict, decision_id: int, kind: DecisionKind) -> None:
        for hook in hooks:
            await hook(report, level_before, verdict, decision_id, kind)

    return run
