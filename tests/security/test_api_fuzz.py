# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""No 500 anywhere in the JSON API: schemathesis generates requests to every operation of the
OpenAPI document the app serves, valid ones and invalid ones (wrong types, missing fields,
out-of-range values), on one seeded register, and none may get a server error.

One test per database walks all operations (a fresh app per operation would cost a migration
each); the examples per operation are few, so the whole walk stays well under a minute. The
per-module fuzzers (tests/register, tests/documents) check response conformance in depth.
"""
from __future__ import annotations

import re
from typing import Any

import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from sqlalchemy import Engine

from nc_coop.web.openapi import document
from tests.conftest import get_db_engine
from tests.security.seed import SEEDED_IDS, headers, seed

EXAMPLES = 4  # per operation and mode: 54 operations x 2 modes x 4 = 432 requests, about 15 s


def api_routes(app: Flask) -> set[str]:
    """"METHOD /path/{param}" of every JSON API route in the app's URL map."""
    def openapi_path(rule: str) -> str:
        return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)

    return {f"{method} {openapi_path(rule.rule)}" for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/") for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


def _with_known_ids(case: Any, known: int | None) -> Any:
    """Often a row that exists, so that requests get past the 404 into the rules."""
    if known is not None and case.path_parameters:
        case.path_parameters = {k: known if isinstance(v, int) else v for k, v in case.path_parameters.items()}
    return case


def _fuzz(app: Flask, operation: Any, mode: GenerationMode, failures: list[str], tried: set[str]) -> None:
    strategy = st.tuples(operation.as_strategy(generation_mode=mode), st.sampled_from([*SEEDED_IDS, None]))

    @given(drawn=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def call(drawn: tuple[Any, int | None]) -> None:
        case = _with_known_ids(*drawn)
        response = case.call(app=app, headers=headers(app))
        tried.add(operation.label)
        if response.status_code >= 500:
            failures.append(f"{operation.label}: {response.status_code} for {case.method} "
                            f"{case.formatted_path} query={case.query} body={case.body!r}"[:500])

    call()


def test_no_generated_request_to_any_operation_gets_a_server_error(app: Flask, client: FlaskClient) -> None:
    engine: Engine = get_db_engine(app)
    seed(app, engine, client)
    schema = schemathesis.openapi.from_dict(document(app))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == api_routes(app), "the document lists every route of the API"
    failures: list[str] = []
    tried: set[str] = set()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(app, operation, mode, failures, tried)
            except schemathesis.errors.SchemathesisError:
                pass  # no invalid input exists for this operation (nothing to negate)
    assert failures == []
    assert len(tried) == len(operations), "every operation got requests"
