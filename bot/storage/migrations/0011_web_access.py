from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_joint_rules_and_group_settings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApiKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.OneToOneField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='api_key', on_delete=OnDelete.CASCADE)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('prefix', fields.CharField(max_length=12)),
                ('created_by', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_key', 'app': 'models', 'pk_attr': 'id', 'table_description': "A shop's key for the HTTP API (/令牌): Only its SHA-256 is kept, the key itself"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('account', fields.CharField(max_length=128)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time dashboard login link (/后台): its SHA-256, single use, short-lived.'},
            bases=['Model'],
        ),
    ]
