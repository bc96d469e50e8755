# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Entry point: ``python app.py`` serves nc_coop as AppAPI expects (see nc_coop.cli.serve)."""
import sys

from nc_coop.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
