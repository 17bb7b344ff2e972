"""Deployment settings, read by NoneBot from the environment and `.env`.

A plain pydantic model so that bot/ imports without NoneBot; the plugins read it with
get_plugin_config(Settings) once NoneBot is initialised.
"""

from __future__ import annotations

from pydantic import BaseModel


class Settings(BaseModel):
    # NoneBot's own: the QQ numbers that run the bot. They are 版主 (moderators) and may
    # appoint others (DESIGN.md §7).
    superusers: set[str] = set()
    # The one data folder (SQLite pool, fingerprint key, signing key, evidence pictures),
    # relative to the folder the bot runs in (the checkout for `python -m bot`); unset:
    # data/ there (bot/deployment/data_folder.py: a pool still in the old default folder
    # of nonebot-plugin-localstore is found there).
    shop_guard_data_dir: str | None = None
    # postgres://user:pass@host:5432/db to share one pool between bot instances;
    # unset: a SQLite file in the data folder.
    database_url: str | None = None
    # HMAC key for phone/address hashes. Unset: generated once, kept in the data folder.
    # Every instance sharing one database must use the same secret.
    identity_hash_secret: str | None = None
    # How often open handling cases are checked for due follow-up reminders.
    guide_reminder_check_minutes: int = 10
    # Pause between two proactive messages (QQ restricts accounts that send in bursts).
    send_interval_seconds: float = 1.5
    # Alerts show the buyer id masked: this many characters kept at each end.
    alert_mask_keep: int = 2
    # Sender pacing: per group (send_interval_seconds above) and for the whole account.
    send_global_interval_seconds: float = 0.2
    # An alert that could not go out for this long is folded into the next digest.
    alert_fold_after_hours: float = 3.0
    # Run the outbox sender in this process (several processes may: they share the
    # work through row claims). The tests turn it off and drive a Sender themselves.
    outbox_sender: bool = True
    # Joint cases: opened when this many distinct shops reported a buyer within the
    # window; participants are reminded every joint_reminder_days while it is submitted.
    joint_threshold_shops: int = 3
    joint_window_days: int = 90
    joint_reminder_days: int = 3
    # Trust (DESIGN.md §7): reports per shop per day; a buyer alerted within this many days
    # is not alerted again on re-crossing; phone/address lookups per account per hour; an
    # appellant who lost may appeal the same buyer again after this many days; reporters
    # may answer an appeal for this many days; this many reports removed on appeal within
    # the window cost a shop its verification.
    reports_per_day: int = 20
    realert_days: int = 7
    clue_checks_per_hour: int = 30
    appeal_reask_days: int = 30
    appeal_evidence_days: int = 7
    removals_to_unverify: int = 2
    removal_window_days: int = 180
    # All joint-case evidence pictures together may take this much of the data folder.
    evidence_folder_max_mb: int = 2048
    # Hosts (names or addresses) whose links may be fetched although they are not public:
    # tests serving files on 127.0.0.1, an intranet deployment. Empty: public only.
    download_allow_hosts: list[str] = []
    # Order exports are screened in worker processes: this many at once (the machine
    # keeps a core for the chat), each with this much memory and time; at most this many
    # files wait in the queue.
    screen_workers: int = 1
    screen_memory_mb: int = 2048
    screen_timeout_seconds: float = 600
    screen_queue_max: int = 20
    # The event loop is watched: a stall longer than this is logged as a warning; with
    # LOOP_WATCH_REPORT_SECONDS > 0 the worst stall of each period is logged (benchmarks).
    loop_watch_threshold_ms: float = 100
    loop_watch_report_seconds: float = 0
    # The HTTP API and the dashboard (web/): served inside the bot process unless turned
    # off, or alone with `python -m bot web`. Links sent in chat point to web_public_url
    # (default http://<web_host>:<web_port>). Per API key, this many calls a minute; per
    # address, this many appeals an hour through the public appeal form and endpoint.
    web_enabled: bool = True
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_public_url: str | None = None
    api_calls_per_minute: int = 60
    web_appeals_per_hour: int = 5

    @property
    def public_url(self) -> str:
        return (self.web_public_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")
