# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A small register for the fuzzers and input tests: three members (the first linked to the
admin's account, so member pages and requests work for "admin" too), a deposit, a pending
notice and an open request of the admin's, so that generated ids often reach real rows."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from nc_coop.audit.models import AuditEvent
from nc_coop.register.models import Account
from nc_coop.register.services import admit_member, book_capital, receive_notice
from nc_coop.register.statutes import add_statute_version
from nc_coop.web.csrf import csrf_token
from tests.conftest import appapi_headers
from tests.register.conftest import OFFICE, STATUTE, make_party

SEEDED_IDS = [1, 2, 3]
USER = "admin"  # a cooperative admin (group admin) and member 1


def seed(app: Flask, engine: Engine, client: FlaskClient) -> None:
    with Session(engine) as session, session.begin():
        add_statute_version(session, actor="office", version=1, adopted_at=date(2019, 5, 1),
                            registered_at=date(2019, 7, 1), params=STATUTE)
        ids = []
        for name, kind, shares in (("Erika Mustermann", "natural", 2), ("TSV Musterstadt e.V.", "association", 3),
                                   ("Max Beispiel", "natural", 1)):
            party = make_party(session, kind, name)
            ids.append(admit_member(session, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10),
                                    shares=shares).id)
        assert ids == SEEDED_IDS
        book_capital(session, OFFICE, membership_id=1, kind="deposit", amount_cents=15_000,
                     value_date=date(2024, 2, 1), reference="SEPA-1")
        receive_notice(session, OFFICE, membership_id=3, received_on=date.today())
        session.add(Account(nextcloud_user_id=USER, party_id=1, role="self", created_at=datetime.now(UTC)))
    answer = post_json(app, client, "/api/v1/requests/shares", {"membership_id": 1, "shares": 1,
                                                                "acknowledged": ["statute", "payment", "notice_period"]})
    assert answer.status_code == 201, answer.get_data(as_text=True)


def headers(app: Flask, user: str = USER) -> dict[str, str]:
    with app.app_context():
        token = csrf_token(user)
    return {**appapi_headers(user), "X-CSRF-Token": token}


def post_json(app: Flask, client: FlaskClient, path: str, body: Any) -> Any:
    return client.post(path, json=body, headers=headers(app))


def audit_count(engine: Engine) -> int:
    """Every write of the app leaves an audit event: an unchanged count means nothing was written."""
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0
