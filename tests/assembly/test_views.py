# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The assembly's pages and JSON API on SQLite and PostgreSQL: a whole assembly through the API,
the pages in both languages, the ballot's receipt shown once, the late-convening confirmation,
and invalid input refused at the field with nothing written."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.assembly.web_support import (  # noqa: F401  fixtures
    API,
    HELD_ON,
    TODAY,
    People,
    convened,
    get,
    item_ids,
    open_voting,
    people,
    standin,
)
from tests.requests.conftest import post, row_counts


def test_a_whole_assembly_through_the_api(app: Flask, client: FlaskClient, people: People) -> None:
    board = convened(app, client, people)
    aid = board["assembly"]["id"]
    assert board["assembly"]["state"] == "convened" and board["facts"]["invited"] == 5  # fred left already
    assert any("notification(s) sent" in n for n in board["notes"])
    opened = open_voting(app, client, aid)
    assert opened["facts"]["roll_frozen"] and opened["facts"]["roll_voters"] == 5
    simple, change, election = item_ids(client, aid)

    votes = {"alice": ("alice", "yes", [0]), "carl": ("carl", "yes", [0]), "dora": ("carl", "no", [1]),
             "tsv": ("rita", "yes", "abstain")}
    receipts = {}
    for whose, (user, choice, elected) in votes.items():
        cast = post(app, client, f"/api/v1/assemblies/{aid}/votes", user,
                    json={"membership_id": people.ids[whose],
                          "choices": {str(simple): choice, str(change): choice, str(election): elected}})
        assert cast.status_code == 201, (whose, cast.get_json())
        receipts[whose] = cast.get_json()["code"]
    again = post(app, client, f"/api/v1/assemblies/{aid}/votes", "alice",
                 json={"membership_id": people.ids["alice"], "choices": {str(simple): "no"}})
    assert again.status_code == 422 and f"choices.{simple}" in again.get_json()["errors"]

    closed = post(app, client, f"{API}/{aid}/close", "bea", json={})
    assert closed.status_code == 201 and closed.get_json()["assembly"]["state"] == "closed"
    results = {r["item_id"]: r for r in get(client, f"/api/v1/assemblies/{aid}/results", "bob").get_json()["results"]}
    assert (results[simple]["yes"], results[simple]["no"], results[simple]["passed"]) == ("3", "1", True)
    assert results[change]["required"] == "3/4" and results[change]["passed"] is True  # 3 of 4 is enough
    assert results[election]["elected"] == ["Anna"] and results[election]["candidate_votes"] == ["2", "1"]
    check = post(app, client, f"/api/v1/assemblies/{aid}/receipts/check", "alice", json={"code": receipts["alice"]})
    assert [f["ballots_found"] for f in check.get_json()["items"]] == [1, 1, 1]
    wrong = post(app, client, f"/api/v1/assemblies/{aid}/receipts/check", "alice", json={"code": "x" * 22})
    assert [f["ballots_found"] for f in wrong.get_json()["items"]] == [0, 0, 0]
    listed = get(client, f"/api/v1/assemblies/{aid}/receipts", "bob").get_json()["items"]
    assert [len(i["receipts"]) for i in listed] == [4, 4, 4]
    attendees = get(client, f"{API}/{aid}/attendance", "bea").get_json()["attendees"]
    assert sorted(a["member_no"] for a in attendees) == sorted(people.numbers[k] for k in votes)
    assert {a["capacity"] for a in attendees} == {"self", "proxy", "representative"}
    pdf = get(client, f"/admin/assemblies/{aid}/minutes.pdf", "bea")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_ballot_page_shows_the_receipt_once(app: Flask, client: FlaskClient, people: People) -> None:
    aid = convened(app, client, people)["assembly"]["id"]
    open_voting(app, client, aid)
    simple, change, election = item_ids(client, aid)
    page = get(client, f"/assemblies/{aid}/ballot", "carl")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'value="{people.ids["dora"]}"' in text and f'value="{people.ids["carl"]}"' in text  # two ballots
    assert "secret ballot" in text and "named vote" in text
    form = {"membership_id": str(people.ids["dora"]), f"item-{simple}": "yes", f"item-{election}": ["0"]}
    cast = post(app, client, f"/assemblies/{aid}/ballot", "carl", data=form)
    assert cast.status_code == 200 and 'id="receipt-code"' in cast.get_data(as_text=True)
    again = post(app, client, f"/assemblies/{aid}/ballot", "carl", data=form)
    assert again.status_code == 422 and 'id="receipt-code"' not in again.get_data(as_text=True)
    assert "has voted on this item already" in again.get_data(as_text=True)
    assert 'id="receipt-code"' not in get(client, f"/assemblies/{aid}/ballot", "carl").get_data(as_text=True)
    too_many = post(app, client, f"/assemblies/{aid}/ballot", "carl",
                    data={"membership_id": str(people.ids["carl"]), f"item-{election}": ["0", "1"]})
    assert too_many.status_code == 422 and "at most 1 candidate" in too_many.get_data(as_text=True)


def test_pages_in_both_languages(app: Flask, client: FlaskClient, people: People) -> None:
    aid = convened(app, client, people)["assembly"]["id"]
    for language, words in (("en", ("Agenda", "Proxy", "Request an agenda item")),
                            ("de", ("Tagesordnung", "Vollmacht", "Tagesordnungspunkt beantragen"))):
        for path, user in ((f"/assemblies/{aid}", "alice"), ("/assemblies", "alice"), (f"/admin/assemblies/{aid}", "bea"),
                           ("/admin/assemblies", "bea")):
            page = get(client, path, user, language)
            assert page.status_code == 200, path
        text = get(client, f"/assemblies/{aid}", "alice", language).get_data(as_text=True)
        for word in words:
            assert word in text, (language, word)
    open_voting(app, client, aid)
    assert "Stimmzettel" in get(client, f"/assemblies/{aid}/ballot", "alice", "de").get_data(as_text=True)
    assert "eingefroren" in get(client, f"/admin/assemblies/{aid}", "bea", "de").get_data(as_text=True)


def test_a_late_convening_needs_the_boards_confirmation(app: Flask, client: FlaskClient, people: People,
                                                        engine: Engine) -> None:
    made = post(app, client, API, "bea", json={"title": "Eilige GV", "form": "presence", "place": "Saal",
                                               "held_on": (TODAY + timedelta(days=5)).isoformat()})
    aid = made.get_json()["assembly"]["id"]
    post(app, client, f"{API}/{aid}/items", "bea", json={"title": "Punkt", "resolution_type": "simple"})
    page = get(client, f"/admin/assemblies/{aid}", "bea").get_data(as_text=True)
    assert "The invitation is late" in page and 'name="accept_warnings"' in page
    before = row_counts(engine)
    refused = post(app, client, f"/admin/assemblies/{aid}/convene", "bea", data={})
    assert refused.status_code == 422 and "the invitation is late" in refused.get_data(as_text=True)
    assert row_counts(engine) == before
    done = post(app, client, f"/admin/assemblies/{aid}/convene", "bea", data={"accept_warnings": "true"})
    assert done.status_code == 200 and done.headers["X-NC-Coop-Continue"].endswith("done=convened#convene")


@pytest.mark.parametrize(("path", "user", "body", "field"), [
    (API, "bea", {"title": "GV", "form": "zoom", "held_on": HELD_ON.isoformat()}, "form"),
    (API, "bea", {"title": "GV", "form": "presence", "held_on": "2027-02-30"}, "held_on"),
    (API, "bea", {"title": "GV", "form": "presence", "held_on": HELD_ON.isoformat()}, "place"),
    (API, "bea", {"title": "", "form": "virtual", "held_on": HELD_ON.isoformat()}, "title"),
    ("{api}/{aid}/items", "bea", {"title": "Wahl", "resolution_type": "election", "seats": 1}, "candidates"),
    ("{api}/{aid}/items", "bea", {"title": "X", "resolution_type": "simple", "seats": 2}, "candidates"),
    ("{api}/{aid}/items", "bea", {"title": "X", "resolution_type": "simple", "supporters": 0}, "supporters"),
    ("{api}/{aid}/attendance", "bea", {"member_no": 1}, "_schema"),
    ("{api}/{aid}/heirs-representative", "bea", {"member_no": 1, "nextcloud_user": "x", "basis_document": "E"},
     "member_no"),
    ("/api/v1/assemblies/{aid}/proxies", "alice", {"membership_id": "{alice}", "proxy_member_no": 99999,
                                                   "declare": True}, "proxy_member_no"),
    ("/api/v1/assemblies/{aid}/proxies", "alice", {"membership_id": "{alice}", "proxy_member_no": "{bob_no}",
                                                   "declare": False}, "declare"),
    ("/api/v1/assemblies/{aid}/proxies", "alice", {"membership_id": "{alice}", "proxy_member_no": "{alice_no}",
                                                   "declare": True}, "proxy_member_no"),
    ("/api/v1/assemblies/{aid}/proxies", "dora", {"membership_id": "{dora}", "proxy_member_no": "{bob_no}",
                                                  "declare": True}, "membership_id"),  # has a proxy already
    ("/api/v1/assemblies/{aid}/proxies", "bob", {"membership_id": "{bob}", "proxy_member_no": "{dora_no}",
                                                 "declare": True}, "proxy_member_no"),  # dora has a proxy herself
])
def test_invalid_input_names_the_field_and_writes_nothing(app: Flask, client: FlaskClient, people: People,
                                                          engine: Engine, path: str, user: str, body: dict[str, object],
                                                          field: str) -> None:
    aid = convened(app, client, people)["assembly"]["id"]
    values = {"alice": people.ids["alice"], "bob": people.ids["bob"], "alice_no": people.numbers["alice"],
              "bob_no": people.numbers["bob"], "dora": people.ids["dora"], "dora_no": people.numbers["dora"]}
    body = {k: (values[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v) for k, v in body.items()}
    before = row_counts(engine)
    answer = post(app, client, path.format(api=API, aid=aid), user, json=body)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"], answer.get_json()
    assert row_counts(engine) == before
