# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Replays every request a real Nextcloud 34 sent to an ExApp (incoming.jsonl) against nc_coop."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from nc_coop import create_app
from nc_coop.appapi.auth import verify_headers
from nc_coop.standin import NextcloudStandIn
from tests.migrated import migrate_for_test
from tests.conftest import FORBIDDEN_IN_LOGS, app_config, get_db_engine, serve_live, wait_for_init

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "nextcloud34" / "incoming.jsonl"
FIXTURE_SECRET = "fixture-app-secret-not-real-0123456789"
# The lab registered two probe ExApps: the second to try string access levels in --json-info.
REGISTRATIONS = {"nclab_probe": FIXTURE_SECRET, "nclab_strlvl": "strlvlsecret1234567890"}
RECORDS = [json.loads(line) for line in RECORDED.read_text().splitlines() if line.strip()]


def _sent_to(record: dict[str, Any], app_id: str) -> bool:
    """Heartbeats carry no app id and reach every registration."""
    return record["headers"].get("Ex-App-Id", app_id) == app_id
# The recorded browser credentials and cookies must not reach any log line either.
# (Flags such as nc_sameSiteCookielax=true are not secrets; session ids and passphrases are.)
FORBIDDEN_IN_LOGS.update(v for r in RECORDS for v in r.get("cookies", {}).values() if len(v) >= 16)


def _id(record: dict[str, Any]) -> str:
    user = (record.get("auth_decoded") or {}).get("user", "-")
    return f"{record['method']} {record['path']} user={user or '∅'} at {record['ts'][11:19]}"


@pytest.mark.parametrize("app_id", list(REGISTRATIONS))
def test_every_recorded_request_is_accepted(database_url: str, standin: NextcloudStandIn, tmp_path: Path,
                                            app_id: str) -> None:
    secret = REGISTRATIONS[app_id]
    app = create_app(app_config(database_url, standin, tmp_path, APP_ID=app_id, APP_SECRET=secret,
                                APP_VERSION="1.0.0"))
    engine = get_db_engine(app)
    migrate_for_test(engine)
    with serve_live(app, standin) as url:
        standin.state.exapp.enabled = True
        for record in (r for r in RECORDS if _sent_to(r, app_id)):
            headers = {k: v for k, v in record["headers"].items() if k.lower() not in ("content-length", "host")}
            body = record.get("body", {}).get("text", "")
            answer = requests.request(record["method"], url + record["full_path"].rstrip("?"), headers=headers,
                                      data=body.encode() if body else None, timeout=30)
            assert answer.status_code != 401, _id(record)
            if record["path"] == "/heartbeat":
                assert answer.json() == {"status": "ok"}
            if record["path"] in ("/init", "/enabled"):
                assert answer.status_code == 200, _id(record)
            assert answer.headers.get("Cache-Control") == "no-store" or record["path"].startswith(("/js/", "/css/"))
            for secret_like in (secret, record["headers"].get("Authorization", "~"),
                                record["headers"].get("Authorization-App-Api", "~")):
                assert secret_like not in answer.text
    wait_for_init(app)  # the replayed POST /init runs in the background
    engine.dispose()  # PostgreSQL connections must not outlive the test's schema


@pytest.mark.parametrize("record", [r for r in RECORDS if r["auth_decoded"]], ids=_id)
def test_recorded_auth_headers_name_the_recorded_user(record: dict[str, Any]) -> None:
    identity = verify_headers(record["headers"] | {k.upper(): v for k, v in record["headers"].items()},
                              record["headers"]["Ex-App-Id"], REGISTRATIONS[record["headers"]["Ex-App-Id"]])
    assert identity.user_id == record["auth_decoded"]["user"]
