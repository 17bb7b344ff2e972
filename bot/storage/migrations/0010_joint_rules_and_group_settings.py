from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

from bot.storage.migrations._operations import fill_joined_names, fill_level_alerts

class Migration(migrations.Migration):
    dependencies = [('models', '0009_trust')]

    initial = False

    operations = [
        ops.CreateModel(
            name='GroupAllowlist',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group_id', fields.BigIntField()),
                ('buyer', fields.ForeignKeyField('models.Buyer', source_field='buyer_id', db_constraint=True, to_field='id', related_name='allowed_in', on_delete=OnDelete.RESTRICT)),
                ('reason', fields.CharField(max_length=200)),
                ('added_by', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'group_allowlist', 'app': 'models', 'unique_together': (('group_id', 'buyer'),), 'pk_attr': 'id', 'table_description': 'A buyer a group has allowed (/设置 放行): never alerted to that group.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GroupSettingChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group_id', fields.BigIntField(db_index=True)),
                ('actor', fields.CharField(max_length=128)),
                ('setting', fields.CharField(max_length=16)),
                ('before', fields.CharField(null=True, max_length=200)),
                ('after', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'group_setting_change', 'app': 'models', 'pk_attr': 'id', 'table_description': "Every change of a group's own rules, with who made it."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='JointCase',
            name='notified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='JointCase',
            name='proposed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='JointCase',
            name='proposed_by',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='JointCase',
            name='proposed_status',
            field=fields.CharField(null=True, max_length=8),
        ),
        ops.AddField(
            model_name='JointCase',
            name='reopened',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='JointCase',
            name='unsent_changes',
            field=fields.JSONField(default=list, db_default='[]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='JointMember',
            name='joined_name',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Subscription',
            name='alert_level',
            field=fields.CharField(default='高风险', db_default='高风险', max_length=8),
        ),
        ops.AddField(
            model_name='Subscription',
            name='digest_enabled',
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.RunPython(fill_joined_names, reverse_code=ops.RunPython.noop),
        ops.RunPython(fill_level_alerts, reverse_code=ops.RunPython.noop),
    ]
