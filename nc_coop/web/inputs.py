# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Reading a view's input (a submitted form, a JSON body, the query string) through a marshmallow
schema, and the 422 answer the JSON API gives for invalid input: ``{"errors": {...}}``."""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, NoReturn

from flask import abort, jsonify, request
from marshmallow import Schema, ValidationError

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


def json_data(schema: Schema, flatten: Flatten | None = None, *, strict: bool = False) -> dict[str, Any]:
    """The JSON body through ``schema``; 422 with the (``flatten``-ed) messages when it is invalid.

    A missing or unparsable body counts as empty, and so does one that is not an object, unless
    ``strict``: then a non-empty one that is not an object is refused by the schema.
    """
    body = request.get_json(silent=True)
    if strict:
        body = body or {}
    elif not isinstance(body, dict):
        body = {}
    try:
        return schema.load(body)
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
