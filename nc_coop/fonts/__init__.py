# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""DejaVu Sans for the PDFs (Bitstream Vera licence, LICENSE-DejaVu.txt): the PDF core fonts know
only Windows-1252, so "Łukasz Żółć" or "Ærø" need an embedded Unicode font."""
from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent
FONT = "DejaVu"


def add_fonts(pdf: FPDF) -> None:
    """Register DejaVu Sans (regular and bold) on ``pdf``; fpdf2 embeds the glyphs used as a subset."""
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
