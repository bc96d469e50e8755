# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""LDAP settings (one-line errors naming the variable, no password anywhere) and the CLI."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nc_coop.cli import main
from nc_coop.config import ConfigError
from nc_coop.ldapsync.cli import ProgressBar
from nc_coop.ldapsync.settings import load_ldap_settings
from tests.conftest import TEST_SECRET
from tests.ldap_support import PASSWORDS, Slapd
from tests.ldapsync.conftest import admin, ldap_env

BASE = {"NC_COOP_LDAP_URL": "ldap://ldap.example.org:389", "NC_COOP_LDAP_BIND_DN": "cn=sync,dc=example",
        "NC_COOP_LDAP_BIND_PASSWORD": "very-secret-pw", "NC_COOP_LDAP_USER_BASE": "ou=people,dc=example"}


def test_defaults_and_a_list_of_servers() -> None:
    settings = load_ldap_settings({**BASE, "NC_COOP_LDAP_URL": "ldaps://a.example, ldap://b.example:10389/"})
    assert settings.urls == ("ldaps://a.example", "ldap://b.example:10389")
    assert (settings.page_size, settings.missing_runs, settings.max_disable, settings.max_disable_percent,
            settings.schedule_minutes, settings.group_base) == (500, 3, 50, 2.0, 0, None)
    assert settings.attributes.member_number == "ncCoopMemberNumber" and settings.attributes.quota == "nextcloudQuota"
    assert "very-secret-pw" not in repr(settings) and "very-secret-pw" not in str(settings)


def test_the_password_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-a-file\n")
    env = {**BASE, "NC_COOP_LDAP_BIND_PASSWORD_FILE": str(secret)}
    del env["NC_COOP_LDAP_BIND_PASSWORD"]
    assert load_ldap_settings(env).bind_password == "from-a-file"


@pytest.mark.parametrize(("change", "name", "reason"), [
    ({"NC_COOP_LDAP_URL": ""}, "NC_COOP_LDAP_URL", "is required"),
    ({"NC_COOP_LDAP_URL": "http://ldap.example.org"}, "NC_COOP_LDAP_URL", "ldap:// or ldaps://"),
    ({"NC_COOP_LDAP_URL": "ldap://h/dc=example"}, "NC_COOP_LDAP_URL", "no base DN"),
    ({"NC_COOP_LDAP_URL": "ldaps://h", "NC_COOP_LDAP_STARTTLS": "true"}, "NC_COOP_LDAP_STARTTLS", "ldaps://"),
    ({"NC_COOP_LDAP_STARTTLS": "maybe"}, "NC_COOP_LDAP_STARTTLS", "true or false"),
    ({"NC_COOP_LDAP_CA_FILE": "/nonexistent/ca.pem"}, "NC_COOP_LDAP_CA_FILE", "not a readable file"),
    ({"NC_COOP_LDAP_BIND_DN": "sync"}, "NC_COOP_LDAP_BIND_DN", "distinguished name"),
    ({"NC_COOP_LDAP_BIND_PASSWORD": ""}, "NC_COOP_LDAP_BIND_PASSWORD", "anonymously"),
    ({"NC_COOP_LDAP_BIND_PASSWORD_FILE": "/nonexistent"}, "NC_COOP_LDAP_BIND_PASSWORD", "not both"),
    ({"NC_COOP_LDAP_USER_BASE": ""}, "NC_COOP_LDAP_USER_BASE", "is required"),
    ({"NC_COOP_LDAP_USER_FILTER": "objectClass=person"}, "NC_COOP_LDAP_USER_FILTER", "in parentheses"),
    ({"NC_COOP_LDAP_ATTR_UID": "u id"}, "NC_COOP_LDAP_ATTR_UID", "attribute name"),
    ({"NC_COOP_LDAP_PAGE_SIZE": "0"}, "NC_COOP_LDAP_PAGE_SIZE", "between 1 and 10000"),
    ({"NC_COOP_LDAP_MISSING_RUNS": "x"}, "NC_COOP_LDAP_MISSING_RUNS", "whole number"),
    ({"NC_COOP_LDAP_MAX_DISABLE_PERCENT": "101"}, "NC_COOP_LDAP_MAX_DISABLE_PERCENT", "between 0 and 100"),
    ({"NC_COOP_LDAP_GROUP_KIND": "natural"}, "NC_COOP_LDAP_GROUP_KIND", "one of"),
])
def test_bad_settings_name_the_variable_in_one_line(change: dict[str, str], name: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_ldap_settings({**BASE, **change})
    assert caught.value.name == name and reason in str(caught.value)
    assert "\n" not in str(caught.value) and "very-secret-pw" not in str(caught.value)


def test_an_unreadable_password_file_is_named_but_not_read_out(tmp_path: Path) -> None:
    env = {k: v for k, v in BASE.items() if k != "NC_COOP_LDAP_BIND_PASSWORD"}
    with pytest.raises(ConfigError, match="NC_COOP_LDAP_BIND_PASSWORD_FILE: cannot be read"):
        load_ldap_settings({**env, "NC_COOP_LDAP_BIND_PASSWORD_FILE": str(tmp_path)})


def test_progress_bar_without_a_terminal_writes_one_line_per_phase(tmp_path: Path) -> None:
    with (tmp_path / "err").open("w+") as stream:
        bar = ProgressBar(stream)
        for phase, done, total in (("users", 2, None), ("users", 4, None), ("groups", 1, None), ("write", 5, 10),
                                   ("write", 10, 10)):
            bar(phase, done, total)
        bar.close()
        stream.seek(0)
        assert stream.read().splitlines() == ["users  4 entries read", "groups 1 entries read",
                                              f"write  [{'#' * 30}] 10/10"]


# --- The command -------------------------------------------------------------------------------

@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[None]:
    for name, value in {"APP_SECRET": TEST_SECRET, "NEXTCLOUD_URL": "http://127.0.0.1:9",
                        "APP_PERSISTENT_STORAGE": str(tmp_path), "DATABASE_URL": database_url}.items():
        monkeypatch.setenv(name, value)
    assert main(["db", "upgrade"]) == 0
    yield


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["ldap", *args])
    out, err = capsys.readouterr()
    assert not any(p in out + err for p in (*PASSWORDS, "wrong-pw-123"))
    return code, out, err


def test_cli_sync_dry_run_full_and_incremental(cli_env: None, slapd: Slapd, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in ldap_env(slapd).items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    code, out, err = _run(capsys, "sync", "--full", "--dry-run")
    assert code == 0 and "Dry run" in out and "ok; 8 user(s) and 3 group(s) read; 11 new" in out
    assert "nothing was written" in out and "users created: anna.schmidt," in out
    assert "users  " in err  # the progress bar
    code, out, _ = _run(capsys, "sync", "--full", "--quiet")
    assert code == 0 and "(full): ok" in out and "11 new" in out
    code, out, _ = _run(capsys, "sync", "--quiet")
    assert code == 0 and "(incremental): ok" in out


def test_cli_exit_codes_and_one_line_reasons(cli_env: None, slapd: Slapd, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code, _, err = _run(capsys, "sync")
    assert code == 2 and err == "nc_coop: configuration error: NC_COOP_LDAP_URL: is required and not set\n"

    for name, value in ldap_env(slapd).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NC_COOP_LDAP_PAGE_SIZE", "-1")
    code, _, err = _run(capsys, "sync")
    assert code == 2 and err.startswith("nc_coop: configuration error: NC_COOP_LDAP_PAGE_SIZE: must be between")

    monkeypatch.setenv("NC_COOP_LDAP_PAGE_SIZE", "100")
    monkeypatch.setenv("NC_COOP_LDAP_BIND_PASSWORD", "wrong-pw-123")
    code, _, err = _run(capsys, "sync", "--full")
    assert code == 1 and err.splitlines()[-1].startswith("nc_coop: LDAP sync failed: bind as cn=nc_coop-sync")

    monkeypatch.setenv("NC_COOP_LDAP_BIND_PASSWORD", slapd.sync_password)
    monkeypatch.setenv("NC_COOP_LDAP_MAX_DISABLE", "0")
    monkeypatch.setenv("NC_COOP_LDAP_MISSING_RUNS", "1")
    assert _run(capsys, "sync", "--full", "--quiet")[0] == 0
    monkeypatch.setenv("NC_COOP_LDAP_USER_FILTER", "(&(objectClass=inetOrgPerson)(!(uid=lea.wagner)))")
    code, _, err = _run(capsys, "sync", "--full", "--quiet")
    assert code == 3 and "nc_coop: LDAP sync refused: would disable 1 of 8 linked accounts" in err
    code, out, _ = _run(capsys, "sync", "--full", "--quiet", "--force")
    assert code == 0 and "1 disabled" in out


def test_cli_check_user_escapes_the_value(cli_env: None, slapd: Slapd, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in ldap_env(slapd).items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    code, out, _ = _run(capsys, "check-user", "jonas.mueller")
    assert code == 0 and out.startswith("uid=jonas.mueller,ou=people,dc=coop,dc=example  entryUUID=")
    code, _, err = _run(capsys, "check-user", "*")
    assert code == 1 and "No user with uid='*'" in err
    with admin(slapd) as conn:  # read-only use of the shared directory: nothing is changed
        conn.search(slapd.people_base, "(uid=*)", attributes=["uid"])
        assert len(conn.entries) == 8
