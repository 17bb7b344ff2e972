"""The subscribers that are not QQ groups: webhook robots (企业微信, 钉钉, 飞书) and the
groups of the official QQ bot; and the one-time codes that link a person's accounts on
two chat networks. Each robot and QQ bot group is keyed in the subscription, outbox and
allowlist tables by a negative number (bot/identity/places.py)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Robot(Model):
    """A webhook robot registered as a subscriber. Its address and secret are credentials:
    kept sealed (bot/identity/sealing.py), matched by a keyed hash, shown by a mask. A
    removed robot keeps its row, so that its number (and its place in the outbox) is never
    given to another."""

    id = fields.IntField(primary_key=True)
    service = fields.CharField(max_length=8)  # bot.messaging.robots.Service value
    host = fields.CharField(max_length=128)
    address_sealed = fields.TextField()
    # HMAC of the address with the deployment's secret: one robot per address.
    address_digest = fields.CharField(max_length=64, unique=True)
    address_mask = fields.CharField(max_length=160)
    secret_sealed = fields.TextField(null=True)
    keyword = fields.CharField(max_length=20, null=True)
    # Who registered it ("qq:…", "qqbot:…", "cli"): who may change it and is told when it
    # is paused.
    owner = fields.CharField(max_length=128, db_index=True)
    created_at = fields.DatetimeField()
    # Sends that failed in a row; reset by one that went through.
    failures = fields.IntField(default=0)
    # The service refused the robot (address, signature, keyword) or it kept failing: no
    # more messages until it is added again.
    paused_at = fields.DatetimeField(null=True)
    pause_reason = fields.CharField(max_length=255, null=True)
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "robot"


class QQBotGroup(Model):
    """A group of the official QQ bot, known to it by an openid, not a number."""

    id = fields.IntField(primary_key=True)
    group_openid = fields.CharField(max_length=64, unique=True)
    bot_id = fields.CharField(max_length=32)  # the bot (app id) whose openid this is
    # The group has not turned the bot's active messages off (GROUP_MSG_REJECT).
    pushes_allowed = fields.BooleanField(default=True)
    # Active pushes used in push_month (YYYY-MM), against QQBOT_GROUP_PUSHES_PER_MONTH.
    push_month = fields.CharField(max_length=7, null=True)
    pushes = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "qqbot_group"


class LinkCode(Model):
    """A one-time code (/关联) that proves its holder speaks for an account: with it, a
    版主 or the shop's owner links that account to a shop on another network. Only its
    SHA-256 is kept."""

    id = fields.IntField(primary_key=True)
    code_hash = fields.CharField(max_length=64, unique=True)
    account = fields.CharField(max_length=128)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "link_code"
