"""Tables. Read and written only through the bot.queries package."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.states import (
    AccountRole,
    AppealState,
    Channel,
    DecisionKind,
    Delivery,
    GuideStatus,
    JointStatus,
    MemberState,
    OutboxKind,
    OutboxStatus,
    ReportState,
    ScreeningState,
)


class Shop(Model):
    """One real shop, however many chat accounts speak for it (ShopAccount)."""

    id = fields.IntField(primary_key=True)
    # The chat account that bound the shop, e.g. "qq:12345": where the shop's private
    # messages go. Every account of the shop (this one too) is a ShopAccount.
    owner = fields.CharField(max_length=128, unique=True)
    platform = fields.CharField(max_length=16)
    name = fields.CharField(max_length=64)
    # The name folded (case, width): unique per platform, so that a second account cannot
    # pass for the same shop under the same name.
    name_key = fields.CharField(max_length=64, default="", db_default="")
    # The QQ group the owner last bound or reported from: where a private message to
    # them that cannot be delivered is posted instead, with an @ (DESIGN.md §5).
    group_id = fields.BigIntField(null=True)
    # Vouched for by a trusted group's owner or admin, or by a 版主: only verified shops'
    # reports with an order number count towards 高风险 and above (DESIGN.md §7).
    verified_at = fields.DatetimeField(null=True)
    verified_by = fields.CharField(max_length=128, null=True)
    verified_in = fields.BigIntField(null=True)  # the trusted group; None: by a 版主 elsewhere
    # Banned by a 版主: its reports are suspended, it cannot report or join cases.
    banned_at = fields.DatetimeField(null=True)
    banned_by = fields.CharField(max_length=128, null=True)
    ban_reason = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "shop"
        unique_together = (("platform", "name_key"),)


class ShopAccount(Model):
    """A chat account speaking for a shop: its owner or a staff member. One shop per
    account; everything an account files is its shop's."""

    id = fields.IntField(primary_key=True)
    account = fields.CharField(max_length=128, unique=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="accounts", on_delete=fields.RESTRICT
    )
    role = fields.CharEnumField(AccountRole, description="bot.states.AccountRole", max_length=8)
    added_by = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:
        shop_id: int

    class Meta:
        table = "shop_account"


class Moderator(Model):
    """A 版主 appointed by a superuser (the SUPERUSERS setting are 版主 too)."""

    id = fields.IntField(primary_key=True)
    account = fields.CharField(max_length=128, unique=True)
    added_by = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "moderator"


class TrustedGroup(Model):
    """A group a 版主 trusts: its owner and admins may verify its members' shops."""

    id = fields.IntField(primary_key=True)
    group_id = fields.BigIntField(unique=True)
    trusted_by = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "trusted_group"


class Buyer(Model):
    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=16)
    buyer_key = fields.CharField(max_length=64)  # normalised id (bot.identity.normalise_buyer_id)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Unused since alerts are per level (the Alert rows, migration 0010); kept because
    # dropping a column rebuilds the table on SQLite.
    alerted = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "buyer"
        unique_together = (("platform", "buyer_key"),)


class Report(Model):
    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="reports", on_delete=fields.RESTRICT
    )
    buyer: fields.ForeignKeyRelation[Buyer] = fields.ForeignKeyField(
        "models.Buyer", related_name="reports", on_delete=fields.RESTRICT, db_index=True
    )
    category = fields.CharField(max_length=32)
    order_no = fields.CharField(max_length=64, null=True)
    amount_fen = fields.BigIntField(null=True)
    description = fields.TextField(default="")
    # Keyed hashes (bot.identity.Fingerprinter) and display masks; never the clear value.
    phone_hash = fields.CharField(max_length=64, null=True, db_index=True)
    phone_mask = fields.CharField(max_length=16, null=True)
    address_hash = fields.CharField(max_length=64, null=True, db_index=True)
    address_mask = fields.CharField(max_length=64, null=True)
    # What makes two reports "the same report": the order number when given, else the
    # category. The unique constraint below is what makes a repeated report idempotent,
    # also across bot processes sharing PostgreSQL.
    dedup_key = fields.CharField(max_length=80)
    # Indexed: the digests and charts ask for the reports of a time window.
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    # Only active reports count; the others are kept as the record of what happened.
    state = fields.CharEnumField(
        ReportState,
        description="bot.states.ReportState",
        max_length=12,
        default=ReportState.active,
        db_default="active",
    )
    retracted_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:
        shop_id: int
        buyer_id: int

    class Meta:
        table = "report"
        unique_together = (("shop", "buyer", "dedup_key"),)


class Decision(Model):
    """Every change to the pool, with the verdict it produced: who listed or retracted
    what, and when. The answer to "why is this buyer on the list?"."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(DecisionKind, description="bot.states.DecisionKind", max_length=16)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="decisions", on_delete=fields.RESTRICT
    )
    buyer: fields.ForeignKeyRelation[Buyer] = fields.ForeignKeyField(
        "models.Buyer", related_name="decisions", on_delete=fields.RESTRICT
    )
    report: fields.ForeignKeyRelation[Report] = fields.ForeignKeyField(
        "models.Report", related_name="decisions", on_delete=fields.RESTRICT
    )
    level_before = fields.CharField(max_length=8)
    level_after = fields.CharField(max_length=8)
    score_after = fields.IntField()
    # Who decided (a 版主's account for moderation; None: the shop's own report) and why.
    actor = fields.CharField(max_length=128, null=True)
    reason = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    if TYPE_CHECKING:
        shop_id: int
        buyer_id: int
        report_id: int

    class Meta:
        table = "decision"


class GuideCase(Model):
    """A merchant's walk through a handling flow (or the 店铺体检), saved after every
    answer: the current step, the path taken (for 返回), the evidence checklist, and
    the reminder of a step that waits on time."""

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="guide_cases", on_delete=fields.RESTRICT
    )
    scenario = fields.CharField(max_length=32)
    platform = fields.CharField(max_length=16, null=True)
    buyer_key = fields.CharField(max_length=64, null=True)
    order_no = fields.CharField(max_length=64, null=True)
    step = fields.CharField(max_length=64)
    trail: fields.Field[list[str]] = fields.JSONField(default=list)  # ["scenario:step", …] already passed
    evidence: fields.Field[dict[str, str]] = fields.JSONField(default=dict)  # item → "done" | "skipped"
    # question → chosen answer; audit item → bool
    answers: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    status = fields.CharEnumField(
        GuideStatus, description="bot.states.GuideStatus", max_length=8, default=GuideStatus.open, db_index=True
    )
    # The chat whose short replies drive this case, until session_until.
    chat = fields.CharField(max_length=128, null=True)
    session_until = fields.DatetimeField(null=True)
    wait_step = fields.CharField(max_length=100, null=True)
    waiting_since = fields.DatetimeField(null=True)
    remind_at = fields.DatetimeField(null=True, db_index=True)
    reminders_sent = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    closed_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:
        shop_id: int

    class Meta:
        table = "guide_case"


class Subscription(Model):
    """A group that gets real-time alerts and a daily digest."""

    id = fields.IntField(primary_key=True)
    group_id = fields.BigIntField(unique=True)
    digest_time = fields.CharField(max_length=5, default="09:00")  # HH:MM, Asia/Shanghai
    # /设置 日报 关 turns the digest off and keeps the alerts.
    digest_enabled = fields.BooleanField(default=True, db_default=True)
    # The level at which this group is alerted (高风险 or 极高风险), or "关".
    alert_level = fields.CharField(max_length=8, default="高风险", db_default="高风险")
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


class JointCase(Model):
    """Shops hit by the same buyer complaining together. One per buyer: the unique
    constraint is what makes simultaneous reports open it once."""

    id = fields.IntField(primary_key=True)
    buyer: fields.ForeignKeyRelation[Buyer] = fields.ForeignKeyField(
        "models.Buyer", related_name="joint_cases", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(
        JointStatus, description="bot.states.JointStatus", max_length=8, default=JointStatus.collecting
    )
    status_changes = fields.IntField(default=0)
    status_at = fields.DatetimeField(null=True)
    remind_at = fields.DatetimeField(null=True, db_index=True)
    # 已解决 and 被驳回 take effect when a second joined shop confirms within 3 days.
    proposed_status = fields.CharField(max_length=8, null=True)
    proposed_by = fields.IntField(null=True)  # the proposing shop
    proposed_at = fields.DatetimeField(null=True)
    # Status messages to members are batched: at most one per case per hour.
    unsent_changes: fields.Field[list[str]] = fields.JSONField(default=list, db_default="[]")
    notified_at = fields.DatetimeField(null=True)
    reopened = fields.IntField(default=0, db_default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:
        buyer_id: int

    class Meta:
        table = "joint_case"
        unique_together = (("buyer",),)


class JointMember(Model):
    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[JointCase] = fields.ForeignKeyField(
        "models.JointCase", related_name="members", on_delete=fields.CASCADE
    )
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="joint_memberships", on_delete=fields.RESTRICT
    )
    state = fields.CharEnumField(
        MemberState, description="bot.states.MemberState", max_length=8, default=MemberState.invited
    )
    invited_at = fields.DatetimeField()
    joined_at = fields.DatetimeField(null=True)
    # The shop's name when it joined: what the letter says, whatever it renames itself to.
    joined_name = fields.CharField(max_length=64, null=True)

    if TYPE_CHECKING:
        case_id: int
        shop_id: int

    class Meta:
        table = "joint_member"
        unique_together = (("case", "shop"),)


class JointEvidence(Model):
    """A participant's evidence: a picture (stored once under its SHA-256 in the data
    folder) or chat-record text."""

    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[JointCase] = fields.ForeignKeyField(
        "models.JointCase", related_name="evidence", on_delete=fields.CASCADE
    )
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="joint_evidence", on_delete=fields.RESTRICT
    )
    description = fields.TextField()
    sha256 = fields.CharField(max_length=64)  # of the picture, or of the text for text-only evidence
    file_name = fields.CharField(max_length=80, null=True)
    created_at = fields.DatetimeField()

    if TYPE_CHECKING:
        case_id: int
        shop_id: int

    class Meta:
        table = "joint_evidence"
        unique_together = (("case", "sha256"),)


class ScreeningJob(Model):
    """An order export waiting to be screened, being screened, or screened: the file
    waits in the data folder until a worker process has read it, so a restart loses no
    acknowledged file; the outcome (counts and the orders worth a look, masked) and the
    result file stay for the chat summary and the HTTP API."""

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="screenings", on_delete=fields.RESTRICT
    )
    platform = fields.CharField(max_length=16)
    file_name = fields.CharField(max_length=120)
    state = fields.CharEnumField(
        ScreeningState,
        description="bot.states.ScreeningState",
        max_length=8,
        default=ScreeningState.queued,
        db_index=True,
    )
    # Where the summary goes when it is done (None: asked through the HTTP API).
    reply_channel = fields.CharEnumField(Channel, description="bot.states.Channel", max_length=8, null=True)
    reply_target = fields.BigIntField(null=True)
    input_path = fields.CharField(max_length=255, null=True)
    result_path = fields.CharField(max_length=255, null=True)
    outcome: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    error_code = fields.CharField(max_length=64, null=True)
    error_context: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    stage = fields.CharField(max_length=32, null=True)
    done = fields.IntField(default=0)
    total = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:
        shop_id: int

    class Meta:
        table = "screening_job"


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

    if TYPE_CHECKING:
        buyer_id: int

    class Meta:
        table = "alert"


class Appeal(Model):
    """Someone disputes a buyer's listing (DESIGN.md §7). While it is open the buyer is
    marked and not alerted; a 版主 decides."""

    id = fields.IntField(primary_key=True)
    buyer: fields.ForeignKeyRelation[Buyer] = fields.ForeignKeyField(
        "models.Buyer", related_name="appeals", on_delete=fields.RESTRICT, db_index=True
    )
    appellant = fields.CharField(max_length=128)  # a chat account, or web:<address>
    reason = fields.TextField()
    state = fields.CharEnumField(
        AppealState, description="bot.states.AppealState", max_length=8, default=AppealState.open, db_index=True
    )
    # The buyer's id while the appeal is open, None after: unique, so a buyer has one
    # open appeal however many arrive at once.
    open_buyer = fields.IntField(null=True, unique=True)
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)
    decided_by = fields.CharField(max_length=128, null=True)
    decision_note = fields.TextField(null=True)

    if TYPE_CHECKING:
        buyer_id: int

    class Meta:
        table = "appeal"


class AppealEvidence(Model):
    """What a reporting shop adds to an appeal (/补充): text or a picture."""

    id = fields.IntField(primary_key=True)
    appeal: fields.ForeignKeyRelation[Appeal] = fields.ForeignKeyField(
        "models.Appeal", related_name="evidence", on_delete=fields.CASCADE
    )
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="appeal_evidence", on_delete=fields.RESTRICT
    )
    description = fields.TextField()
    sha256 = fields.CharField(max_length=64)
    file_name = fields.CharField(max_length=80, null=True)
    created_at = fields.DatetimeField()

    if TYPE_CHECKING:
        appeal_id: int
        shop_id: int

    class Meta:
        table = "appeal_evidence"
        unique_together = (("appeal", "sha256"),)


class GroupAllowlist(Model):
    """A buyer a group has allowed (/设置 放行): never alerted to that group."""

    id = fields.IntField(primary_key=True)
    group_id = fields.BigIntField()
    buyer: fields.ForeignKeyRelation[Buyer] = fields.ForeignKeyField(
        "models.Buyer", related_name="allowed_in", on_delete=fields.RESTRICT
    )
    reason = fields.CharField(max_length=200)
    added_by = fields.CharField(max_length=128)
    created_at = fields.DatetimeField()

    if TYPE_CHECKING:
        buyer_id: int

    class Meta:
        table = "group_allowlist"
        unique_together = (("group_id", "buyer"),)


class GroupSettingChange(Model):
    """Every change of a group's own rules, with who made it."""

    id = fields.IntField(primary_key=True)
    group_id = fields.BigIntField(db_index=True)
    actor = fields.CharField(max_length=128)
    setting = fields.CharField(max_length=16)
    before = fields.CharField(max_length=200, null=True)
    after = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "group_setting_change"


class ApiKey(Model):
    """A shop's key for the HTTP API (/令牌). Only its SHA-256 is kept, the key itself
    is shown once. One per shop: rotating replaces it."""

    id = fields.IntField(primary_key=True)
    shop: fields.OneToOneRelation[Shop] = fields.OneToOneField(
        "models.Shop", related_name="api_key", on_delete=fields.CASCADE
    )
    key_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12)  # shown in the dashboard, to tell keys apart
    created_by = fields.CharField(max_length=128)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:
        shop_id: int

    class Meta:
        table = "api_key"


class LoginToken(Model):
    """A one-time dashboard login link (/后台): its SHA-256, single use, short-lived."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    account = fields.CharField(max_length=128)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "login_token"
