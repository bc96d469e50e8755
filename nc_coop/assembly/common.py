# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the member and board views of the assembly share: the session, results as shown, the
receipt check, and the optional outreach modules."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from flask import g
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from nc_coop.assembly import services
from nc_coop.assembly.models import Assembly
from nc_coop.dates import coop_today
from nc_coop.db import get_db
from nc_coop.register.services import Actor

# The services name their arguments; forms and the API name what the user gave.
FIELD = {"principal_membership_id": "membership_id", "proxy_membership_id": "proxy_member_no",
         "textform_reference": "declare", "nextcloud_user": "nextcloud_user", "assembly_id": "_schema",
         "proxy_id": "_schema", "item_id": "_schema", "today": "_schema", "state": "_schema",
         "convened_on": "accept_warnings", "received_on": "supporters"}


def session() -> Session:
    return get_db().session


def today() -> date:
    return coop_today()


def actor() -> Actor:
    return Actor(g.user_id, g.request_id)


def field_errors(exc: Any, mapping: dict[str, str] | None = None) -> dict[str, list[str]]:
    name = (mapping or FIELD).get(exc.field, exc.field)
    return {name: [str(exc.reason)]}


def fraction_text(value: Fraction | None) -> str | None:
    """An exact count: "12", or "25/2" where investing members' votes were scaled."""
    if value is None:
        return None
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


@dataclass(frozen=True)
class ResultRow:
    """One item's result as pages and the API show it."""

    item_id: int
    position: int
    title: str
    resolution_type: str
    secret: bool
    participants: int
    entitled: int
    yes: str | None
    no: str | None
    abstain: int
    required: str | None
    strictly_more: bool | None
    quorum_met: bool
    passed: bool | None
    candidates: list[str]
    candidate_votes: list[str]
    elected: list[str]
    tie: list[str]


def results(s: Session, assembly_id: int) -> list[ResultRow]:
    rows = []
    for r in services.tally(s, assembly_id):
        if r.election is not None:
            e = r.election
            rows.append(ResultRow(r.item_id, r.position, r.title, r.resolution_type.value, r.secret, r.participants,
                                  r.entitled, None, None, e.abstain, None, None, e.quorum_met, None,
                                  list(r.candidates), [fraction_text(v) or "0" for v in e.votes],
                                  [r.candidates[i] for i in e.elected], [r.candidates[i] for i in e.tie]))
            continue
        d = r.decision
        assert d is not None
        rows.append(ResultRow(r.item_id, r.position, r.title, r.resolution_type.value, r.secret, r.participants,
                              r.entitled, fraction_text(d.yes), fraction_text(d.no), d.abstain,
                              fraction_text(d.required), d.strictly_more, d.quorum_met, d.passed, [], [], [], []))
    return rows


MAX_UNITS = 3  # §43 Abs. 3 GenG: at most three votes per member, so at most three receipts per item


def check_receipt(s: Session, assembly_id: int, code: str) -> list[dict[str, Any]]:
    """Per item: how many of the counted ballots carry this receipt (0: none of yours)."""
    found = []
    for r in services.tally(s, assembly_id):
        published = set(services.published_receipts(s, r.item_id))
        count = 0
        for unit in range(MAX_UNITS):
            if services.receipt_hash(code, r.item_id, unit) not in published:
                break
            count += 1
        found.append({"item_id": r.item_id, "title": r.title, "ballots_found": count})
    return found


def receipt_lists(s: Session, assembly_id: int) -> list[dict[str, Any]]:
    return [{"item_id": r.item_id, "title": r.title, "receipts": services.published_receipts(s, r.item_id)}
            for r in services.tally(s, assembly_id)]


def receipt_explanation() -> str:
    return _("Keep this code: it is shown only now and nc_coop does not store it. After voting closes, the "
             "receipts of every counted ballot are published without their choices. With your code you can "
             "check there that your ballots were counted; nobody can tell from the code or the receipts how "
             "you voted.")


def assembly_label(a: Assembly) -> str:
    return f"{a.title} ({a.held_on.isoformat()})"
