# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Storage in the reader's language: a decision reaches the requester in theirs (not the
deciding admin's), and the reasons on the admin pages are translated."""
from __future__ import annotations

from flask import Flask

from nc_coop.quota.policy import reason_text
from tests.conftest import appapi_headers
from tests.quota.conftest import World
from tests.quota.test_admin_and_requests import post, wait


def _ask(world: World, user: str, amount: str) -> int:
    asked = post(world, "/api/v1/quota/requests", user, {"amount": amount, "reason": "Archiv"})
    assert asked.status_code == 201, asked.get_json()
    return asked.get_json()["id"]


def test_the_requester_is_told_in_their_language_not_the_admins(world: World) -> None:
    world.standin.state.users["anna.schmidt"].language = "de"
    world.standin.state.users["jonas.mueller"].language = "en"
    anna, jonas = _ask(world, "anna.schmidt", "25 GB"), _ask(world, "jonas.mueller", "1 TB")

    approved = post(world, f"/api/v1/admin/quota/requests/{anna}/decision", "admin", {"decision": "approve"},
                    language="en")
    rejected = post(world, f"/api/v1/admin/quota/requests/{jonas}/decision", "admin", {"decision": "reject"},
                    language="de")
    assert approved.status_code == 200 and rejected.status_code == 200
    wait(world)

    sent = {n["user"]: n["subject_params"] for n in world.standin.state.notifications}
    assert sent["anna.schmidt"]["rich_subject"] == "Ihr Antrag auf mehr Speicherplatz wurde genehmigt"
    assert sent["anna.schmidt"]["rich_message"] == "Ihr Kontingent beträgt jetzt 25 GB."
    assert sent["jonas.mueller"]["rich_subject"] == "Your request for more storage was declined"
    assert sent["jonas.mueller"]["rich_message"] == "The board has declined the request."


def test_the_admin_page_gives_the_reasons_in_german(world: World) -> None:
    request_id = _ask(world, "anna.schmidt", "25 GB")
    assert post(world, f"/api/v1/admin/quota/requests/{request_id}/decision", "admin",
                {"decision": "approve", "note": "Vereinsarchiv"}).status_code == 200
    wait(world)
    page = world.app.test_client().get("/admin/quota", headers=appapi_headers("admin", language="de"))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Ausnahme: Anfrage Nr. {request_id}: Vereinsarchiv" in text  # anna's desired quota and why
    assert f"Anfrage Nr. {request_id}: Vereinsarchiv" in text  # the running override
    assert "nicht verwaltet" in text
    for english in ("not managed", "override:", "request #"):
        assert english not in text, english


def test_reason_texts_translate_what_the_policy_writes_and_keep_free_text(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert reason_text("own membership + organisation #4") == "eigene Mitgliedschaft + Organisation Nr. 4"
        assert reason_text("not a member") == "kein Mitglied"
        assert reason_text("override: request #7") == "Ausnahme: Anfrage Nr. 7"
        assert reason_text("override: Vorstand, bis Jahresende") == "Ausnahme: Vorstand, bis Jahresende"
        assert reason_text(None) == ""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert reason_text("own membership + organisation #4") == "own membership + organisation #4"
