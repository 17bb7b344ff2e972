from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_alerts_outbox')]

    initial = False

    operations = [
        ops.CreateModel(
            name='JointCase',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('buyer', fields.ForeignKeyField('models.Buyer', source_field='buyer_id', db_constraint=True, to_field='id', related_name='joint_cases', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharField(default='收集证据', max_length=8)),
                ('status_changes', fields.IntField(default=0)),
                ('status_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('remind_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'joint_case', 'app': 'models', 'unique_together': (('buyer',),), 'pk_attr': 'id', 'table_description': 'Shops hit by the same buyer complaining together. One per buyer: the unique'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='JointEvidence',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.JointCase', source_field='case_id', db_constraint=True, to_field='id', related_name='evidence', on_delete=OnDelete.CASCADE)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='joint_evidence', on_delete=OnDelete.RESTRICT)),
                ('description', fields.TextField(unique=False)),
                ('sha256', fields.CharField(max_length=64)),
                ('file_name', fields.CharField(null=True, max_length=80)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'joint_evidence', 'app': 'models', 'unique_together': (('case', 'sha256'),), 'pk_attr': 'id', 'table_description': "A participant's evidence: a picture (stored once under its SHA-256 in the data"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='JointMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.JointCase', source_field='case_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='joint_memberships', on_delete=OnDelete.RESTRICT)),
                ('state', fields.CharField(default='invited', max_length=8)),
                ('invited_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('joined_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'joint_member', 'app': 'models', 'unique_together': (('case', 'shop'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='channel',
            field=fields.CharField(default='group', db_default='group', max_length=8),
        ),
    ]
