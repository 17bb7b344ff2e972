from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_deployment_facts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ClueLookupDay',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='clue_lookups', on_delete=OnDelete.CASCADE)),
                ('day', fields.CharField(max_length=10)),
                ('used', fields.IntField(default=0)),
            ],
            options={'table': 'clue_lookup_day', 'app': 'models', 'unique_together': (('shop', 'day'),), 'pk_attr': 'id', 'table_description': "How many phone and address lookups (/查 手机:…, the API's phone and address fields)"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Subscription',
            name='platform',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
