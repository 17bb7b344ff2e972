from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='GuideCase',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='guide_cases', on_delete=OnDelete.RESTRICT)),
                ('scenario', fields.CharField(max_length=32)),
                ('platform', fields.CharField(null=True, max_length=16)),
                ('buyer_key', fields.CharField(null=True, max_length=64)),
                ('order_no', fields.CharField(null=True, max_length=64)),
                ('step', fields.CharField(max_length=64)),
                ('trail', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('evidence', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('answers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='open', db_index=True, max_length=8)),
                ('chat', fields.CharField(null=True, max_length=128)),
                ('session_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('wait_step', fields.CharField(null=True, max_length=100)),
                ('waiting_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('remind_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('reminders_sent', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'guide_case', 'app': 'models', 'pk_attr': 'id', 'table_description': "A merchant's walk through a handling flow (or the 店铺体检), saved after every"},
            bases=['Model'],
        ),
    ]
