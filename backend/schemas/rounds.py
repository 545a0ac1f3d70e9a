from collections import Counter

from marshmallow import ValidationError, fields, validate

from backend.schemas.common import PageQuery, QueryId, StrictSchema, Text, WholeNumber
from backend.schemas.offices import OfficeChoiceSchema


def no_repeats(ids: list[int]) -> None:
    repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
    if repeated:
        raise ValidationError(f"Item ids must not repeat: {', '.join(map(str, repeated))}.")


class RoundCreateSchema(OfficeChoiceSchema):
    postman_id = WholeNumber(required=True, metadata={"description": "An active user with the postman role"})
    round_date = fields.Date(required=True)
    note = Text(allow_none=True, validate=validate.Length(max=500))


class RoundQuerySchema(PageQuery):
    round_date = fields.Date(data_key="date")
    postman_id = QueryId()
    office_id = QueryId(metadata={"description": "Only this post office's rounds (by id)"})


class MineQuerySchema(StrictSchema):
    round_date = fields.Date(data_key="date", metadata={"description": "Defaults to today (local time)"})


class ItemIdsSchema(StrictSchema):
    item_ids = fields.List(
        WholeNumber(validate=validate.Range(min=1)),
        required=True,
        validate=[validate.Length(min=1), no_repeats],
        metadata={"description": "Item ids; for assign and order, in visiting order", "uniqueItems": True},
    )


class PostmanSchema(StrictSchema):
    """A user in brief, as a round, a handover or an exception names them (users.UserSchema adds the rest)."""

    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    full_name = fields.String(dump_only=True)


class StopSchema(StrictSchema):
    """One stop: only what the postman needs to find the place and the person (Decree 13/2023)."""

    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    direction = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    recipient_name = fields.String(dump_only=True)
    address_line = fields.String(dump_only=True)
    commune = fields.String(dump_only=True)
    province = fields.String(dump_only=True)
    lat = fields.Float(dump_only=True, allow_none=True)
    lon = fields.Float(dump_only=True, allow_none=True)
    stop_order = fields.Integer(dump_only=True, allow_none=True)
    leg_distance_m = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "Metres from the previous located stop "
            "(or the post office); null without coordinates"
        },
    )
    # The citizen's answer from the tracking link (docs/citizen.md): the planner moves the stop.
    citizen_choice = fields.String(dump_only=True, allow_none=True)
    citizen_day = fields.Date(dump_only=True, allow_none=True)
    stand_in_name = fields.String(dump_only=True, allow_none=True)


class RoundSchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    postman_id = fields.Integer(dump_only=True)
    postman = fields.Nested(PostmanSchema, dump_only=True)
    office_id = fields.Integer(dump_only=True, allow_none=True)
    round_date = fields.Date(dump_only=True)
    status = fields.String(dump_only=True)
    note = fields.String(dump_only=True, allow_none=True)
    version = fields.Integer(
        dump_only=True,
        metadata={"description": "The plan's version (also the ETag): send it as If-Match with a change"},
    )
    total_distance_m = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "From the post office through every located stop and back, in metres"},
    )
    stop_count = fields.Integer(dump_only=True)
    progress = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        dump_only=True,
        metadata={"description": "Number of stops in each item status"},
    )
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class RoundDetailSchema(RoundSchema):
    return_distance_m = fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "Last located stop back to the post office"}
    )
    stops = fields.List(fields.Nested(StopSchema), dump_only=True)
