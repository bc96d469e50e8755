#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
# Run every test. SQLite always; PostgreSQL too when NC_COOP_TEST_DATABASE_URL is set
# (e.g. postgresql://postgres@127.0.0.1:5432/test). LDAP tests need Debian's slapd and the browser
# tests Debian's chromium: installed here when running as root, otherwise those tests are skipped
# with the install command as reason.
# Extra arguments go to pytest. Two workers (pytest-xdist; NC_COOP_TEST_WORKERS=0 runs in one
# process), each test file on one worker so that a file's shared slapd or browser starts once.
set -euo pipefail
cd "$(dirname "$0")/.."
# (Re)install when the venv is missing or pyproject.toml changed since the last install.
if [ ! -x .venv/bin/pytest ] || [ pyproject.toml -nt .venv/.nc_coop-test-installed ]; then
	python3 -m venv .venv
	.venv/bin/pip install --quiet --upgrade pip
	.venv/bin/pip install --quiet -e ".[test]"
	touch .venv/.nc_coop-installed .venv/.nc_coop-test-installed
fi
if { [ ! -x /usr/sbin/slapd ] || [ ! -x /usr/bin/chromium ]; } && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils chromium >/dev/null
fi
exec .venv/bin/python -m pytest -n "${NC_COOP_TEST_WORKERS:-2}" --dist loadfile "$@"
