"""Deployment settings, read by NoneBot from the environment and `.env`.

A plain pydantic model so that bot/ imports without NoneBot; the plugins read it with
get_plugin_config(Settings) once NoneBot is initialised.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


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
    # Several bot processes, each with its own QQ account, on one database (issue #29):
    # each asks the chat network for its account's groups this often and sends only to
    # those (a group two accounts share, from one of them). Each process also says once a
    # minute that its accounts are alive; an account silent for 3 minutes is gone, and
    # another account in its groups takes them over.
    group_list_refresh_minutes: float = 10.0
    # Joint cases: opened when this many distinct shops reported a buyer within the
    # window; participants are reminded every joint_reminder_days while it is submitted.
    joint_threshold_shops: int = 3
    joint_window_days: int = 90
    joint_reminder_days: int = 3
    # A shop whose report counts may open a case by hand (/联合 发起) once this many shops
    # that count reported the buyer within the window, itself included.
    joint_by_hand_shops: int = 2
    # Trust (DESIGN.md §7): reports per shop per day; a buyer alerted within this many days
    # is not alerted again on re-crossing; an appellant who lost may appeal the same buyer
    # again after this many days; reporters may answer an appeal for this many days; this
    # many reports removed on appeal within the window cost a shop its verification.
    reports_per_day: int = 20
    realert_days: int = 7
    # Phone and address lookups (/查 手机:… 地址:…, the API) a verified shop has a day
    # (Asia/Shanghai); unset: bot/commands/requests.py's CLUE_LOOKUPS_PER_DAY (200).
    clue_lookups_per_day: int | None = None
    appeal_reask_days: int = 30
    appeal_evidence_days: int = 7
    removals_to_unverify: int = 2
    removal_window_days: int = 180
    # Vouching (DESIGN.md §7): an account joined the group this many days before a group
    # admin may vouch for it there; a group admin vouches for at most this many shops a
    # week; the 版主 hear of the day's vouches at this time (Asia/Shanghai).
    vouch_member_days: int = 7
    vouches_per_week: int = 5
    vouch_notice_time: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "09:00"
    # Appeals: an open appeal holds a buyer's new 高风险 alerts this long at most (never a
    # crossing into 极高风险); an account may have this many open and open this many a day;
    # a buyer gets at most this many appeals and appellants' words a day; the 版主 hear of
    # new appeals at most once in this many minutes.
    appeal_hold_hours: float = 48
    appeals_open_per_account: int = 3
    appeals_per_account_per_day: int = 5
    appeals_per_buyer_per_day: int = 10
    appeal_notice_minutes: int = 60
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
    # Screenshots (OCR, issue #30) are read in a worker process on this many threads (the
    # other core stays the chat's), with this much memory and time per picture; at most
    # this many pictures wait; an idle worker exits after this many seconds (its ~0.5 GB
    # back). A report proposed from a screenshot waits this many minutes for 确认.
    ocr_threads: int = 1
    ocr_memory_mb: int = 1536
    ocr_timeout_seconds: float = 30
    ocr_queue_max: int = 6
    ocr_idle_seconds: float = 600
    screenshot_proposal_minutes: float = 10
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
    # Behind a reverse proxy every request comes from the proxy's address: the header in
    # which the proxy writes the client's (X-Forwarded-For, X-Real-IP; the last address
    # in it, the one this deployment's proxy added). The per-address limits count by it.
    # Empty: the connection's own address (no proxy; a header a client sends is ignored).
    web_trusted_proxy_header: str = ""

    # Webhook robots (企业微信, 钉钉, 飞书): an address is accepted only on the service's
    # own host, unless its host is listed here (an intranet relay; the tests on
    # 127.0.0.1), where the robot's kind says which service it imitates. A robot whose
    # sends failed this many times in a row is paused and its owner told.
    webhook_allow_hosts: list[str] = []
    robot_pause_after_failures: int = 6
    # The official QQ bot (nonebot-adapter-qq, configured with QQ_BOTS): active pushes to
    # one group per calendar month (the platform's quota; 0: never push, alerts only ride
    # on replies); how long after a message a reply may still refer to it (the platform
    # allows 5 minutes in groups, 60 in private chat) and how many replies one message
    # may have (5).
    qqbot_group_pushes_per_month: int = 4
    qqbot_group_reply_seconds: float = 290
    qqbot_private_reply_seconds: float = 3500
    qqbot_replies_per_message: int = 5

    @property
    def public_url(self) -> str:
        return (self.web_public_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")
