from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0018_group_sender')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CallCount',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('caller', fields.CharField(max_length=96)),
                ('slot', fields.BigIntField()),
                ('calls', fields.IntField(default=1)),
                ('ends', fields.BigIntField(db_index=True)),
            ],
            options={'table': 'call_count', 'app': 'models', 'unique_together': (('caller', 'slot'),), 'pk_attr': 'id', 'table_description': 'Calls counted per caller (an API key, an address appealing) and window, in the'},
            bases=['Model'],
        ),
    ]
