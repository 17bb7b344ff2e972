from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0017_screenshots')]

    initial = False

    operations = [
        ops.CreateModel(
            name='GroupSender',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group_id', fields.BigIntField(unique=True)),
                ('account', fields.CharField(null=True, max_length=32)),
                ('seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'group_sender', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The QQ account that speaks in a group (issue #29). Several bot processes, each'},
            bases=['Model'],
        ),
    ]
