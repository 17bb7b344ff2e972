"""Subscribed groups, the outbox of proactive messages, and the alerts a correction follows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.states import (
    Channel,
    Delivery,
    OutboxKind,
    OutboxStatus,
    Word,
)
from bot.storage.models.reports import Buyer


class Subscription(Model):
    """A group that gets real-time alerts and a daily digest."""

    id = fields.IntField(primary_key=True)
    group_id = fields.BigIntField(unique=True)
    digest_time = fields.CharField(max_length=5, default="09:00")  # HH:MM, Asia/Shanghai
    # /设置 日报 关 turns the digest off and keeps the alerts.
    digest_enabled = fields.BooleanField(default=True, db_default=True)
    # The level at which this group is alerted (高风险 or 极高风险), or "关".
    alert_level = fields.CharField(max_length=8, default="高风险", db_default="高风险")
    # /设置 平台: the platform of a buyer named without one by a member who has no shop
    # (a 拼多多 sellers' group); None: every platform is looked at.
    platform = fields.CharField(max_length=16, null=True)
    # /设置 自动识别截图 开: every picture posted in the group is read (issue #30); off,
    # the bot reads only the pictures it is asked to (/查 or /举报 replying to one).
    read_screenshots = fields.BooleanField(default=False, db_default=False)
    active = fields.BooleanField(default=True, db_index=True)
    delivery = fields.CharEnumField(Delivery, description="bot.states.Delivery", max_length=8, default=Delivery.ok)
    subscribed_by = fields.CharField(max_length=128)
    last_digest_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subscription"


class OutboxMessage(Model):
    """A proactive message, written in the same transaction as the event that caused
    it and drained by the paced sender. (target_id, event_key) is unique, so one event
    is queued once however often it is recorded; the keys of private messages name
    their kind (joint-invite:…, guide-remind:…), so a user and a group with the same
    number never share one."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(OutboxKind, description="bot.states.OutboxKind", max_length=16)
    channel = fields.CharEnumField(
        Channel, description="bot.states.Channel", max_length=8, default=Channel.group, db_default="group"
    )
    # A QQ group, or a QQ user when the channel is private (group and user numbers overlap).
    target_id = fields.BigIntField()
    event_key = fields.CharField(max_length=80)
    text = fields.TextField()
    image = fields.CharField(max_length=255, null=True)  # path of a PNG to send under the text
    mention = fields.BigIntField(null=True)  # a QQ user to @ at the start of a group message
    # The parts already delivered of a message a robot takes in several (too long for one):
    # a retry goes on from the next, so no part arrives twice.
    parts_sent = fields.IntField(default=0, db_default=0)
    status = fields.CharEnumField(
        OutboxStatus, description="bot.states.OutboxStatus", max_length=8, default=OutboxStatus.pending, db_index=True
    )
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_by = fields.CharField(max_length=64, null=True)
    claimed_until = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox"
        unique_together = (("target_id", "event_key"),)


class GroupSender(Model):
    """The QQ account that speaks in a group (issue #29). Several bot processes, each
    with its own QQ account, share one database; each keeps its account's groups here
    from the chat network's group list, and claims only their messages. A group two
    accounts share has one row, so it is served by one of them and an alert reaches it
    once, from an account that is there."""

    id = fields.IntField(primary_key=True)
    group_id = fields.BigIntField(unique=True)
    # The OneBot self_id; None: the account that served the group left it, and another
    # member account may take it (bot.storage.outbox.serve_groups).
    account = fields.CharField(max_length=32, null=True)
    # Refreshed with every group list of the account: a row not seen for a while belongs
    # to an account that is gone, and another account in the group takes it over.
    seen_at = fields.DatetimeField()

    class Meta:
        table = "group_sender"


class Alert(Model):
    """A buyer's crossing into a level that groups were alerted about. The outbox rows
    of its messages carry event key alert:<id>, which is how a correction finds exactly
    the groups that got it."""

    id = fields.IntField(primary_key=True)
    buyer: fields.ForeignKeyRelation[Buyer] = fields.ForeignKeyField(
        "models.Buyer", related_name="alerts", on_delete=fields.RESTRICT, db_index=True
    )
    level = fields.CharField(max_length=8)  # bot.verdict.Level value
    created_at = fields.DatetimeField(db_index=True)
    # Set once, when the buyer fell below the level for a reason other than time.
    corrected_at = fields.DatetimeField(null=True, db_index=True)
    correction = fields.CharField(max_length=200, null=True)
    # Held while an appeal about the buyer is open (its messages wait in the outbox until
    # then): released when a 版主 keeps the listing, or when the hold runs out.
    held_until = fields.DatetimeField(null=True)
    held_for = fields.IntField(null=True)  # the appeal

    if TYPE_CHECKING:
        buyer_id: int

    class Meta:
        table = "alert"


class GroupBuyerWord(Model):
    """The bot's last word to a group about a buyer (an alert, an escalation to 极高风险, a
    correction): a correction goes only where the last word was an alert or an
    escalation, and once."""

    id = fields.IntField(primary_key=True)
    group_id = fields.BigIntField()
    buyer_id = fields.IntField()
    word = fields.CharEnumField(Word, description="bot.states.Word", max_length=12)
    level = fields.CharField(max_length=8)
    alert_id = fields.IntField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "group_buyer_word"
        unique_together = (("group_id", "buyer_id"),)
