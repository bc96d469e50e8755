# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The recordings of a real Nextcloud 34.0.1 (AppAPI 34.0.0) that the stand-in answers from.

Each file holds one exchange: the request nc_coop's probe sent and the response Nextcloud gave.
The stand-in replays the recorded envelopes (OCS meta, HTTP status, messages) and only fills in
the data that depends on its own state (which users exist, which menu entries are registered).
"""
from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

RECORDINGS = Path(__file__).resolve().parent / "recordings"


@cache
def _load(name: str) -> dict[str, Any]:
    with (RECORDINGS / f"{name}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def response(name: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of a recording, as a fresh copy the caller may change."""
    recorded = _load(name)["response"]
    return recorded["status"], copy.deepcopy(recorded["body"])


def ocs(name: str, data: Any = None) -> tuple[int, dict[str, Any]]:
    """A recorded OCS answer with its ``data`` replaced (when given)."""
    status, body = response(name)
    if data is not None:
        body["ocs"]["data"] = data
    return status, body


def user_template() -> dict[str, Any]:
    """The full user object Nextcloud returned for alice, to be filled per stand-in user."""
    return response("ocs_get_user_alice_as_alice")[1]["ocs"]["data"]
