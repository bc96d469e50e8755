# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The base of every marshmallow schema here: its error messages in the user's language.

marshmallow writes its built-in messages ("Missing data for required field.", "Must be greater
than or equal to 1.") in English, and some of them (Range, Length) are formatted when the schema
class is defined, long before anyone's language is known. So they are translated on the way out
instead: ``Schema.handle_error`` replaces each built-in message, recognised by its English
template, with the catalogue's text in the current locale. Messages the app raises itself are
translated already and pass through unchanged.

It also holds the two input fields every schema uses for its numbers and days (a test checks
that): ``WholeNumber`` and ``Day``, so that one rule, not a copy per schema, says what input is.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

import marshmallow
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

# marshmallow 4's messages as written in marshmallow/fields.py, validate.py and schema.py.
_FIXED: dict[str, LazyString] = {
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Invalid value.": _l("Invalid value."),
    "Invalid type.": _l("Invalid type."),
    "Invalid input type.": _l("Invalid input type."),
    "Invalid input.": _l("Invalid input."),
    "Unknown field.": _l("Unknown field."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid tuple.": _l("Not a valid tuple."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid utf-8 string.": _l("Not a valid utf-8 string."),
    "Not a valid UUID.": _l("Not a valid UUID."),
    "Not a valid number.": _l("Not a valid number."),
    "Number too large.": _l("Number too large."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Special numeric values (nan or infinity) are not permitted.":
        _l("Special numeric values (nan or infinity) are not permitted."),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid datetime.": _l("Not a valid datetime."),
    "Not a valid naive datetime.": _l("Not a valid naive datetime."),
    "Not a valid aware datetime.": _l("Not a valid aware datetime."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid time.": _l("Not a valid time."),
    "Not a valid period of time.": _l("Not a valid period of time."),
    "Not a valid mapping type.": _l("Not a valid mapping type."),
    "Not a valid URL.": _l("Not a valid URL."),
    "Not a valid email address.": _l("Not a valid email address."),
    "String does not match expected pattern.": _l("String does not match expected pattern."),
}


def _pattern(template: str) -> re.Pattern[str]:
    """marshmallow's ``{name}`` template as a regular expression with one group per name."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)) + r"\Z",
                      re.S)


# Templates with values; the catalogue's text takes the same names as %(name)s.
_TEMPLATED: list[tuple[re.Pattern[str], Callable[..., str]]] = [(_pattern(t), f) for t, f in (
    ("Must be greater than or equal to {min} and less than or equal to {max}.",
     lambda **v: _l("Must be greater than or equal to %(min)s and less than or equal to %(max)s.", **v)),
    ("Must be greater than {min} and less than {max}.",
     lambda **v: _l("Must be greater than %(min)s and less than %(max)s.", **v)),
    ("Must be greater than or equal to {min} and less than {max}.",
     lambda **v: _l("Must be greater than or equal to %(min)s and less than %(max)s.", **v)),
    ("Must be greater than {min} and less than or equal to {max}.",
     lambda **v: _l("Must be greater than %(min)s and less than or equal to %(max)s.", **v)),
    ("Must be greater than or equal to {min}.", lambda **v: _l("Must be greater than or equal to %(min)s.", **v)),
    ("Must be greater than {min}.", lambda **v: _l("Must be greater than %(min)s.", **v)),
    ("Must be less than or equal to {max}.", lambda **v: _l("Must be less than or equal to %(max)s.", **v)),
    ("Must be less than {max}.", lambda **v: _l("Must be less than %(max)s.", **v)),
    ("Shorter than minimum length {min}.", lambda **v: _l("Shorter than minimum length %(min)s.", **v)),
    ("Longer than maximum length {max}.", lambda **v: _l("Longer than maximum length %(max)s.", **v)),
    ("Length must be between {min} and {max}.", lambda **v: _l("Length must be between %(min)s and %(max)s.", **v)),
    ("Length must be {equal}.", lambda **v: _l("Length must be %(equal)s.", **v)),
    ("Must be equal to {other}.", lambda **v: _l("Must be equal to %(other)s.", **v)),
    ("Must be one of: {choices}.", lambda **v: _l("Must be one of: %(choices)s.", **v)),
    ("One or more of the choices you made was not in: {choices}.",
     lambda **v: _l("One or more of the choices you made was not in: %(choices)s.", **v)),
    ("One or more of the choices you made was in: {values}.",
     lambda **v: _l("One or more of the choices you made was in: %(values)s.", **v)),
)]


def translate_message(message: str) -> str:
    """A marshmallow built-in message in the current locale; any other message unchanged."""
    fixed = _FIXED.get(message)
    if fixed is not None:
        return str(fixed)
    for pattern, text in _TEMPLATED:
        match = pattern.match(message)
        if match:
            return str(text(**match.groupdict()))
    return message


def translate_messages(messages: Any) -> Any:
    """marshmallow's error structure (dicts and lists of messages, any depth) translated."""
    if isinstance(messages, dict):
        return {key: translate_messages(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate_messages(value) for value in messages]
    if isinstance(messages, str):
        return translate_message(messages)
    return messages


class Schema(marshmallow.Schema):
    """What every schema of nc_coop derives from (a test checks that): errors in the user's language."""

    def handle_error(self, error: ValidationError, data: Any, *, many: bool, **kwargs: Any) -> None:
        raise ValidationError(translate_messages(error.messages), error.field_name, data=error.data,
                              valid_data=error.valid_data)


# --- The shared input fields ---------------------------------------------------------------------

_JSON_INPUT: ContextVar[bool] = ContextVar("nc_coop_json_input", default=False)


@contextmanager
def json_input() -> Iterator[None]:
    """Loading a JSON body: numbers must then be JSON numbers (forms and query strings send text)."""
    token = _JSON_INPUT.set(True)
    try:
        yield
    finally:
        _JSON_INPUT.reset(token)


class WholeNumber(fields.Integer):
    """A whole number: from JSON a JSON integer (2; not "2", 2.0 or true), from a form or a query
    string its digits ("2"; not "2.7"). A fraction is refused at the field, never cut off."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or (_JSON_INPUT.get() and not isinstance(value, int)):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        if isinstance(value, str) and not re.fullmatch(r"[+-]?[0-9]+", value.strip()):
            raise self.make_error("invalid")
        return super()._validated(value)


# Every day the app accepts, in any field: far enough back for old registers, and far enough from
# date.max that no period added to it (notice periods, settlement, month ends) can overflow.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
DAY_RANGE = validate.Range(min=FIRST_DAY, max=LAST_DAY,
                           error=_l("Must be a day from %(min)s to %(max)s.", min=FIRST_DAY.isoformat(),
                                    max=LAST_DAY.isoformat()))
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


class Day(fields.Date):
    """A day written YYYY-MM-DD (not "20250101" or "2025-W01-1", which Python's parser also
    takes), within ``DAY_RANGE``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["validate"] = [DAY_RANGE, *_as_list(kwargs.get("validate"))]
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value  # from Python callers; JSON and forms always send text
        if not isinstance(value, str) or not _ISO_DAY.match(value):
            raise ValidationError(str(_l("Not a valid date; write YYYY-MM-DD.")))
        return super()._deserialize(value, attr, data, **kwargs)


def _as_list(validators: Any) -> list[Any]:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, (list, tuple)) else [validators]
