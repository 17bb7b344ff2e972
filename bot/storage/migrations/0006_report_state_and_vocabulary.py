from tortoise import migrations
from tortoise.migrations import operations as ops
from bot.states import Channel, DecisionKind, Delivery, GuideStatus, JointStatus, MemberState, OutboxKind, OutboxStatus, ReportState
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from bot.storage.migrations._operations import AlterColumnOutsideSQLite, RecordConstraintAdded, RecordConstraintRemoved

class Migration(migrations.Migration):
    dependencies = [('models', '0005_undeliverable_fallback')]

    initial = False

    # The unique (group_id, event_key) of the outbox follows the renamed column by itself
    # (SQLite and PostgreSQL both carry a constraint through a column rename); the
    # autodetector's drop-and-recreate of it cannot run on SQLite, where it is inline.
    operations = [
        AlterColumnOutsideSQLite(
            model_name='Decision',
            name='kind',
            field=fields.CharEnumField(description='bot.states.DecisionKind', enum_type=DecisionKind, max_length=16),
        ),
        AlterColumnOutsideSQLite(
            model_name='GuideCase',
            name='status',
            field=fields.CharEnumField(default=GuideStatus.open, db_index=True, description='bot.states.GuideStatus', enum_type=GuideStatus, max_length=8),
        ),
        AlterColumnOutsideSQLite(
            model_name='JointCase',
            name='status',
            field=fields.CharEnumField(default=JointStatus.collecting, description='bot.states.JointStatus', enum_type=JointStatus, max_length=8),
        ),
        AlterColumnOutsideSQLite(
            model_name='JointMember',
            name='state',
            field=fields.CharEnumField(default=MemberState.invited, description='bot.states.MemberState', enum_type=MemberState, max_length=8),
        ),
        RecordConstraintRemoved(
            model_name='OutboxMessage',
            name=None,
            fields=['group_id', 'event_key'],
        ),
        ops.RenameField(
            model_name='OutboxMessage',
            old_name='group_id',
            new_name='target_id',
        ),
        RecordConstraintAdded(
            model_name='OutboxMessage',
            constraint=UniqueConstraint(fields=('target_id', 'event_key'), name=None),
        ),
        AlterColumnOutsideSQLite(
            model_name='OutboxMessage',
            name='channel',
            field=fields.CharEnumField(default=Channel.group, description='bot.states.Channel', db_default='group', enum_type=Channel, max_length=8),
        ),
        AlterColumnOutsideSQLite(
            model_name='OutboxMessage',
            name='kind',
            field=fields.CharEnumField(description='bot.states.OutboxKind', enum_type=OutboxKind, max_length=16),
        ),
        AlterColumnOutsideSQLite(
            model_name='OutboxMessage',
            name='status',
            field=fields.CharEnumField(default=OutboxStatus.pending, db_index=True, description='bot.states.OutboxStatus', enum_type=OutboxStatus, max_length=8),
        ),
        ops.AddField(
            model_name='Report',
            name='state',
            field=fields.CharEnumField(default=ReportState.active, description='bot.states.ReportState', db_default='active', enum_type=ReportState, max_length=12),
        ),
        # Written by hand: the reports retracted before this migration keep their state.
        ops.RunSQL(
            "UPDATE report SET state = 'retracted' WHERE retracted_at IS NOT NULL",
            reverse_sql="UPDATE report SET state = 'active'",
        ),
        AlterColumnOutsideSQLite(
            model_name='Subscription',
            name='delivery',
            field=fields.CharEnumField(default=Delivery.ok, description='bot.states.Delivery', enum_type=Delivery, max_length=8),
        ),
    ]
