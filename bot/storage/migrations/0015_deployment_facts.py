from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_web_sessions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DeploymentFact',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('value', fields.CharField(max_length=256)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deployment_fact', 'app': 'models', 'pk_attr': 'name', 'table_description': 'One named fact about the deployment, such as the check value of the fingerprint'},
            bases=['Model'],
        ),
    ]
