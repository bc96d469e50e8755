# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The gateway to Nextcloud: the only package that imports nc_py_api or speaks OCS."""
from nc_coop.nextcloud.errors import (
    NextcloudError,
    NextcloudForbidden,
    NextcloudNotFound,
    NextcloudPasswordConfirmationRequired,
    NextcloudUnauthorized,
    NextcloudUnavailable,
)
from nc_coop.nextcloud.gateway import DavDownload, DavEntry, NextcloudGateway, NextcloudUser

__all__ = [
    "DavDownload", "DavEntry", "NextcloudError", "NextcloudForbidden", "NextcloudGateway", "NextcloudNotFound",
    "NextcloudPasswordConfirmationRequired", "NextcloudUnauthorized", "NextcloudUnavailable",
    "NextcloudUser",
]
