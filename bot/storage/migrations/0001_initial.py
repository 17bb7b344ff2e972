from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Buyer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.CharField(max_length=16)),
                ('buyer_key', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'buyer', 'app': 'models', 'unique_together': (('platform', 'buyer_key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Shop',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner', fields.CharField(unique=True, max_length=128)),
                ('platform', fields.CharField(max_length=16)),
                ('name', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'shop', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Report',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.RESTRICT)),
                ('buyer', fields.ForeignKeyField('models.Buyer', source_field='buyer_id', db_index=True, db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.RESTRICT)),
                ('category', fields.CharField(max_length=32)),
                ('order_no', fields.CharField(null=True, max_length=64)),
                ('amount_fen', fields.BigIntField(null=True)),
                ('description', fields.TextField(default='', unique=False)),
                ('phone_hash', fields.CharField(null=True, db_index=True, max_length=64)),
                ('phone_mask', fields.CharField(null=True, max_length=16)),
                ('address_hash', fields.CharField(null=True, db_index=True, max_length=64)),
                ('address_mask', fields.CharField(null=True, max_length=64)),
                ('dedup_key', fields.CharField(max_length=80)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('retracted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'report', 'app': 'models', 'unique_together': (('shop', 'buyer', 'dedup_key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Decision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='decisions', on_delete=OnDelete.RESTRICT)),
                ('buyer', fields.ForeignKeyField('models.Buyer', source_field='buyer_id', db_constraint=True, to_field='id', related_name='decisions', on_delete=OnDelete.RESTRICT)),
                ('report', fields.ForeignKeyField('models.Report', source_field='report_id', db_constraint=True, to_field='id', related_name='decisions', on_delete=OnDelete.RESTRICT)),
                ('level_before', fields.CharField(max_length=8)),
                ('level_after', fields.CharField(max_length=8)),
                ('score_after', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'decision', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Every change to the pool, with the verdict it produced: who listed or retracted'},
            bases=['Model'],
        ),
    ]
