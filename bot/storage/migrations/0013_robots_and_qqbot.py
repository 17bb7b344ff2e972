from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_trust_roots_and_appeal_holds')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LinkCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('account', fields.CharField(max_length=128)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'link_code', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time code (/关联) that proves its holder speaks for an account: with it, a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QQBotGroup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group_openid', fields.CharField(unique=True, max_length=64)),
                ('bot_id', fields.CharField(max_length=32)),
                ('pushes_allowed', fields.BooleanField(default=True)),
                ('push_month', fields.CharField(null=True, max_length=7)),
                ('pushes', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'qqbot_group', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A group of the official QQ bot, known to it by an openid, not a number.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Robot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('service', fields.CharField(max_length=8)),
                ('host', fields.CharField(max_length=128)),
                ('address_sealed', fields.TextField(unique=False)),
                ('address_digest', fields.CharField(unique=True, max_length=64)),
                ('address_mask', fields.CharField(max_length=160)),
                ('secret_sealed', fields.TextField(null=True, unique=False)),
                ('keyword', fields.CharField(null=True, max_length=20)),
                ('owner', fields.CharField(db_index=True, max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('failures', fields.IntField(default=0)),
                ('paused_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('pause_reason', fields.CharField(null=True, max_length=255)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'robot', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A webhook robot registered as a subscriber. Its address and secret are credentials:'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='parts_sent',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
