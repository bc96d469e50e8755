# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Input and output schemas of the LDAP sync's JSON API (marshmallow; also its OpenAPI)."""
from __future__ import annotations

import json
from typing import Any

from marshmallow import fields

from nc_coop.ldapsync.job import held_links_of
from nc_coop.ldapsync.models import LdapSyncRun
from nc_coop.web.schema import Schema, WholeNumber


class StartSchema(Schema):
    full = fields.Boolean(load_default=False, metadata={"description": "Read every entry (finds deletions); "
                                                                       "otherwise only what changed since the last run"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Compute and record the plan, write nothing"})


class HeldLinkOut(Schema):
    account_id = WholeNumber()
    uid = fields.String(metadata={"description": "The directory account's uid (its Nextcloud user)"})
    member_no = WholeNumber(metadata={"description": "The member number the entry gave"})
    reason = fields.String(metadata={"enum": ["name_and_email_differ"],
                                     "description": "Why the link was held: neither the name nor the e-mail of "
                                                    "the entry matches the member's"})


class RunOut(Schema):
    id = WholeNumber()
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    mode = fields.String(metadata={"enum": ["full", "incremental"]})
    dry_run = fields.Boolean()
    forced = fields.Boolean()
    actor = fields.String()
    status = fields.String(metadata={"enum": ["running", "ok", "incomplete", "refused", "failed"],
                                     "description": "incomplete: the directory cut the read short; new and changed "
                                                    "entries were applied, nothing was disabled"})
    complete = fields.Boolean(metadata={"description": "The directory read ended with result 0 and no paging cookie"})
    counts = fields.Dict(keys=fields.String(), values=WholeNumber())
    errors = fields.List(fields.String())
    held_links = fields.List(fields.Nested(HeldLinkOut), metadata={
        "description": "Accounts this run linked by member number and held for the board's review: they see "
                       "nothing of the membership until the board confirms the link on the member's page"})


class ActiveOut(Schema):
    started_at = fields.String()
    full = fields.Boolean()
    dry_run = fields.Boolean()
    phase = fields.String(metadata={"description": "starting, users, groups or write"})
    done = WholeNumber()
    total = WholeNumber(allow_none=True)


class RunsOut(Schema):
    configured = fields.Boolean(metadata={"description": "NC_COOP_LDAP_URL and the other settings are set"})
    active = fields.Nested(ActiveOut, allow_none=True, metadata={"description": "The run this process is doing"})
    runs = fields.List(fields.Nested(RunOut), metadata={"description": "The latest runs, newest first"})


def run_dict(run: LdapSyncRun) -> dict[str, Any]:
    try:
        counts = json.loads(run.counts or "{}")
    except ValueError:
        counts = {}
    return {"id": run.id, "started_at": run.started_at, "finished_at": run.finished_at, "mode": run.mode,
            "dry_run": run.dry_run, "forced": run.forced, "actor": run.actor, "status": run.status,
            "complete": run.complete, "counts": counts, "errors": [e for e in (run.errors or "").split("\n") if e],
            "held_links": held_links_of(run)}
