# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""``nc-coop quota plan|apply|retry`` against slapd and the stand-in, and the quota settings
(a bad one names itself; the admin password never appears in a message)."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.cli import main
from nc_coop.config import ConfigError
from nc_coop.quota.models import DONE, QUEUED, QuotaChange
from nc_coop.quota.services import Actor, set_policy
from nc_coop.quota.policy import Policy
from nc_coop.quota.settings import load_quota_settings
from tests.conftest import QUOTA_ADMIN_PASSWORD
from tests.quota.conftest import GB, World, quota_config


def cli_env(world: World, monkeypatch: pytest.MonkeyPatch, **extra: str) -> None:
    settings = world.app.config["NC_COOP_SETTINGS"]
    env = {"APP_SECRET": settings.app_secret, "NEXTCLOUD_URL": settings.nextcloud_url,
           "DATABASE_URL": settings.database_url, "NC_COOP_ADMIN_GROUPS": "admin",
           **quota_config(world.directory), **extra}
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_plan_queue_apply_and_retry_from_the_command_line(world: World, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    with Session(world.engine) as session, session.begin():
        set_policy(session, Actor("cli-test"), Policy(base={("natural", "regular"): 4 * GB}), "GV 2026")
    cli_env(world, monkeypatch, NEXTCLOUD_URL="http://127.0.0.1:9", NC_COOP_NEXTCLOUD_TIMEOUT="2")

    assert main(["quota", "plan"]) == 0
    out = capsys.readouterr().out
    assert "anna.schmidt: 2 GB -> 4 GB (ldap; own membership)" in out
    assert "alice: not known -> 4 GB (provisioning; own membership)" in out
    assert main(["quota", "plan", "--queue"]) == 0
    assert "queued 3 change(s)" in capsys.readouterr().out  # anna, jonas, alice: members as natural persons

    # Nextcloud is down: LDAP users are written (not yet confirmed), alice stays queued.
    assert main(["quota", "apply"]) == 1
    captured = capsys.readouterr()
    assert "queued again" in captured.out and QUOTA_ADMIN_PASSWORD not in captured.out + captured.err
    with Session(world.engine) as session:
        waiting = session.scalars(select(QuotaChange).where(QuotaChange.status == QUEUED)).all()
    assert [c.nextcloud_user_id for c in waiting] == ["alice"]
    assert world.ldap_quota("anna.schmidt") == str(4 * GB)

    cli_env(world, monkeypatch)  # Nextcloud is back
    assert main(["quota", "apply"]) == 0  # alice waits for her backoff
    assert "0 change(s) attempted" in capsys.readouterr().out
    assert main(["quota", "retry"]) == 0
    assert "1 change(s) attempted: 1 applied (1 confirmed" in capsys.readouterr().out
    assert world.standin.state.users["alice"].quota_bytes == 4 * GB
    assert [p.ocs_status for p in world.quota_puts("alice")] == [100]
    with Session(world.engine) as session:
        assert set(session.scalars(select(QuotaChange.status))) == {DONE}


def test_settings_name_the_bad_variable_and_never_the_password(tmp_path: Path) -> None:
    assert load_quota_settings({}).provisioning_enabled is False
    secret_file = tmp_path / "pw"
    secret_file.write_text("s3cret-login-password\n", encoding="utf-8")
    loaded = load_quota_settings({"NC_COOP_QUOTA_ADMIN_USER": "quota-service",
                                  "NC_COOP_QUOTA_ADMIN_PASSWORD_FILE": str(secret_file)})
    assert loaded.admin_password == "s3cret-login-password" and "s3cret" not in repr(loaded)
    assert loaded.provisioning_enabled
    assert not load_quota_settings({"NC_COOP_QUOTA_ADMIN_USER": "q", "NC_COOP_QUOTA_ADMIN_PASSWORD": "x",
                                    "NC_COOP_QUOTA_LOCAL_USERS": "0"}).provisioning_enabled
    for environ, name in (
            ({"NC_COOP_QUOTA_ADMIN_PASSWORD": "s3cret-login-password"}, "NC_COOP_QUOTA_ADMIN_USER"),
            ({"NC_COOP_QUOTA_ADMIN_USER": "q", "NC_COOP_QUOTA_ADMIN_PASSWORD": "s3cret-login-password",
              "NC_COOP_QUOTA_ADMIN_PASSWORD_FILE": str(secret_file)}, "NC_COOP_QUOTA_ADMIN_PASSWORD"),
            ({"NC_COOP_QUOTA_LOCAL_USERS": "maybe"}, "NC_COOP_QUOTA_LOCAL_USERS"),
            ({"NC_COOP_QUOTA_CONCURRENCY": "0"}, "NC_COOP_QUOTA_CONCURRENCY"),
            ({"NC_COOP_QUOTA_ADMIN_USER": "a/b"}, "NC_COOP_QUOTA_ADMIN_USER")):
        with pytest.raises(ConfigError) as raised:
            load_quota_settings(environ)
        assert raised.value.args and name in str(raised.value) and "s3cret" not in str(raised.value)
