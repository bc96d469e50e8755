# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Demo documents: a Governance folder in the stand-in's "office" account with four small real
PDFs, three of them published (the demo only; never used with a real Nextcloud).

The demo may be restarted on the same data: the stand-in's files are written again on every
start, byte for byte the same (fixed creation date), so earlier publications still match their
sha256, and a file published once is never published again.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.documents.models import GovernanceDocument
from nc_coop.documents.rules import Category, dav_path
from nc_coop.documents.services import Actor, publish
from nc_coop.documents.settings import DocumentsSettings
from nc_coop.fonts import FONT, add_fonts
from nc_coop.nextcloud import NextcloudGateway
from nc_coop.register.models import StatuteVersionRow
from nc_coop.standin.dav import put_file
from nc_coop.standin.state import StandInState, StandInUser

READER = "office"
# The office's Nextcloud group; the demo makes it a cooperative admin group (NC_COOP_ADMIN_GROUPS).
OFFICE_GROUP = "office"
FOLDER = "/Governance"
COOPERATIVE = "Cloud-Genossenschaft Leipzig eG"
# A fixed date in every PDF: the same bytes on every start (see the module docstring).
_CREATED = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DemoDocument:
    file: str  # inside the documents folder
    title: str  # the PDF's heading and the publication's title
    lines: Sequence[str]
    category: Category
    published: bool  # False: left in the folder for the board to publish in the picker
    fiscal_year: int | None = None


DOCUMENTS = (
    DemoDocument("Satzung 2019.pdf", "Satzung", (
        f"der {COOPERATIVE}, beschlossen von der Gründungsversammlung am 4. Mai 2019.",
        f"§ 1 Name und Sitz: Die Genossenschaft führt den Namen {COOPERATIVE} und hat ihren Sitz in Leipzig.",
        "§ 2 Zweck: Förderung der Mitglieder durch den gemeinsamen Betrieb einer Cloud (Dateien, Kalender, "
        "Kontakte) auf eigenen Servern.",
        "§ 5 Kündigung: Die Mitgliedschaft kann mit einer Frist von 24 Monaten zum Schluss eines "
        "Geschäftsjahres gekündigt werden.",
        "§ 10 Geschäftsanteil: Ein Geschäftsanteil beträgt 250,00 €. Natürliche Personen übernehmen einen, "
        "Vereine zwei, juristische Personen vier Pflichtanteile; höchstens 40 Anteile je Mitglied.",
        "Statutes of the cooperative (demo document, not a real legal text).",
    ), Category.STATUTES, True),
    DemoDocument("Einladung GV 2026.pdf", "Einladung zur Generalversammlung 2026", (
        "Liebe Mitglieder, der Vorstand lädt Sie zur ordentlichen Generalversammlung ein.",
        "Termin: Samstag, 20. Juni 2026, 14:00 Uhr, Gemeindesaal, Lindenstraße 1, 04109 Leipzig.",
        "Tagesordnung: 1. Bericht des Vorstands, 2. Bericht des Aufsichtsrats, 3. Feststellung des "
        "Jahresabschlusses 2025, 4. Entlastung von Vorstand und Aufsichtsrat, 5. Verschiedenes.",
        "Der Jahresabschluss und der Lagebericht liegen ab dem 1. Juni 2026 zur Einsicht aus.",
        "Invitation to the general assembly 2026 (demo document).",
    ), Category.ASSEMBLY_INVITATION, True),
    DemoDocument("Geschäftsbericht 2025.pdf", "Geschäftsbericht 2025", (
        "Jahresabschluss und Lagebericht für das Geschäftsjahr 2025.",
        "Mitglieder am 31.12.2025: 4, davon 2 Organisationen; gezeichnete Geschäftsanteile: 15.",
        "Geschäftsguthaben: 3.550,00 €; Umsatzerlöse aus Cloud-Diensten: 18.400,00 €; "
        "Jahresüberschuss: 1.120,00 €.",
        "Der Vorstand schlägt vor, den Jahresüberschuss in die gesetzliche Rücklage einzustellen.",
        "Annual report 2025 (demo document, figures invented).",
    ), Category.MANAGEMENT_REPORT, False, 2025),
    DemoDocument("Protokoll GV 2025.pdf", "Protokoll der Generalversammlung 2025", (
        "Ordentliche Generalversammlung am 14. Juni 2025 in Leipzig; anwesend: 3 Mitglieder, "
        "1 Vertreter.",
        "TOP 1: Der Vorstand berichtet über den Betrieb der Cloud und die neuen Speicherkontingente.",
        "TOP 3: Der Jahresabschluss 2024 wird einstimmig festgestellt.",
        "TOP 4: Vorstand und Aufsichtsrat werden einstimmig entlastet.",
        "Minutes of the general assembly 2025 (demo document).",
    ), Category.MINUTES, True),
)


def render_pdf(document: DemoDocument) -> bytes:
    """A one-page PDF: the cooperative, the title, the lines."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_creation_date(_CREATED)
    add_fonts(pdf)
    pdf.set_title(document.title)
    pdf.set_creator("nc_coop demo")
    pdf.set_margins(25, 20, 20)
    pdf.add_page()
    pdf.set_font(FONT, "", 9)
    pdf.cell(0, 5, COOPERATIVE, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 8, document.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, "", 11)
    for line in document.lines:
        pdf.multi_cell(0, 6, line, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())


def demo_reader() -> StandInUser:
    return StandInUser(READER, "Geschäftsstelle", [OFFICE_GROUP], "office@example.org", language="de")


def seed_demo_folder(state: StandInState) -> None:
    for document in DOCUMENTS:
        put_file(state, READER, f"{FOLDER}/{document.file}", render_pdf(document))


def publish_demo_documents(session: Session, gateway: NextcloudGateway, settings: DocumentsSettings) -> int:
    """Publish the demo's documents that were never published (not even withdrawn since);
    returns how many were published now."""
    actor = Actor("demo", None)
    known = set(session.scalars(select(GovernanceDocument.dav_path)))
    version = session.scalars(select(StatuteVersionRow).order_by(StatuteVersionRow.version)).first()
    published = 0
    for document in DOCUMENTS:
        if not document.published or dav_path(settings.folder, document.file) in known:
            continue
        data: dict[str, Any] = {"path": document.file, "category": document.category.value,
                                "title": document.title, "audience": "members", "fiscal_year": document.fiscal_year}
        if document.category is Category.STATUTES:
            data.update(statute_version_id=version.id if version else None,
                        adopted_on=None if version else date(2019, 5, 4),
                        valid_from=None if version else date(2019, 8, 1))
        publish(session, actor, gateway, settings, data)
        published += 1
    return published
