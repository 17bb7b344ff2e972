from tortoise import migrations
from tortoise.migrations import operations as ops
from bot.states import AccountRole, AppealState
from tortoise.fields.base import OnDelete
from tortoise import fields

from bot.storage.migrations._operations import fill_shop_accounts, fill_shop_name_keys
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0008_time_window_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Alert',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('buyer', fields.ForeignKeyField('models.Buyer', source_field='buyer_id', db_index=True, db_constraint=True, to_field='id', related_name='alerts', on_delete=OnDelete.RESTRICT)),
                ('level', fields.CharField(max_length=8)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('corrected_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('correction', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'alert', 'app': 'models', 'pk_attr': 'id', 'table_description': "A buyer's crossing into a level that groups were alerted about. The outbox rows"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Appeal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('buyer', fields.ForeignKeyField('models.Buyer', source_field='buyer_id', db_index=True, db_constraint=True, to_field='id', related_name='appeals', on_delete=OnDelete.RESTRICT)),
                ('appellant', fields.CharField(max_length=128)),
                ('reason', fields.TextField(unique=False)),
                ('state', fields.CharEnumField(default=AppealState.open, db_index=True, description='bot.states.AppealState', enum_type=AppealState, max_length=8)),
                ('open_buyer', fields.IntField(null=True, unique=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by', fields.CharField(null=True, max_length=128)),
                ('decision_note', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'appeal', 'app': 'models', 'pk_attr': 'id', 'table_description': "Someone disputes a buyer's listing (DESIGN.md §7). While it is open the buyer is"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AppealEvidence',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('appeal', fields.ForeignKeyField('models.Appeal', source_field='appeal_id', db_constraint=True, to_field='id', related_name='evidence', on_delete=OnDelete.CASCADE)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='appeal_evidence', on_delete=OnDelete.RESTRICT)),
                ('description', fields.TextField(unique=False)),
                ('sha256', fields.CharField(max_length=64)),
                ('file_name', fields.CharField(null=True, max_length=80)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appeal_evidence', 'app': 'models', 'unique_together': (('appeal', 'sha256'),), 'pk_attr': 'id', 'table_description': 'What a reporting shop adds to an appeal (/补充): text or a picture.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Moderator',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(unique=True, max_length=128)),
                ('added_by', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'moderator', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A 版主 appointed by a superuser (the SUPERUSERS setting are 版主 too).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShopAccount',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(unique=True, max_length=128)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='accounts', on_delete=OnDelete.RESTRICT)),
                ('role', fields.CharEnumField(description='bot.states.AccountRole', enum_type=AccountRole, max_length=8)),
                ('added_by', fields.CharField(null=True, max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'shop_account', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A chat account speaking for a shop: its owner or a staff member. One shop per'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrustedGroup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group_id', fields.BigIntField(unique=True)),
                ('trusted_by', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'trusted_group', 'app': 'models', 'pk_attr': 'id', 'table_description': "A group a 版主 trusts: its owner and admins may verify its members' shops."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Decision',
            name='actor',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddField(
            model_name='Decision',
            name='reason',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AlterModelOptions(
            name='Shop',
            options={'table': 'shop', 'app': 'models', 'unique_together': (('platform', 'name_key'),), 'pk_attr': 'id', 'table_description': 'One real shop, however many chat accounts speak for it (ShopAccount).'},
        ),
        ops.AddField(
            model_name='Shop',
            name='ban_reason',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='Shop',
            name='banned_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Shop',
            name='banned_by',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddField(
            model_name='Shop',
            name='name_key',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
        ops.AddField(
            model_name='Shop',
            name='verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Shop',
            name='verified_by',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddField(
            model_name='Shop',
            name='verified_in',
            field=fields.BigIntField(null=True),
        ),
        # Written by hand: the existing shops' keys and owner accounts, before the
        # constraint that needs the keys.
        ops.RunPython(fill_shop_name_keys, reverse_code=ops.RunPython.noop),
        ops.RunPython(fill_shop_accounts, reverse_code=ops.RunPython.noop),
        ops.AddConstraint(
            model_name='Shop',
            constraint=UniqueConstraint(fields=('platform', 'name_key'), name=None),
        ),
    ]
