# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""marshmallow's built-in messages reach the user in their language, for every schema."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import string

import marshmallow
import pytest
from flask import Flask
from flask_babel import force_locale
from marshmallow import ValidationError, fields, validate

import nc_coop
from nc_coop.web.schema import Schema, translate_message


def _builtin_messages() -> list[str]:
    """Every message marshmallow can write, with sample values in its ``{name}`` places."""
    templates: set[str] = set(marshmallow.Schema._default_error_messages.values())
    for _, cls in inspect.getmembers(fields, inspect.isclass):
        templates |= {m for m in getattr(cls, "default_error_messages", {}).values() if isinstance(m, str)}
    for _, cls in inspect.getmembers(validate, inspect.isclass):
        templates |= {v for k, v in vars(cls).items() if isinstance(v, str) and
                      (k == "default_message" or k.startswith("message_") and "{" in v or k == "message_equal")}
    range_ops = [("greater than or equal to", "less than or equal to"), ("greater than", "less than")]
    messages = []
    for template in templates:
        if "{min_op}" in template or "{max_op}" in template:  # validate.Range fills these in at once
            messages += [template.format(min_op=lo, max_op=hi) for lo, _ in range_ops for _, hi in range_ops]
            continue
        messages.append(template)
    samples = {"min": "1", "max": "9", "equal": "3", "other": "x", "choices": "a, b", "values": "c",
               "obj_type": "datetime", "awareness": "naive", "input": "'x'", "input!r": "'x'"}
    out = []
    for message in messages:
        names = [n for _, n, _, _ in string.Formatter().parse(message) if n]
        out.append(message.replace("{{", "{").replace("}}", "}") if not names else
                   message.replace("{input!r}", "'x'").format(**samples))
    return sorted(set(out))


def _untranslated_in_german(app: Flask, message: str) -> bool:
    with app.test_request_context(headers={"Accept-Language": "de"}), force_locale("de"):
        return translate_message(message) == message


def _never_shown(message: str) -> bool:
    """Errors of dumping (our own output, never a user's input) and of IP fields, which nc_coop
    does not use."""
    return "cannot be formatted as" in message or message.startswith("Not a valid IP")


def test_every_builtin_message_of_marshmallow_has_a_german_text(app: Flask) -> None:
    messages = _builtin_messages()
    assert "Missing data for required field." in messages and "Must be greater than or equal to 1." in messages
    untranslated = [m for m in messages if not _never_shown(m) and _untranslated_in_german(app, m)]
    assert untranslated == []


def test_a_message_of_the_app_itself_passes_through(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert translate_message("Bitte begründen.") == "Bitte begründen."
        assert translate_message("Must be one of: a, b.") == "Muss eines davon sein: a, b."
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert translate_message("Must be one of: a, b.") == "Must be one of: a, b."


def test_a_schema_refuses_in_the_requests_language(app: Flask) -> None:
    class Example(Schema):
        count = fields.Integer(required=True, validate=validate.Range(min=1))
        items = fields.List(fields.Integer())

    with app.test_request_context(headers={"Accept-Language": "de"}):
        with pytest.raises(ValidationError) as refused:
            Example().load({"count": 0, "items": [1, "x"], "other": 1})
    assert refused.value.messages == {"count": ["Muss mindestens 1 sein."], "items": {1: ["Keine gültige ganze Zahl."]},
                                      "other": ["Unbekanntes Feld."]}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(ValidationError) as refused:
            Example().load({})
    assert refused.value.messages == {"count": ["Missing data for required field."]}


def test_every_schema_of_the_app_derives_from_the_translating_base() -> None:
    for info in pkgutil.walk_packages(nc_coop.__path__, "nc_coop."):
        if ".migrations." in info.name:
            continue
        importlib.import_module(info.name)
    outsiders = []

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("nc_coop.") and not issubclass(sub, Schema):
                outsiders.append(f"{sub.__module__}.{sub.__qualname__}")
            walk(sub)

    walk(marshmallow.Schema)
    assert outsiders == []
