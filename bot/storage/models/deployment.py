"""Facts about the deployment itself, kept beside the pool they describe."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class DeploymentFact(Model):
    """One named fact about the deployment, such as the check value of the fingerprint
    key (`identity_key_check`): an HMAC of a fixed label under the key, never the key. A
    process that starts with another key finds a different value and refuses to run,
    instead of silently never matching a stored phone or address again."""

    name = fields.CharField(max_length=64, primary_key=True)
    value = fields.CharField(max_length=256)
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "deployment_fact"
