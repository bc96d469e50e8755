# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Through the app: invalid sizes are refused at their field with what is accepted (nothing
written); requests for more storage are approved (an override, applied) or rejected, and the
requester is notified either way; the policy preview writes nothing, applying it queues exactly
the changes it showed; organisation pools are split over their users."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nc_coop.models import metadata
from nc_coop.quota.models import QuotaChange, QuotaOverride, QuotaRequest
from nc_coop.web.csrf import csrf_token
from tests.conftest import appapi_headers
from tests.quota.conftest import GB, World


def post(world: World, path: str, user: str, body: dict[str, Any] | None = None, *, form: bool = False,
         language: str = "en") -> Any:
    with world.app.app_context():
        token = csrf_token(user)
    client: FlaskClient = world.app.test_client()
    headers = {**appapi_headers(user, language=language), "X-CSRF-Token": token}
    if form:
        return client.post(path, data={**(body or {}), "csrf_token": token}, headers=headers)
    return client.post(path, json=body or {}, headers=headers)


def counts(world: World) -> dict[str, int]:
    with Session(world.engine) as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in metadata.sorted_tables
                if t.name.startswith("quota_") or t.name == "audit_event"}


def wait(world: World) -> None:
    world.app.extensions["nc_coop.quota.runner"].wait(30)


def test_an_invalid_size_is_refused_at_its_field_naming_what_is_accepted(world: World) -> None:
    before = counts(world)
    for amount in ("lots", "5 GBB", "1.500,5 GB", "-3 GB", ""):
        answer = post(world, "/api/v1/admin/quota/overrides", "admin",
                      {"scope": "user", "user_id": "anna.schmidt", "amount": amount, "reason": "test"})
        assert answer.status_code == 422, amount
        [message] = answer.get_json()["errors"]["amount"]
        assert "500 MB" in message and "unlimited" in message and "1,5 TB" in message, message
    page = post(world, "/admin/quota/overrides", "admin",
                {"scope": "user", "user_id": "anna.schmidt", "amount": "viel", "reason": "test"}, form=True,
                language="de")
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and 'aria-invalid="true"' in text
    assert "500 MB" in text and ("unbegrenzt" in text or "unlimited" in text)
    request = post(world, "/api/v1/quota/requests", "anna.schmidt", {"amount": "big", "reason": "photos"})
    assert request.status_code == 422 and "amount" in request.get_json()["errors"]
    policy = post(world, "/api/v1/admin/quota/policy", "admin", {"base": {"natural/regular": "fünf"}})
    assert policy.status_code == 422 and "1,5 TB" in policy.get_json()["errors"]["base.natural/regular"][0]
    assert counts(world) == before
    assert world.ldap_quota("anna.schmidt") == "2 GB" and world.ldap_writes("anna.schmidt") == 0


def test_a_german_page_shows_sizes_with_a_decimal_comma(world: World) -> None:
    answer = post(world, "/api/v1/admin/quota/overrides", "admin",
                  {"scope": "user", "user_id": "anna.schmidt", "amount": "1,5 GB", "reason": "Vorstand"})
    assert answer.status_code == 201 and answer.get_json()["amount"] == 1536 * 1024**2
    wait(world)
    page = world.app.test_client().get("/quota", headers=appapi_headers("anna.schmidt", language="de"))
    assert "1,5 GB" in page.get_data(as_text=True)
    assert world.ldap_quota("anna.schmidt") == str(1536 * 1024**2)


def test_an_approved_request_becomes_an_override_that_is_applied_and_notified(world: World) -> None:
    asked = post(world, "/api/v1/quota/requests", "anna.schmidt", {"amount": "25 GB", "reason": "Vereinsarchiv"})
    assert asked.status_code == 201
    request_id = asked.get_json()["id"]
    assert post(world, "/api/v1/quota/requests", "anna.schmidt", {"amount": "30 GB", "reason": "again"}
                ).status_code == 422  # one open request at a time

    decided = post(world, f"/api/v1/admin/quota/requests/{request_id}/decision", "admin",
                   {"decision": "approve", "note": "granted"})

    assert decided.status_code == 200 and decided.get_json()["status"] == "approved"
    wait(world)
    assert world.ldap_quota("anna.schmidt") == str(25 * GB)
    assert world.standin.state.users["anna.schmidt"].quota_bytes == 25 * GB
    [note] = [n for n in world.standin.state.notifications if n["user"] == "anna.schmidt"]
    assert "approved" in note["subject_params"]["rich_subject"]
    with Session(world.engine) as session:
        override = session.scalars(select(QuotaOverride)).one()
        assert (override.request_id, override.amount) == (request_id, 25 * GB)
        assert session.get(QuotaRequest, request_id).notified == "ok"
    again = post(world, f"/api/v1/admin/quota/requests/{request_id}/decision", "admin", {"decision": "reject"})
    assert again.status_code == 422


def test_a_rejected_request_changes_nothing_and_is_notified(world: World) -> None:
    asked = post(world, "/quota/requests", "jonas.mueller", {"amount": "1 TB", "reason": "videos"}, form=True)
    assert asked.headers.get("X-NC-Coop-Continue")
    with Session(world.engine) as session:
        request_id = session.scalars(select(QuotaRequest.id)).one()
    decided = post(world, f"/admin/quota/requests/{request_id}", "admin",
                   {"decision": "reject", "note": "Bitte erst aufräumen"}, form=True)
    assert decided.headers.get("X-NC-Coop-Continue")
    [note] = [n for n in world.standin.state.notifications if n["user"] == "jonas.mueller"]
    assert "declined" in note["subject_params"]["rich_subject"]
    assert note["subject_params"]["rich_message"] == "Bitte erst aufräumen"
    with Session(world.engine) as session:
        assert session.scalar(select(func.count()).select_from(QuotaChange)) == 0
    assert world.ldap_writes("jonas.mueller") == 0


def test_a_representative_asks_for_the_pool_and_approval_splits_it(world: World) -> None:
    tsv = world.parties["tsv"]
    asked = post(world, "/api/v1/quota/requests", "felix.schaefer",
                 {"scope": "organisation", "party_id": tsv, "amount": "40 GB", "reason": "club archive"})
    assert asked.status_code == 201
    post(world, f"/api/v1/admin/quota/requests/{asked.get_json()['id']}/decision", "admin", {"decision": "approve"})
    wait(world)
    assert world.ldap_quota("felix.schaefer") == str(20 * GB)
    assert world.ldap_quota("sophie.fischer") == str(20 * GB)
    pool = world.app.test_client().get(f"/api/v1/quota/organisations/{tsv}",
                                       headers=appapi_headers("felix.schaefer")).get_json()
    assert (pool["pool"], sorted(u["quota"] for u in pool["users"])) == (40 * GB, [20 * GB, 20 * GB])


def test_the_policy_preview_writes_nothing_and_applying_queues_what_it_showed(world: World) -> None:
    policy = {"base": {"natural/regular": "5 GB", "association/regular": "50 GB"}, "per_share": "1 GB",
              "note": "GV 2026"}
    before = counts(world)
    preview = post(world, "/api/v1/admin/quota/policy/preview", "admin", policy)
    assert preview.status_code == 200 and counts(world) == before
    planned = {c["user_id"]: c["new"] for c in preview.get_json()["changes"]}
    # anna and jonas: 5 GB + 3 shares × 1 GB; the TSV's pool 50 GB + 3 GB split over its two users;
    # lea (no membership in the register) and Hoffmann IT (a legal person: no base) get nothing.
    assert planned["anna.schmidt"] == planned["jonas.mueller"] == planned["alice"] == 8 * GB
    assert planned["felix.schaefer"] == planned["sophie.fischer"] == 53 * GB // 2
    assert "lea.wagner" not in planned and "marie.hoffmann" not in planned

    applied = post(world, "/api/v1/admin/quota/policy", "admin", policy)

    assert applied.status_code == 201
    assert {c["user_id"]: c["new"] for c in applied.get_json()["changes"]} == planned
    assert len(applied.get_json()["queued"]) == len(planned)
    wait(world)
    assert world.ldap_quota("anna.schmidt") == str(8 * GB)
    assert world.standin.state.users["alice"].quota_bytes == 8 * GB
    page = world.app.test_client().get("/admin/quota?filter=pending", headers=appapi_headers("admin"))
    assert page.status_code == 200
    again = post(world, "/api/v1/admin/quota/policy/preview", "admin", policy)
    assert again.get_json()["changes"] == []  # applied: nothing left to change


def test_the_admin_list_filters_and_sorts(world: World) -> None:
    post(world, "/api/v1/admin/quota/overrides", "admin",
         {"scope": "user", "user_id": "jonas.mueller", "amount": "unlimited", "reason": "board"})
    wait(world)
    client = world.app.test_client()

    def users(query: str) -> list[str]:
        answer = client.get(f"/api/v1/admin/quota/users?{query}", headers=appapi_headers("admin"))
        assert answer.status_code == 200
        return [u["user_id"] for u in answer.get_json()["users"]]

    assert users("filter=unlimited") == ["jonas.mueller"]
    by_quota = users("sort=quota&order=desc")
    assert by_quota[0] == "jonas.mueller"
    assert client.get("/api/v1/admin/quota/users?filter=nonsense", headers=appapi_headers("admin")).status_code == 422
    page = client.get("/admin/quota?filter=over80&sort=relative&order=desc", headers=appapi_headers("admin"))
    assert page.status_code == 200 and "<meter" not in page.get_data(as_text=True)  # usage not read yet
    world.standin.state.users["anna.schmidt"].used_bytes = 19 * 1024**3 // 10  # 1.9 of 2 GB: over 80 %
    world.standin.state.users["lea.wagner"].quota_bytes = GB
    world.standin.state.users["lea.wagner"].used_bytes = 2 * GB  # over quota
    assert post(world, "/api/v1/admin/quota/usage", "admin").status_code == 200
    wait(world)
    assert users("filter=over80&sort=relative&order=desc") == ["lea.wagner", "anna.schmidt"]
    assert users("filter=over") == ["lea.wagner"]
    page = client.get("/admin/quota?filter=over80", headers=appapi_headers("admin")).get_data(as_text=True)
    assert page.count("<meter") == 2 and "Anna Schmidt" in page
