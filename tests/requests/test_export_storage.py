# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
""""Download my data" holds the storage requests the user made, and nobody else's."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from nc_coop.quota.services import Actor, create_request
from nc_coop.register.models import Membership
from tests.conftest import appapi_headers

GB = 1024**3


def _export(client: FlaskClient, user: str) -> dict[str, Any]:
    answer = client.get("/api/v1/privacy/export", headers=appapi_headers(user))
    assert answer.status_code == 200
    return answer.get_json(force=True)


def test_the_export_holds_the_users_own_storage_requests(client: FlaskClient, engine: Engine,
                                                         people: dict[str, int]) -> None:
    with Session(engine) as session:
        org_party = session.scalar(select(Membership.party_id).where(Membership.id == people["org"]))
        own = create_request(session, Actor("alice", "t1"), scope="user", amount=5 * GB, reason="Fotoarchiv")
        create_request(session, Actor("bob", "t2"), scope="user", amount=7 * GB, reason="Bobs Videos")
        pool = create_request(session, Actor("rita", "t3"), scope="organisation", party_id=org_party,
                              amount=50 * GB, reason="Vereinsarchiv")
        session.commit()
        own_id, pool_id = own.id, pool.id

    alices = _export(client, "alice")
    assert [(r["id"], r["requester"], r["amount"], r["reason"], r["status"]) for r in alices["storage_requests"]] == [
        (own_id, "alice", 5 * GB, "Fotoarchiv", "open")]
    assert "Bobs Videos" not in str(alices) and "Vereinsarchiv" not in str(alices)
    audited = [(e["entity"], e["entity_id"], e["action"]) for e in alices["audit_events"] if e["entity"] == "quota_request"]
    assert audited == [("quota_request", str(own_id), "quota.request_created")]

    ritas = _export(client, "rita")  # she asked for her association's pool: her request, in her export
    assert [(r["id"], r["scope"], r["party_id"]) for r in ritas["storage_requests"]] == [
        (pool_id, "organisation", org_party)]
    assert "Bobs Videos" not in str(ritas) and "Fotoarchiv" not in str(ritas)
    assert _export(client, "carol")["storage_requests"] == []
