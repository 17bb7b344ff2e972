from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from bot.states import Channel, ScreeningState
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_report_state_and_vocabulary')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ScreeningJob',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='screenings', on_delete=OnDelete.RESTRICT)),
                ('platform', fields.CharField(max_length=16)),
                ('file_name', fields.CharField(max_length=120)),
                ('state', fields.CharEnumField(default=ScreeningState.queued, db_index=True, description='bot.states.ScreeningState', enum_type=ScreeningState, max_length=8)),
                ('reply_channel', fields.CharEnumField(null=True, description='bot.states.Channel', enum_type=Channel, max_length=8)),
                ('reply_target', fields.BigIntField(null=True)),
                ('input_path', fields.CharField(null=True, max_length=255)),
                ('result_path', fields.CharField(null=True, max_length=255)),
                ('outcome', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error_code', fields.CharField(null=True, max_length=64)),
                ('error_context', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('stage', fields.CharField(null=True, max_length=32)),
                ('done', fields.IntField(default=0)),
                ('total', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'screening_job', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An order export waiting to be screened, being screened, or screened: the file'},
            bases=['Model'],
        ),
    ]
