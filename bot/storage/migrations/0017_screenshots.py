from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0016_group_platform_and_lookups')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReportEvidence',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('models.Report', source_field='report_id', db_constraint=True, to_field='id', related_name='evidence', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('sha256', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'report_evidence', 'app': 'models', 'unique_together': (('report', 'sha256'),), 'pk_attr': 'id', 'table_description': 'What a report rests on, by its SHA-256 only: the screenshot a report was filed from'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Subscription',
            name='read_screenshots',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
