from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

from bot.storage.migrations._operations import RecordFieldAltered, add_index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_screening_jobs')]

    initial = False

    # Indexes made in SQL both databases understand; Tortoise's AlterField would rebuild
    # the SQLite tables and lose their other indexes.
    operations = [
        add_index("report", "created_at"),
        add_index("decision", "created_at"),
        RecordFieldAltered(
            model_name='Decision',
            name='created_at',
            field=fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
        ),
        RecordFieldAltered(
            model_name='Report',
            name='created_at',
            field=fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
        ),
    ]
