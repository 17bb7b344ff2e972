"""The states things in the pool can be in: one vocabulary for the tables, the queries and
the core. Values are what the database stores (the joint-case statuses have always been
stored in Chinese, the words merchants type); names are what the code says."""

from __future__ import annotations

from enum import StrEnum


class ReportState(StrEnum):
    active = "active"
    retracted = "retracted"  # by the shop that filed it
    suspended = "suspended"  # the shop is banned; undone when it is unbanned
    removed = "removed"  # by a moderator on appeal: a tombstone, never counted or filed again


class DecisionKind(StrEnum):
    report = "report"
    rereport = "rereport"  # a retracted report filed again
    retract = "retract"
    remove = "remove"  # a moderator upheld an appeal: the report is a tombstone
    uphold = "uphold"  # a moderator kept the reports an appeal disputed
    suspend = "suspend"  # the shop was banned
    unsuspend = "unsuspend"  # and unbanned
    verify = "verify"  # the shop was verified: its reports count now
    unverify = "unverify"  # and lost its verification
    accept = "accept"  # a 版主 accepted a report held since the shop's were removed on appeal


class JointStatus(StrEnum):
    collecting = "收集证据"
    submitted = "已提交"
    in_review = "平台处理中"
    resolved = "已解决"
    rejected = "被驳回"
    closed = "已关闭"  # every member left and no invitation is pending

    @property
    def waiting(self) -> bool:
        """The platform has the complaint: members are reminded to follow it up."""
        return self in (JointStatus.submitted, JointStatus.in_review)

    @property
    def final(self) -> bool:
        return self in (JointStatus.resolved, JointStatus.rejected, JointStatus.closed)


# What a member may set; 已关闭 is the bot's own.
SETTABLE_JOINT_STATUSES = (
    JointStatus.collecting,
    JointStatus.submitted,
    JointStatus.in_review,
    JointStatus.resolved,
    JointStatus.rejected,
)


class MemberState(StrEnum):
    invited = "invited"
    joined = "joined"
    left = "left"
    declined = "declined"  # an invitee who said 退出 before joining
    # The shop's report stopped counting (retracted, removed, suspended, the shop no longer
    # verified): out of the case until it counts again.
    dropped = "dropped"


class OutboxStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # gave up after the last attempt
    dropped = "dropped"  # the group was left or muted
    folded = "folded"  # an alert too old to send alone, listed in the next digest


class Channel(StrEnum):
    group = "group"
    private = "private"


class OutboxKind(StrEnum):
    alert = "alert"
    digest = "digest"
    joint = "joint"
    guide = "guide"
    screening = "screening"  # the summary of a finished screening
    correction = "correction"  # a buyer alerted about is no longer at that level
    appeal = "appeal"  # an appeal opened or decided: to the appellant and the reporters
    notice = "notice"  # moderation: a shop verified, unverified, banned; 版主 told
    fallback = "fallback"  # stands in for a message that could not be delivered


class GuideStatus(StrEnum):
    open = "open"
    closed = "closed"  # walked to its end
    dropped = "dropped"  # the merchant dropped it (/处理 #n 删除, or 取消 inside it)


class Delivery(StrEnum):
    """How sending to a subscribed group went, as noticed from the send errors."""

    ok = "ok"
    left = "left"  # the bot is no longer in the group
    muted = "muted"
    paused = "paused"  # a webhook robot the service refused, or that kept failing


class ScreeningState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    refused = "refused"  # the file was refused (a limit, a missing column…): said why
    failed = "failed"  # the worker crashed, ran out of memory or time


class AccountRole(StrEnum):
    owner = "owner"  # the account that bound the shop; it adds and removes staff
    staff = "staff"  # 客服, 运营: report, check and join cases for the shop


class AppealState(StrEnum):
    open = "open"
    upheld = "upheld"  # 维持: the reports stay
    removed = "removed"  # 撤销: the reports it named (or all) were removed


class FilingOutcome(StrEnum):
    """What filing a report did."""

    new = "new"
    duplicate = "duplicate"  # the same shop, buyer and order (or kind) was filed already
    reactivated = "reactivated"  # a retracted report, filed again
    removed = "removed"  # removed on appeal: a tombstone is never filed again


class PhoneColumn(StrEnum):
    """What an export's phone column held, for the summary."""

    readable = "readable"  # some phones can be matched
    hidden = "hidden"  # all masked or platform placeholders
    virtual = "virtual"  # privacy numbers (虚拟号) only: never matched
    none = "none"  # no phone column, or nothing in it


class VouchEnd(StrEnum):
    """Why a vouch for a shop stopped holding it up."""

    unvouched = "unvouched"  # its voucher took it back, or a 版主 did
    voucher_withdrawn = "voucher_withdrawn"  # a 版主 withdrew the voucher's standing
    group_untrusted = "group_untrusted"  # the group it was made in is no longer trusted
    renamed = "renamed"  # the shop changed its name or platform: what was vouched for is gone
    removals = "removals"  # the shop's reports kept being removed on appeal


class TrustAction(StrEnum):
    """What a trust decision did (the trust log: who vouched, withdrew, held, released)."""

    vouch = "vouch"
    unvouch = "unvouch"
    suspend_vouch = "suspend_vouch"  # a vouch ended by a withdrawal, an untrust or a rename
    withdraw_voucher = "withdraw_voucher"
    restore_voucher = "restore_voucher"
    trust_group = "trust_group"
    untrust_group = "untrust_group"
    ban = "ban"
    unban = "unban"
    hold_reports = "hold_reports"  # after a removal on appeal: the shop's next reports on the buyer wait
    accept_report = "accept_report"
    reject_report = "reject_report"
    hold_alert = "hold_alert"  # an alert held back while an appeal is open
    release_alert = "release_alert"
    reopen_appeal = "reopen_appeal"
    join_appeal = "join_appeal"  # a second appellant's words joined the open appeal


class Word(StrEnum):
    """The bot's last word to a group about a buyer: a correction is owed only after an
    alert or an escalation, and once."""

    alert = "alert"
    escalation = "escalation"  # 升级为极高风险, to a group alerted at 高风险
    correction = "correction"


class StatementKind(StrEnum):
    """What an appellant's words on an appeal are."""

    joined = "join"  # a second appellant, joined to the open appeal
    reopen = "reopen"  # new evidence after a decision: a 版主 may reopen
