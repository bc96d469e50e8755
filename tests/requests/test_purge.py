# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""§15 Abs. 2 GenG: once a rejection has been sent, the data of an electronic declaration is
deleted. The test reads every text of every table and looks for the applicant."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, MetaData, select
from sqlalchemy.orm import Session

from nc_coop.requests.models import MemberRequest
from nc_coop.standin import NextcloudStandIn
from tests.conftest import appapi_headers
from tests.requests.conftest import post

APPLICANT = {"kind": "natural", "given_names": "Łukasz", "family_name": "Żółćwiński",
             "postal_address": "Ærøvej 77, 5970 Ærøskøbing", "email": "lukasz.zolc@example.org", "shares": "1",
             "ack_statute": "1", "ack_payment": "1", "ack_notice_period": "1"}
TRACES = ["Łukasz", "Żółćwiński", "Ærøvej", "lukasz.zolc", "carol", "Keine Aufnahme"]


def _every_text(engine: Engine) -> str:
    """All text of all rows of all tables (the audit log included), as one string."""
    meta = MetaData()
    meta.reflect(engine)
    texts = []
    with Session(engine) as s:
        for table in meta.tables.values():
            for row in s.execute(select(table)):
                texts.extend(str(v) for v in row if v is not None)
    return "\n".join(texts)


def _apply_and_reject(app: Flask, client: FlaskClient) -> int:
    assert post(app, client, "/requests/join", "carol", APPLICANT).headers.get("X-NC-Coop-Continue")
    rid = client.get("/api/v1/requests", headers=appapi_headers("carol")).get_json()["requests"][0]["id"]
    answer = post(app, client, f"/admin/requests/{rid}/decision", "bea",
                  {"decision": "reject", "reason": "Keine Aufnahme derzeit"})
    assert answer.headers.get("X-NC-Coop-Continue")
    return rid


def test_a_rejected_application_leaves_no_personal_data(app: Flask, client: FlaskClient, engine: Engine,
                                                        standin: NextcloudStandIn) -> None:
    rid = _apply_and_reject(app, client)
    # carol was told in Nextcloud, with the reason ...
    (sent,) = [n for n in standin.state.notifications if n["user"] == "carol"]
    assert "Keine Aufnahme derzeit" in sent["subject_params"]["rich_message"]
    # ... and then every trace of her application went, but the tombstone.
    everything = _every_text(engine)
    assert [t for t in TRACES if t in everything] == []
    with Session(engine) as s:
        tomb = s.get(MemberRequest, rid)
        assert (tomb.kind, tomb.status) == ("join", "rejected")
        assert tomb.submitted_at and tomb.decided_at and tomb.notified_at and tomb.purged_at
        assert tomb.submitted_by is None and tomb.payload is None and tomb.reason is None
    # Nobody can find it any more but the board's inbox, which shows the tombstone.
    assert client.get("/api/v1/requests", headers=appapi_headers("carol")).get_json() == {"requests": []}
    inbox = client.get(f"/api/v1/admin/requests/{rid}", headers=appapi_headers("bea")).get_json()
    assert inbox["purged"] is True and inbox["applicant"] is None and inbox["member_name"] is None


def test_the_data_stays_until_the_rejection_could_be_sent(app: Flask, client: FlaskClient, engine: Engine,
                                                          standin: NextcloudStandIn) -> None:
    carol = standin.state.users.pop("carol")  # Nextcloud does not know her (yet): the notification fails
    rid = _apply_and_reject_as_far_as_possible(app, client, standin, carol)
    with Session(engine) as s:
        request = s.get(MemberRequest, rid)
        assert request.status == "rejected" and request.purged_at is None and request.notify_error
        assert request.payload is not None
    page = client.get(f"/admin/requests/{rid}", headers=appapi_headers("bea")).get_data(as_text=True)
    assert "The member was not notified" in page
    standin.state.users["carol"] = carol
    assert post(app, client, f"/admin/requests/{rid}/notify", "bea").headers.get("X-NC-Coop-Continue")
    assert [t for t in TRACES if t in _every_text(engine)] == []


def _apply_and_reject_as_far_as_possible(app: Flask, client: FlaskClient, standin: NextcloudStandIn,
                                         carol: object) -> int:
    standin.state.users["carol"] = carol  # her pages need her roles once, to render
    assert post(app, client, "/requests/join", "carol", APPLICANT).headers.get("X-NC-Coop-Continue")
    rid = client.get("/api/v1/requests", headers=appapi_headers("carol")).get_json()["requests"][0]["id"]
    standin.state.users.pop("carol")
    answer = post(app, client, f"/admin/requests/{rid}/decision", "bea",
                  {"decision": "reject", "reason": "Keine Aufnahme derzeit"})
    assert answer.headers.get("X-NC-Coop-Continue")
    return rid
