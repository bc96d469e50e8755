# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Documents settings: the Nextcloud folder and the account nc_coop reads it as.

``NC_COOP_DOCUMENTS_FOLDER`` is a folder in the files of ``NC_COOP_DOCUMENTS_USER`` (the account
that owns the folder or receives it as a share, team or group folder; APPAPI.md: a folder is read
as the account that has it). Both or neither: without them documents are not configured.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nc_coop.config import ConfigError
from nc_coop.documents.rules import normalise_folder

FOLDER_VARIABLE = "NC_COOP_DOCUMENTS_FOLDER"
USER_VARIABLE = "NC_COOP_DOCUMENTS_USER"
# Nextcloud user ids: letters, digits, space and _ . @ - ' (lib/private/User/Manager.php).
_USER_ID = re.compile(r"^[A-Za-z0-9 _.@'-]{1,64}$")


@dataclass(frozen=True)
class DocumentsSettings:
    folder: str  # "/Governance"; "" is the account's root
    user: str


def load_documents_settings(environ: Mapping[str, Any]) -> DocumentsSettings | None:
    """None when neither variable is set; ``ConfigError`` naming the variable when one is wrong."""
    folder = str(environ.get(FOLDER_VARIABLE) or "").strip()
    user = str(environ.get(USER_VARIABLE) or "").strip()
    if not folder and not user:
        return None
    if not folder:
        raise ConfigError(FOLDER_VARIABLE, f"is required when {USER_VARIABLE} is set")
    if not user:
        raise ConfigError(USER_VARIABLE, f"is required when {FOLDER_VARIABLE} is set")
    try:
        normalised = normalise_folder(folder)
    except ValueError as exc:
        raise ConfigError(FOLDER_VARIABLE, f"{exc}, got {folder!r}") from None
    if not _USER_ID.match(user) or user.strip() != user:
        raise ConfigError(USER_VARIABLE, f"must be a Nextcloud user id, got {user!r}")
    return DocumentsSettings(folder=normalised, user=user)
