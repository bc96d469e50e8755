#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
# Set up (a .venv with nc_coop) and start the demo: nc_coop on SQLite behind a local
# stand-in of Nextcloud on http://127.0.0.1:8080/. Extra arguments go to `nc-coop demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/nc-coop ] || [ pyproject.toml -nt .venv/.nc_coop-installed ]; then
	python3 -m venv .venv
	.venv/bin/pip install --quiet --upgrade pip
	.venv/bin/pip install --quiet -e .
	touch .venv/.nc_coop-installed
fi
exec .venv/bin/nc-coop demo "$@"
