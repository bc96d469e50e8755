# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The gateway against the stand-in: typed results, typed errors, a timeout on every call."""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace

import pytest
from flask import Flask

from nc_coop.nextcloud import (
    NextcloudGateway,
    NextcloudNotFound,
    NextcloudUnauthorized,
    NextcloudUnavailable,
)
from nc_coop.standin import NextcloudStandIn


@pytest.fixture
def gateway(app: Flask) -> NextcloudGateway:
    return app.extensions["nc_coop.gateway"]


def test_a_user_reads_their_own_details(gateway: NextcloudGateway) -> None:
    alice = gateway.get_user("alice", as_user="alice")
    assert (alice.user_id, alice.display_name, alice.groups) == ("alice", "Alice Normal", ("testers",))
    assert alice.quota_bytes == 5_368_709_120 and alice.used_bytes == 20_174_294


def test_unlimited_quota_is_minus_three(gateway: NextcloudGateway) -> None:
    assert gateway.get_user("admin", as_user="admin").quota_bytes == -3


def test_another_users_details_are_not_found_for_a_member(gateway: NextcloudGateway) -> None:
    # Nextcloud answers HTTP 200 with OCS 998 ("not found / no permission"), not a 403.
    with pytest.raises(NextcloudNotFound):
        gateway.get_user("admin", as_user="alice")


def test_a_wrong_secret_is_unauthorized_and_not_echoed(app: Flask) -> None:
    settings = app.config["NC_COOP_SETTINGS"]
    wrong = NextcloudGateway(replace(settings, app_secret="another-secret-0123456789"))
    with pytest.raises(NextcloudUnauthorized) as err:
        wrong.get_user("alice", as_user="alice")
    assert "another-secret" not in str(err.value) and settings.app_secret not in str(err.value)


def test_nextcloud_down_is_unavailable(app: Flask, standin: NextcloudStandIn) -> None:
    standin.stop()
    with pytest.raises(NextcloudUnavailable):
        app.extensions["nc_coop.gateway"].get_user("alice", as_user="alice")


def test_a_hanging_nextcloud_times_out(app: Flask) -> None:
    """A server that accepts and never answers: the call fails after the configured timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        accepted: list[socket.socket] = []
        threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
        settings = replace(app.config["NC_COOP_SETTINGS"], nextcloud_timeout=0.5,
                           nextcloud_url=f"http://127.0.0.1:{listener.getsockname()[1]}")
        started = time.monotonic()
        with pytest.raises(NextcloudUnavailable):
            NextcloudGateway(settings).get_user("alice", as_user="alice")
        assert time.monotonic() - started < 5
        for conn in accepted:
            conn.close()
