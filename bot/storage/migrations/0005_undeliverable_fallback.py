from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_joint_cases')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Shop',
            name='group_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='mention',
            field=fields.BigIntField(null=True),
        ),
    ]
