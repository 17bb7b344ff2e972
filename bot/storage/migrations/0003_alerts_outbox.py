from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_guide_case')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=8)),
                ('group_id', fields.BigIntField()),
                ('event_key', fields.CharField(max_length=80)),
                ('text', fields.TextField(unique=False)),
                ('image', fields.CharField(null=True, max_length=255)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=8)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_by', fields.CharField(null=True, max_length=64)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox', 'app': 'models', 'unique_together': (('group_id', 'event_key'),), 'pk_attr': 'id', 'table_description': 'A proactive message, written in the same transaction as the event that caused'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Subscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group_id', fields.BigIntField(unique=True)),
                ('digest_time', fields.CharField(default='09:00', max_length=5)),
                ('active', fields.BooleanField(default=True, db_index=True)),
                ('delivery', fields.CharField(default='ok', max_length=8)),
                ('subscribed_by', fields.CharField(max_length=128)),
                ('last_digest_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'subscription', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A group that gets real-time alerts and a daily digest.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Buyer',
            name='alerted',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
