# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Throw-away slapd instances for tests (ldap/slapd.sh), shared by tests/ldap and tests/ldapsync.

``start_slapd(workdir, *ldifs)`` starts one (about 0.2 s for the demo directory) and returns
where it listens; ``stop_slapd`` stops it by its pid file, never by name. The session-wide demo
instance is the ``slapd`` fixture in tests/conftest.py, one of a test's own ``directory``;
``own_slapd`` is ``start_slapd`` for a ``with`` block.

Without Debian's slapd (``apt-get install slapd ldap-utils``) the tests that need it are skipped,
unless ``NC_COOP_REQUIRE_SLAPD=1`` is set (CI), in which case they fail.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SLAPD_BINARY = Path("/usr/sbin/slapd")
REQUIRE_SLAPD_ENV = "NC_COOP_REQUIRE_SLAPD"
SCRIPT = Path(__file__).resolve().parent.parent / "ldap" / "slapd.sh"
DEMO_LDIF = SCRIPT.parent / "demo.ldif"

# The demo accounts and their passwords, as documented in ldap/demo.ldif.
SYNC_RDN = "cn=nc_coop-sync,ou=services"
SYNC_PASSWORD = "sync-demo-password"
LIMITED_RDN = "cn=nc_coop-limited,ou=services"
LIMITED_PASSWORD = "limited-demo-password"
NEXTCLOUD_RDN = "cn=nextcloud,ou=services"
NEXTCLOUD_PASSWORD = "nextcloud-demo-password"
PEOPLE_PASSWORD = "demo-password"
ADMIN_PASSWORD = "admin-demo-password"
PASSWORDS = (SYNC_PASSWORD, LIMITED_PASSWORD, NEXTCLOUD_PASSWORD, PEOPLE_PASSWORD, ADMIN_PASSWORD)


@dataclass(frozen=True)
class Slapd:
    """Where the throw-away directory listens and how to bind to it."""

    url: str
    base: str
    pid: int
    workdir: Path
    ldapi_url: str
    admin_dn: str
    admin_password: str
    sync_dn: str
    sync_password: str
    limited_dn: str
    limited_password: str
    nextcloud_dn: str
    nextcloud_password: str
    people_password: str

    @property
    def people_base(self) -> str:
        return f"ou=people,{self.base}"

    @property
    def groups_base(self) -> str:
        return f"ou=groups,{self.base}"

    def user_dn(self, uid: str) -> str:
        return f"uid={uid},{self.people_base}"

    def group_dn(self, cn: str) -> str:
        return f"cn={cn},{self.groups_base}"


def missing_tools() -> list[str]:
    missing = [] if SLAPD_BINARY.is_file() else [str(SLAPD_BINARY)]
    missing += [tool for tool in ("ldapwhoami",) if shutil.which(tool) is None]
    return missing


def require_slapd() -> None:
    """Skip the calling test (or fail, with NC_COOP_REQUIRE_SLAPD=1) when slapd is not installed."""
    missing = missing_tools()
    if missing:
        reason = (f"no slapd to test against ({', '.join(missing)} not found); "
                  "install it with: apt-get install slapd ldap-utils")
        if os.environ.get(REQUIRE_SLAPD_ENV) == "1":
            pytest.fail(f"{reason} ({REQUIRE_SLAPD_ENV}=1)", pytrace=False)
        pytest.skip(reason)


def run_script(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False)


def start_slapd(workdir: Path, *ldifs: Path) -> Slapd:
    """Start slapd in ``workdir`` with ``ldifs`` (default: ldap/demo.ldif); fail the test if it cannot."""
    require_slapd()
    started = run_script("start", str(workdir), *map(str, ldifs), timeout=120)
    if started.returncode != 0:
        run_script("stop", str(workdir), timeout=30)
        pytest.fail(f"ldap/slapd.sh start failed (exit {started.returncode}):\n{started.stderr}", pytrace=False)
    values = dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
    base = values["LDAP_BASE"]
    return Slapd(url=values["LDAP_URL"], base=base, pid=int(values["LDAP_PID"]), workdir=workdir,
                 ldapi_url=values["LDAP_LDAPI_URL"], admin_dn=values["LDAP_ADMIN_DN"],
                 admin_password=values["LDAP_ADMIN_PASSWORD"], sync_dn=f"{SYNC_RDN},{base}",
                 sync_password=SYNC_PASSWORD, limited_dn=f"{LIMITED_RDN},{base}", limited_password=LIMITED_PASSWORD,
                 nextcloud_dn=f"{NEXTCLOUD_RDN},{base}", nextcloud_password=NEXTCLOUD_PASSWORD,
                 people_password=PEOPLE_PASSWORD)


def stop_slapd(workdir: Path) -> None:
    stopped = run_script("stop", str(workdir), timeout=30)
    if stopped.returncode != 0:
        pytest.fail(f"ldap/slapd.sh stop failed:\n{stopped.stderr}", pytrace=False)


@contextmanager
def own_slapd(workdir: Path, *ldifs: Path) -> Iterator[Slapd]:
    """``start_slapd`` for the ``with`` block; stopped after it (a no-op if the test stopped it)."""
    instance = start_slapd(workdir, *ldifs)
    try:
        yield instance
    finally:
        stop_slapd(workdir)
