# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""nc_coop: member self-service for a cooperative's Nextcloud, as a Flask ExApp."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nc_coop")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

from nc_coop.app import create_app  # noqa: E402  (the factory needs __version__ first)

__all__ = ["create_app", "__version__"]
