# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Reading a view's input (a submitted form, a JSON body, the query string) through a marshmallow
schema, and the answers the JSON API gives for bad input: 400 ``{"error": "..."}`` for a body
that is not JSON, 422 ``{"errors": {...}}`` for invalid input."""
from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from typing import Any, NoReturn

from flask import abort, jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError

from nc_coop.web.schema import json_input

Flatten = Callable[[dict[str, Any]], dict[str, Any]]


def form_fields(skip: Collection[str] = ()) -> dict[str, str]:
    """The submitted form's fields, stripped; empty ones count as absent, as do csrf_token and ``skip``."""
    return {k: v.strip() for k, v in request.form.items()
            if k != "csrf_token" and k not in skip and v.strip() != ""}


def field_lists(messages: Mapping[str, Any]) -> dict[str, list[str]]:
    """marshmallow's messages as one list per field, for showing them at the form's fields."""
    return {k: list(v) if isinstance(v, list) else [str(v)] for k, v in messages.items()}


def form_data(schema: Schema) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """A submitted form through ``schema``: the data and no errors, or None and the errors by field."""
    try:
        return schema.load(form_fields()), {}
    except ValidationError as exc:
        return None, field_lists(exc.normalized_messages())


def unprocessable(errors: dict[str, Any]) -> NoReturn:
    """End the request with 422 and ``{"errors": errors}``."""
    response = jsonify({"errors": errors})
    response.status_code = 422
    abort(response)


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(name)  # NaN, Infinity: Python's json takes them, JSON does not


def json_body() -> Any:
    """The request body parsed as JSON (whatever its Content-Type); None when there is none.

    A body that is not JSON ends the request with 400 ``{"error": ...}``: it is never taken for
    an empty one. So does one nested too deeply to parse (Python's parser recurses).
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        message = _("The request body is not valid JSON (at character %(pos)s).", pos=exc.pos)
    except RecursionError:
        message = _("The request body is not valid JSON: it is nested too deeply.")
    except ValueError:  # not UTF-8/16/32, or NaN/Infinity
        message = _("The request body is not valid JSON.")
    response = jsonify({"error": message})
    response.status_code = 400
    abort(response)


def json_data(schema: Schema, flatten: Flatten | None = None) -> dict[str, Any]:
    """The JSON body through ``schema``; 422 with the (``flatten``-ed) messages when it is invalid.

    No body (or ``null``) counts as an empty object; one that is not an object is refused by the
    schema. Numbers must be JSON numbers here (see ``WholeNumber``).
    """
    body = json_body()
    try:
        with json_input():
            return schema.load({} if body is None else body)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        unprocessable(flatten(messages) if flatten else messages)


def query_data(schema: Schema, flatten: Flatten | None = None) -> dict[str, Any]:
    """The query string through ``schema``; 422 with the (``flatten``-ed) messages when it is invalid."""
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as exc:
        messages = exc.normalized_messages()
        unprocessable(flatten(messages) if flatten else messages)
