from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from bot.states import AccountRole, StatementKind, TrustAction, VouchEnd, Word
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

from bot.storage.migrations._operations import bound_open_appeal_holds, fill_vouches

class Migration(migrations.Migration):
    dependencies = [('models', '0011_web_access')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppealStatement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('appeal', fields.ForeignKeyField('models.Appeal', source_field='appeal_id', db_constraint=True, to_field='id', related_name='statements', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='bot.states.StatementKind', enum_type=StatementKind, max_length=8)),
                ('appellant', fields.CharField(db_index=True, max_length=128)),
                ('reason', fields.TextField(unique=False)),
                ('pictures', fields.JSONField(default=list, db_default='[]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('notified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appeal_statement', 'app': 'models', 'pk_attr': 'id', 'table_description': "Another appellant's words on an appeal: joined to the open one (one open appeal per"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FormerShopAccount',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(db_index=True, max_length=128)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='former_accounts', on_delete=OnDelete.RESTRICT)),
                ('role', fields.CharEnumField(description='bot.states.AccountRole', enum_type=AccountRole, max_length=8)),
                ('removed_by', fields.CharField(max_length=128)),
                ('removed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'former_shop_account', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An account that once spoke for a shop and was removed from it: while that shop is'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GroupBuyerWord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group_id', fields.BigIntField()),
                ('buyer_id', fields.IntField()),
                ('word', fields.CharEnumField(description='bot.states.Word', enum_type=Word, max_length=12)),
                ('level', fields.CharField(max_length=8)),
                ('alert_id', fields.IntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'group_buyer_word', 'app': 'models', 'unique_together': (('group_id', 'buyer_id'),), 'pk_attr': 'id', 'table_description': "The bot's last word to a group about a buyer (an alert, an escalation to 极高风险, a"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewHold',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='review_holds', on_delete=OnDelete.RESTRICT)),
                ('buyer', fields.ForeignKeyField('models.Buyer', source_field='buyer_id', db_constraint=True, to_field='id', related_name='review_holds', on_delete=OnDelete.RESTRICT)),
                ('held_by', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('accepted_by', fields.CharField(null=True, max_length=128)),
            ],
            options={'table': 'review_hold', 'app': 'models', 'unique_together': (('shop', 'buyer'),), 'pk_attr': 'id', 'table_description': 'A shop whose reports on a buyer a 版主 removed on appeal: its further reports on that'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrustDecision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('action', fields.CharEnumField(description='bot.states.TrustAction', enum_type=TrustAction, max_length=24)),
                ('actor', fields.CharField(max_length=128)),
                ('shop_id', fields.IntField(null=True)),
                ('account', fields.CharField(null=True, max_length=128)),
                ('group_id', fields.BigIntField(null=True)),
                ('buyer_id', fields.IntField(null=True)),
                ('appeal_id', fields.IntField(null=True)),
                ('report_id', fields.IntField(null=True)),
                ('detail', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'trust_decision', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The trust log: every vouch, withdrawal, ban, hold, release and reopening, with who'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Vouch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='vouches', on_delete=OnDelete.RESTRICT)),
                ('voucher', fields.CharField(db_index=True, max_length=128)),
                ('group_id', fields.BigIntField(null=True)),
                ('by_moderator', fields.BooleanField(default=False)),
                ('platform', fields.CharField(max_length=16)),
                ('name_key', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_why', fields.CharEnumField(null=True, description='bot.states.VouchEnd', enum_type=VouchEnd, max_length=24)),
                ('ended_by', fields.CharField(null=True, max_length=128)),
                ('notified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'vouch', 'app': 'models', 'pk_attr': 'id', 'table_description': "Someone vouched for a shop: a trusted group's owner or admin, in that group, or a"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WithdrawnVoucher',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(unique=True, max_length=128)),
                ('withdrawn_by', fields.CharField(max_length=128)),
                ('reason', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'withdrawn_voucher', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A group admin a 版主 no longer lets vouch: their standing vouches ended with it.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Alert',
            name='held_for',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Alert',
            name='held_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterModelOptions(
            name='ApiKey',
            options={'table': 'api_key', 'app': 'models', 'pk_attr': 'id', 'table_description': "A shop's key for the HTTP API (/令牌). Only its SHA-256 is kept, the key itself"},
        ),
        ops.AddField(
            model_name='Appeal',
            name='hold_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Appeal',
            name='notified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Appeal',
            name='reopened',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Report',
            name='held',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Shop',
            name='roots',
            field=fields.CharField(default='', db_default='', max_length=500),
        ),
        ops.RunPython(fill_vouches, reverse_code=ops.RunPython.noop),
        ops.RunPython(bound_open_appeal_holds, reverse_code=ops.RunPython.noop),
    ]
