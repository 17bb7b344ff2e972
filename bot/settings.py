"""Deployment settings, read by NoneBot from the environment and `.env`.

A plain pydantic model so that bot/ imports without NoneBot; the plugins read it with
get_plugin_config(Settings) once NoneBot is initialised.
"""

from __future__ import annotations

from pydantic import BaseModel


class Settings(BaseModel):
    # postgres://user:pass@host:5432/db to share one pool between bot instances;
    # unset: a SQLite file in the data folder (nonebot-plugin-localstore).
    database_url: str | None = None
    # HMAC key for phone/address hashes. Unset: generated once, kept in the data folder.
    # Every instance sharing one database must use the same secret.
    identity_hash_secret: str | None = None
    # How often open handling cases are checked for due follow-up reminders.
    guide_reminder_check_minutes: int = 10
    # Pause between two proactive messages (QQ restricts accounts that send in bursts).
    send_interval_seconds: float = 1.5
