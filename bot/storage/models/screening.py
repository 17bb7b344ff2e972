"""Order exports waiting to be screened, and what came of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.states import (
    Channel,
    ScreeningState,
)
from bot.storage.models.shops import Shop


class ScreeningJob(Model):
    """An order export waiting to be screened, being screened, or screened: the file
    waits in the data folder until a worker process has read it, so a restart loses no
    acknowledged file; the outcome (counts and the orders worth a look, masked) and the
    result file stay for the chat summary and the HTTP API."""

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "models.Shop", related_name="screenings", on_delete=fields.RESTRICT
    )
    platform = fields.CharField(max_length=16)
    file_name = fields.CharField(max_length=120)
    state = fields.CharEnumField(
        ScreeningState,
        description="bot.states.ScreeningState",
        max_length=8,
        default=ScreeningState.queued,
        db_index=True,
    )
    # Where the summary goes when it is done (None: asked through the HTTP API).
    reply_channel = fields.CharEnumField(Channel, description="bot.states.Channel", max_length=8, null=True)
    reply_target = fields.BigIntField(null=True)
    input_path = fields.CharField(max_length=255, null=True)
    result_path = fields.CharField(max_length=255, null=True)
    outcome: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    error_code = fields.CharField(max_length=64, null=True)
    error_context: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    stage = fields.CharField(max_length=32, null=True)
    done = fields.IntField(default=0)
    total = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:
        shop_id: int

    class Meta:
        table = "screening_job"
