"""Fields and base classes shared by every schema."""

from __future__ import annotations

import copy
import re

import marshmallow as ma
from marshmallow import fields, validate

from backend.domain.text import nfc


class StrictSchema(ma.Schema):
    """Unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


_CONTROL_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_CONTROL = re.compile(f"[{_CONTROL_CLASS}]")
# The same rules as a JSON Schema pattern, so the OpenAPI document states them: no control
# characters and (unless blank is allowed) at least one character that is not white space.
NO_CONTROL_PATTERN = f"^[^{_CONTROL_CLASS}]*$"
NOT_BLANK_PATTERN = f"^[^{_CONTROL_CLASS}]*[^\\s\\x85{_CONTROL_CLASS}][^{_CONTROL_CLASS}]*$"


class Text(fields.String):
    """A string, NFC-normalised and trimmed; blank is treated as missing when `allow_blank` is False."""

    def __init__(self, *args, allow_blank: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.allow_blank = allow_blank
        # A Regexp validator (codes, phone numbers) says more than the generic rule; the value is
        # trimmed before it is checked, so the documented pattern allows surrounding space.
        regex = next(
            (v.regex.pattern for v in self.validators if isinstance(getattr(v, "regex", None), re.Pattern)),
            None,
        )
        if regex is not None:
            pattern = rf"^\s*(?:{regex.removeprefix('^').removesuffix('$')})\s*$"
        else:
            pattern = NO_CONTROL_PATTERN if allow_blank else NOT_BLANK_PATTERN
        self.metadata = {"pattern": pattern, **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        # The documented maxLength counts what was sent, as JSON Schema does, not what is left after trimming.
        for validator in self.validators:
            if (
                isinstance(validator, validate.Length)
                and validator.max is not None
                and len(raw) > validator.max
            ):
                raise ma.ValidationError(f"Longer than maximum length {validator.max}.")
        text = nfc(raw)
        if _CONTROL.search(text):
            raise ma.ValidationError("Must not contain control characters.")
        if not text and not self.allow_blank:
            raise ma.ValidationError("Must not be blank.")
        return text


class WholeNumber(fields.Integer):
    """An integer that refuses floats, numeric strings and booleans."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("strict", True)
        super().__init__(*args, **kwargs)
        # Every whole number is stored in a 32-bit column: the document says so, and a larger one is
        # a field error (422 naming it), not a database error.
        self.validators.append(validate.Range(min=-(2**31), max=2**31 - 1))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ma.ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


class Flag(fields.Boolean):
    """A JSON true or false; 0, 1, "yes" and the like are refused (query strings use fields.Boolean)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ma.ValidationError("Not a valid boolean (true or false).")
        return value


def Money(**kwargs) -> WholeNumber:
    """Integer VND, never negative, never fractional."""
    kwargs.setdefault("validate", validate.Range(min=0, max=1_000_000_000))
    kwargs.setdefault("metadata", {"description": "Integer VND"})
    return WholeNumber(**kwargs)


def Latitude(**kwargs) -> fields.Float:
    return fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False, **kwargs)


def Longitude(**kwargs) -> fields.Float:
    return fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False, **kwargs)


MAX_ID = 2**31 - 1  # ids are 32-bit in the database (URL ids too: backend.BoundedIntConverter)


def QueryId(**kwargs) -> fields.Integer:
    """An id in a query string: text that holds a whole number within the database's range."""
    kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
    return fields.Integer(**kwargs)


# The last page anyone can ask for: its offset (times at most 500 a page) stays inside a 64-bit
# integer on both databases; a page past the data is simply empty.
MAX_PAGE = 1_000_000


class PageQuery(StrictSchema):
    # Query strings are text, so these are the lenient Integer (WholeNumber is for JSON bodies).
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


def update_schema(create_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A PATCH schema from a create schema: the same fields, none required, no defaults."""
    fields_ = {}
    for field_name, field in create_schema._declared_fields.items():
        if field.dump_only:
            continue
        optional = copy.copy(field)
        optional.required = False
        optional.load_default = ma.missing
        fields_[field_name] = optional
    return type(name, (StrictSchema,), fields_)


class PrintQuery(StrictSchema):
    """The language of a printed page: Vietnamese, or Vietnamese with the English after it."""

    lang = fields.String(
        load_default="vi",
        validate=validate.OneOf(("vi", "en")),
        metadata={"description": "vi: Vietnamese; en: each heading in Vietnamese, then English"},
    )


class DateRangeQuery(StrictSchema):
    """A range of local days, both ends given and in order (a report's, the fees')."""

    date_from = fields.Date(required=True, metadata={"description": "First local date, inclusive"})
    date_to = fields.Date(required=True, metadata={"description": "Last local date, inclusive"})

    @ma.validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ma.ValidationError("Must be on or after date_from.", "date_to")
