# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Demo documents: a Governance folder in the stand-in's "office" account, two of its files
published (the demo only; never used with a real Nextcloud)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.documents.services import Actor, publish
from nc_coop.documents.settings import DocumentsSettings
from nc_coop.nextcloud import NextcloudGateway
from nc_coop.register.models import StatuteVersionRow
from nc_coop.standin.dav import put_file
from nc_coop.standin.state import StandInState, StandInUser

READER = "office"
FOLDER = "/Governance"
_PDF = "%PDF-1.4\n% {0}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def demo_reader() -> StandInUser:
    return StandInUser(READER, "Geschäftsstelle", ["users"], "office@example.org", language="de")


def seed_demo_folder(state: StandInState) -> None:
    for name in ("Satzung 2019.pdf", "Protokoll GV 2025.pdf", "Jahresabschluss 2025.pdf", "Lagebericht 2025.pdf"):
        put_file(state, READER, f"{FOLDER}/{name}", _PDF.format(name).encode())


def publish_demo_documents(session: Session, gateway: NextcloudGateway, settings: DocumentsSettings) -> None:
    actor = Actor("demo", None)
    version = session.scalars(select(StatuteVersionRow).order_by(StatuteVersionRow.version)).first()
    publish(session, actor, gateway, settings, {
        "path": "Satzung 2019.pdf", "category": "statutes", "title": "Satzung", "audience": "members",
        "statute_version_id": version.id if version else None,
        "adopted_on": None if version else date(2019, 5, 1), "valid_from": None if version else date(2019, 7, 1)})
    publish(session, actor, gateway, settings, {"path": "Protokoll GV 2025.pdf", "category": "minutes",
                                                "title": "Protokoll der Generalversammlung 2025",
                                                "audience": "members"})
