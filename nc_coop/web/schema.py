# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The base of every marshmallow schema here: its error messages in the user's language.

marshmallow writes its built-in messages ("Missing data for required field.", "Must be greater
than or equal to 1.") in English, and some of them (Range, Length) are formatted when the schema
class is defined, long before anyone's language is known. So they are translated on the way out
instead: ``Schema.handle_error`` replaces each built-in message, recognised by its English
template, with the catalogue's text in the current locale. Messages the app raises itself are
translated already and pass through unchanged.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import marshmallow
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

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
