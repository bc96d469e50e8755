# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The §30 GenG member list as of a reference date (CSV, PDF) and a member's own extract (§31).

Who is on the list as of a date ``d``: every membership admitted on or before ``d`` whose exit
date is on or after ``d``. A member leaving on ``d`` is still listed (DOMAIN.md §2.2 no. 10;
WirGarten #552): exits take effect at the end of their day.

Share positions follow the same rule. Reductions that take effect at a fiscal-year end
(``terminate`` for §65/§67b, ``exclude``, ``death_exit``) count from the end of their effective
day, so on 31 Dec a member leaving that day still holds the shares they leave with; every
other booking, a §76 transfer included, counts on its effective day. Exit date and reason are
shown when the declaration behind them (notice received, letter dispatched, transfer agreed,
death) is dated on or before ``d``.

Everything streams: members are read by keyset pagination over ``member_no`` in batches, and
each batch's share and capital positions come from one aggregate query per ledger. Nothing
holds the whole register in memory. For one consistent snapshot across batches, run the
export in one REPEATABLE READ transaction on PostgreSQL (the CLI does).
"""
from __future__ import annotations

import csv
import io
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from fpdf import FPDF
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from nc_coop.fonts import FONT, add_fonts
from nc_coop.register.models import CapitalEntry, Membership, MembershipEvent, Notice, Party, ShareEntry
from nc_coop.register.statute import PartyKind, StatuteParams
from nc_coop.register.status import Event, EventKind, exit_event
from nc_coop.register.statutes import Statutes

BATCH_SIZE = 1000
PDF_CHUNK = 64 * 1024
# Share bookings that take effect at the end of their effective day (a fiscal-year end).
END_OF_DAY_SHARE_KINDS = ("terminate", "exclude", "death_exit")

# --- German labels (user-facing text in the CSV and the PDFs) -------------------------------------

PARTY_KIND_DE = {
    PartyKind.NATURAL.value: "natürliche Person",
    PartyKind.LEGAL_PERSON.value: "juristische Person",
    PartyKind.ASSOCIATION.value: "Verein",
    PartyKind.PARTNERSHIP.value: "Personengesellschaft",
    PartyKind.PUBLIC_BODY.value: "Körperschaft des öffentlichen Rechts",
}
MEMBERSHIP_KIND_DE = {"regular": "ordentlich", "investing": "investierend (§ 8 Abs. 2 GenG)"}
EXIT_REASON_DE = {
    EventKind.NOTICE_RECEIVED.value: "Kündigung (§ 65 GenG)",
    EventKind.EXCLUSION_DISPATCHED.value: "Ausschluss (§ 68 GenG)",
    EventKind.DEATH.value: "Tod (§ 77 GenG)",
    EventKind.TRANSFER_ALL.value: "Übertragung des Geschäftsguthabens (§ 76 GenG)",
}
SHARE_KIND_DE = {
    "subscribe_mandatory": "Beteiligung bei Beitritt",
    "subscribe_additional": "Weitere Geschäftsanteile (§ 15b GenG)",
    "terminate": "Kündigung (§§ 65, 67b GenG)",
    "transfer_out": "Übertragung an anderes Mitglied (§ 76 GenG)",
    "transfer_in": "Übertragung von anderem Mitglied (§ 76 GenG)",
    "exclude": "Ausschluss (§ 68 GenG)",
    "death_exit": "Ausscheiden durch Tod (§ 77 GenG)",
    "reversal": "Storno",
}
CAPITAL_KIND_DE = {
    "deposit": "Einzahlung",
    "profit_credit": "Gewinngutschrift",
    "loss_write_off": "Verlustabschreibung",
    "transfer_out": "Übertragung an anderes Mitglied (§ 76 GenG)",
    "transfer_in": "Übertragung von anderem Mitglied (§ 76 GenG)",
    "payout": "Auszahlung (§ 73 GenG)",
    "reversal": "Storno",
}
NOTICE_SCOPE_DE = {"all": "alle Geschäftsanteile (§ 65 GenG)", "partial": "weitere Geschäftsanteile (§ 67b GenG)"}

CSV_HEADERS = (
    "Mitgliedsnummer", "Name", "Anschrift", "Art des Mitglieds", "Art der Mitgliedschaft", "Eintritt",
    "Geschäftsanteile", "Weitere Geschäftsanteile", "Geschäftsguthaben (EUR)", "Ausscheiden zum",
    "Grund des Ausscheidens",
)


def german_date(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def german_money(cents: int, *, grouping: bool = True, symbol: bool = True) -> str:
    """Integer cents as German euros: 1.234,56 € (no float on the way)."""
    sign, cents = ("-" if cents < 0 else ""), abs(cents)
    euros = f"{cents // 100:,}".replace(",", ".") if grouping else str(cents // 100)
    return f"{sign}{euros},{cents % 100:02d}" + (" €" if symbol else "")


# --- The rows -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MemberListRow:
    """One entry of the §30 member list as of ``reference_date``."""

    membership_id: int
    member_no: int
    name: str  # "Family, Given names" or the firm / association name
    postal_address: str
    party_kind: str
    membership_kind: str
    admitted_on: date
    shares: int
    further_shares: int  # shares held minus the mandatory holding of the statute in force
    capital_cents: int
    exit_on: date | None
    exit_reason: str | None  # an EventKind value


def list_name(legal_name: str | None, family_name: str | None, given_names: str | None) -> str:
    if legal_name:
        return legal_name
    return ", ".join(part for part in (family_name, given_names) if part)


def _exit_events(session: Session, ids: Sequence[int]) -> dict[int, Event]:
    events: dict[int, list[Event]] = defaultdict(list)
    rows = session.execute(select(MembershipEvent.membership_id, MembershipEvent.id, MembershipEvent.kind,
                                  MembershipEvent.event_date, MembershipEvent.effective_date,
                                  MembershipEvent.reverses_id)
                           .where(MembershipEvent.membership_id.in_(ids)))
    for membership_id, *fields in rows:
        event_id, kind, event_date, effective_date, reverses_id = fields
        events[membership_id].append(Event(event_id, EventKind(kind), event_date, effective_date, reverses_id))
    found = {membership_id: exit_event(evs) for membership_id, evs in events.items()}
    return {membership_id: e for membership_id, e in found.items() if e is not None}


def share_positions(session: Session, ids: Sequence[int], day: date) -> dict[int, int]:
    """Shares held during ``day`` per membership, in one aggregate query (see the module doc)."""
    original = aliased(ShareEntry)
    end_of_day = func.coalesce(original.kind, ShareEntry.kind).in_(END_OF_DAY_SHARE_KINDS)
    held = func.sum(case((and_(ShareEntry.effective_date == day, end_of_day), 0), else_=ShareEntry.delta))
    rows = session.execute(select(ShareEntry.membership_id, held)
                           .outerjoin(original, original.id == ShareEntry.reverses_id)
                           .where(ShareEntry.membership_id.in_(ids), ShareEntry.effective_date <= day)
                           .group_by(ShareEntry.membership_id))
    return {membership_id: int(total or 0) for membership_id, total in rows}


def capital_positions(session: Session, ids: Sequence[int], day: date) -> dict[int, int]:
    """Geschäftsguthaben in cents at the end of ``day`` per membership, in one aggregate query."""
    rows = session.execute(select(CapitalEntry.membership_id, func.sum(CapitalEntry.amount_cents))
                           .where(CapitalEntry.membership_id.in_(ids), CapitalEntry.value_date <= day)
                           .group_by(CapitalEntry.membership_id))
    return {membership_id: int(total or 0) for membership_id, total in rows}


def _page(session: Session, reference_date: date, after_no: int, batch_size: int,
          statutes: Callable[[], StatuteParams]) -> tuple[list[MemberListRow], int | None]:
    """One batch: the listed rows among the next ``batch_size`` members after ``after_no``, and the
    last member number read (None when the register ends here). Its locals die on return, so
    no more than one batch is alive while the next is read."""
    page = session.execute(
        select(Membership.id, Membership.member_no, Membership.kind.label("membership_kind"),
               Membership.admitted_on, Party.kind.label("party_kind"), Party.legal_name, Party.family_name,
               Party.given_names, Party.postal_address)
        .join(Party, Party.id == Membership.party_id)
        .where(Membership.admitted_on <= reference_date, Membership.member_no > after_no)
        .order_by(Membership.member_no).limit(batch_size)
    ).all()
    last_no = page[-1].member_no if len(page) == batch_size else None
    exits = _exit_events(session, [r.id for r in page]) if page else {}
    listed = [r for r in page if r.id not in exits or exits[r.id].effective_date >= reference_date]
    if not listed:
        return [], last_no
    ids = [r.id for r in listed]
    shares, capital = share_positions(session, ids, reference_date), capital_positions(session, ids, reference_date)
    params = statutes()
    rows = []
    for r in listed:
        held = shares.get(r.id, 0)
        leaving = exits.get(r.id)
        known = leaving is not None and leaving.event_date <= reference_date
        rows.append(MemberListRow(
            membership_id=r.id, member_no=r.member_no, name=list_name(r.legal_name, r.family_name, r.given_names),
            postal_address=r.postal_address, party_kind=r.party_kind, membership_kind=r.membership_kind,
            admitted_on=r.admitted_on, shares=held,
            further_shares=max(held - params.mandatory_shares_for(PartyKind(r.party_kind)), 0),
            capital_cents=capital.get(r.id, 0), exit_on=leaving.effective_date if known else None,
            exit_reason=leaving.kind.value if known else None))
    return rows, last_no


def member_list_batches(session: Session, reference_date: date, *,
                        batch_size: int = BATCH_SIZE) -> Iterator[list[MemberListRow]]:
    """The member list in member-number order, one list of at most ``batch_size`` rows at a time."""
    loaded: list[StatuteParams] = []

    def statutes() -> StatuteParams:
        if not loaded:  # someone was admitted by then, so a statute version was in force
            loaded.append(Statutes(session).params_on(reference_date))
        return loaded[0]

    after_no: int | None = 0
    while after_no is not None:
        rows, after_no = _page(session, reference_date, after_no, batch_size, statutes)
        if rows:
            yield rows
        del rows  # the caller has written them; let them go before the next batch is read


def member_list_rows(session: Session, reference_date: date, *,
                     batch_size: int = BATCH_SIZE) -> Iterator[MemberListRow]:
    """The §30 member list as of ``reference_date``, one row at a time (read in batches)."""
    for batch in member_list_batches(session, reference_date, batch_size=batch_size):
        yield from batch


# --- CSV --------------------------------------------------------------------------------------------

def _cell(text: str) -> str:
    """Text as a spreadsheet shows it, never as a formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_record(row: MemberListRow) -> list[str | int]:
    return [row.member_no, _cell(row.name), _cell(row.postal_address),
            PARTY_KIND_DE.get(row.party_kind, row.party_kind),
            MEMBERSHIP_KIND_DE.get(row.membership_kind, row.membership_kind), german_date(row.admitted_on),
            row.shares, row.further_shares, german_money(row.capital_cents, grouping=False, symbol=False),
            german_date(row.exit_on), EXIT_REASON_DE.get(row.exit_reason or "", row.exit_reason or "")]


def member_list_csv(session: Session, reference_date: date, *, batch_size: int = BATCH_SIZE) -> Iterator[bytes]:
    """The member list as CSV for German spreadsheet software: UTF-8 with BOM, ';', CRLF,
    DD.MM.YYYY dates, decimal comma. One chunk per batch; the first carries BOM and header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    buffer.write("\ufeff")
    writer.writerow(CSV_HEADERS)
    for batch in member_list_batches(session, reference_date, batch_size=batch_size):
        writer.writerows(_csv_record(row) for row in batch)
        del batch
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # nobody on the list: the header alone
        yield buffer.getvalue().encode("utf-8")


# --- PDF --------------------------------------------------------------------------------------------

# Letters the PDF core fonts (Windows-1252) lack and that do not decompose into a base letter.
_FALLBACK = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŧ": "T",
                           "ŧ": "t"})


def pdf_text(text: str) -> str:
    """Text the PDF core fonts can show: Windows-1252 covers German (äöüß, „“, €); other letters
    lose their accents. The PDFs here embed DejaVu Sans and no longer need it; it stays for
    callers that write with the core fonts."""
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text.translate(_FALLBACK):
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(base if base and all(_cp1252(c) for c in base) else "?")
    return "".join(out)


def _cp1252(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # mm
    align: str = "L"
    wrap: bool = False  # may need several lines


class _Document(FPDF):
    """A4 with a title line on every page and "Seite x von y" in the footer."""

    def __init__(self, title: str, subtitle: str, *, landscape: bool) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        add_fonts(self)  # Unicode: names print as written ("Łukasz Wałęsa")
        self.doc_title, self.doc_subtitle = title, subtitle
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=15)
        self.set_title(title)
        self.set_creator("nc_coop")
        self.alias_nb_pages()
        self.on_new_page: Callable[[], None] | None = None

    def header(self) -> None:
        self.set_font(FONT, "B", 13)
        self.cell(0, 7, self.doc_title, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 9)
        self.cell(0, 5, self.doc_subtitle, new_x="LMARGIN", new_y="NEXT")
        self.ln(3)
        if self.on_new_page is not None:
            self.on_new_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"Seite {self.page_no()} von {{nb}}", align="R")

    def heading(self, text: str) -> None:
        if self.will_page_break(20):
            self.add_page()
        self.ln(2)
        self.set_font(FONT, "B", 11)
        self.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")


class _Table:
    """A table drawn row by row: rows are measured, moved to a new page whole, and the column
    titles repeat at the top of every page the table runs onto."""

    LINE = 4.2

    def __init__(self, pdf: _Document, columns: Sequence[Column], *, font_size: float = 8,
                 titles: bool = True) -> None:
        self.pdf, self.columns, self.font_size, self.titles = pdf, columns, font_size, titles

    def _titles(self) -> None:
        pdf = self.pdf
        if not self.titles:
            pdf.set_font(FONT, "", self.font_size)
            return
        pdf.set_font(FONT, "B", self.font_size)
        pdf.set_fill_color(230, 230, 230)
        heights = [len(pdf.multi_cell(c.width, self.LINE, c.title, dry_run=True, output="LINES"))
                   for c in self.columns]
        self._draw([c.title for c in self.columns], max(heights) * self.LINE, fill=True)
        pdf.set_font(FONT, "", self.font_size)

    def _draw(self, cells: Sequence[str], height: float, *, fill: bool = False) -> None:
        pdf = self.pdf
        x, y = pdf.l_margin, pdf.get_y()
        for column, text in zip(self.columns, cells, strict=True):
            pdf.rect(x, y, column.width, height, style="DF" if fill else "D")
            pdf.set_xy(x, y)
            pdf.multi_cell(column.width, self.LINE, text, align=column.align, new_x="RIGHT", new_y="TOP")
            x += column.width
        pdf.set_xy(pdf.l_margin, y + height)

    def __enter__(self) -> _Table:
        if self.pdf.will_page_break(3 * self.LINE):
            self.pdf.add_page()
        self.pdf.on_new_page = self._titles
        self._titles()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.pdf.on_new_page = None
        self.pdf.ln(2)

    def row(self, values: Sequence[object]) -> None:
        pdf = self.pdf
        cells = ["" if v is None else str(v) for v in values]
        lines = 1
        for column, text in zip(self.columns, cells, strict=True):
            if column.wrap or "\n" in text:
                lines = max(lines, len(pdf.multi_cell(column.width, self.LINE, text, dry_run=True, output="LINES")))
        height = lines * self.LINE + 1
        if pdf.will_page_break(height):
            pdf.add_page()  # the header draws the column titles again
        pdf.set_auto_page_break(False)
        try:
            self._draw(cells, height)
        finally:
            pdf.set_auto_page_break(True, margin=15)


def _chunks(data: bytes | bytearray) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(view), PDF_CHUNK):
        yield bytes(view[start:start + PDF_CHUNK])


def _created() -> str:
    return datetime.now(UTC).astimezone().strftime("%d.%m.%Y %H:%M")


LIST_COLUMNS = (
    Column("Nr.", 14, "R"), Column("Name", 52, wrap=True), Column("Anschrift", 68, wrap=True),
    Column("Art des Mitglieds", 32, wrap=True), Column("Eintritt", 19, "C"),
    Column("Geschäfts-\nanteile", 17, "R"), Column("davon weitere", 17, "R"), Column("Ausscheiden zum", 22, "C"),
    Column("Grund des Ausscheidens", 32, wrap=True),
)


def member_list_pdf(session: Session, reference_date: date, *, cooperative: str | None = None,
                    batch_size: int = BATCH_SIZE) -> Iterator[bytes]:
    """The member list as a landscape A4 PDF, yielded in chunks.

    Rows are written batch by batch as they are read; the document itself (compressed page
    streams) is built in memory by fpdf2 and then streamed. Geschäftsguthaben are left out:
    this is the copy shown on inspection (§31 GenG), which §30 limits to its own fields."""
    title = "Mitgliederliste nach § 30 GenG" + (f" – {cooperative}" if cooperative else "")
    pdf = _Document(title, f"Stand: {german_date(reference_date)} · erstellt am {_created()}", landscape=True)
    pdf.add_page()
    count = 0
    with _Table(pdf, LIST_COLUMNS, font_size=7.2) as table:  # DejaVu runs wider than Helvetica
        for batch in member_list_batches(session, reference_date, batch_size=batch_size):
            for r in batch:
                table.row([r.member_no, r.name, r.postal_address, PARTY_KIND_DE.get(r.party_kind, r.party_kind)
                           + (", investierend" if r.membership_kind == "investing" else ""),
                           german_date(r.admitted_on), r.shares, r.further_shares, german_date(r.exit_on),
                           EXIT_REASON_DE.get(r.exit_reason or "", "")])
            count += len(batch)
            del batch
    pdf.set_font(FONT, "", 9)
    pdf.cell(0, 6, f"{count} Mitglieder am {german_date(reference_date)}.", new_x="LMARGIN", new_y="NEXT")
    yield from _chunks(pdf.output())


def member_extract_pdf(session: Session, membership_id: int, today: date, *, cooperative: str | None = None) -> bytes:
    """A member's own entries in the member list (§31 Abs. 1 S. 2 GenG) as an A4 PDF: number,
    name, address, admission, shares with every booking and its effective date, Geschäftsguthaben
    with every booking, notices and exit."""
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise LookupError(membership_id)
    party = session.get(Party, membership.party_id)
    statutes = Statutes(session)
    params = statutes.params_on(max(today, membership.admitted_on))
    held = share_positions(session, [membership_id], today).get(membership_id, 0)
    capital = capital_positions(session, [membership_id], today).get(membership_id, 0)
    leaving = _exit_events(session, [membership_id]).get(membership_id)
    mandatory = params.mandatory_shares_for(PartyKind(party.kind))

    title = "Auszug aus der Mitgliederliste" + (f" – {cooperative}" if cooperative else "")
    pdf = _Document(title, f"Abschrift der eigenen Eintragungen (§ 31 Abs. 1 Satz 2 GenG) · Stand: "
                           f"{german_date(today)} · erstellt am {_created()}", landscape=False)
    pdf.add_page()
    with _Table(pdf, (Column("", 60, wrap=True), Column("", 126, wrap=True)), font_size=9, titles=False) as table:
        table.row(["Mitgliedsnummer", membership.member_no])
        table.row(["Name", list_name(party.legal_name, party.family_name, party.given_names)])
        table.row(["Anschrift", party.postal_address])
        table.row(["Art des Mitglieds", PARTY_KIND_DE.get(party.kind, party.kind)])
        table.row(["Art der Mitgliedschaft", MEMBERSHIP_KIND_DE.get(membership.kind, membership.kind)])
        table.row(["Eintritt", german_date(membership.admitted_on)])
        table.row([f"Geschäftsanteile am {german_date(today)}", f"{held} (davon Pflichtanteile: "
                   f"{min(mandatory, held)}, weitere: {max(held - mandatory, 0)})"])
        table.row([f"Geschäftsguthaben am {german_date(today)}", german_money(capital)])
        if leaving is not None:
            table.row(["Ausscheiden zum", f"{german_date(leaving.effective_date)} – "
                       f"{EXIT_REASON_DE.get(leaving.kind.value, leaving.kind.value)}"])
        else:
            table.row(["Ausscheiden", "–"])

    pdf.heading("Geschäftsanteile: Buchungen")
    shares = session.execute(select(ShareEntry.effective_date, ShareEntry.kind, ShareEntry.delta, ShareEntry.reference,
                                    ShareEntry.id).where(ShareEntry.membership_id == membership_id)
                             .order_by(ShareEntry.effective_date, ShareEntry.id)).all()
    _bookings(pdf, ((on, SHARE_KIND_DE.get(kind, kind), delta, ref) for on, kind, delta, ref, _ in shares),
              ("Wirksam ab", "Vorgang", "Anteile", "Bestand", "Bemerkung"), str)

    pdf.heading("Geschäftsguthaben: Buchungen")
    capital_rows = session.execute(select(CapitalEntry.value_date, CapitalEntry.kind, CapitalEntry.amount_cents,
                                          CapitalEntry.reference, CapitalEntry.id)
                                   .where(CapitalEntry.membership_id == membership_id)
                                   .order_by(CapitalEntry.value_date, CapitalEntry.id)).all()
    _bookings(pdf, ((on, CAPITAL_KIND_DE.get(kind, kind), amount, ref) for on, kind, amount, ref, _ in capital_rows),
              ("Wertstellung", "Vorgang", "Betrag", "Saldo", "Referenz"), german_money)

    pdf.heading("Kündigungen")
    notices = session.scalars(select(Notice).where(Notice.membership_id == membership_id)
                              .order_by(Notice.received_on, Notice.id)).all()
    if notices:
        columns = (Column("Eingang", 24, "C"), Column("Umfang", 64, wrap=True), Column("Anteile", 18, "R"),
                   Column("Wirksam zum", 26, "C"), Column("Auszahlung fällig bis", 54, "C"))
        with _Table(pdf, columns) as table:
            for n in notices:
                table.row([german_date(n.received_on), NOTICE_SCOPE_DE.get(n.scope, n.scope), n.shares,
                           german_date(n.effective_date),
                           german_date(n.settlement_due) if n.scope == "all" else "–"])
    else:
        pdf.set_font(FONT, "", 9)
        pdf.cell(0, 6, "Keine.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _bookings(pdf: _Document, rows: Iterable[tuple[date, str, int, str | None]], titles: Sequence[str],
              show: Callable[[int], str]) -> None:
    columns = (Column(titles[0], 24, "C"), Column(titles[1], 70, wrap=True), Column(titles[2], 26, "R"),
               Column(titles[3], 26, "R"), Column(titles[4], 40, wrap=True))
    balance, any_row = 0, False
    with _Table(pdf, columns) as table:
        for on, label, amount, reference in rows:
            balance += amount
            any_row = True
            signed = show(amount) if amount < 0 else "+" + show(amount)
            table.row([german_date(on), label, signed, show(balance), reference or ""])
        if not any_row:
            table.row(["", "Keine Buchungen.", "", "", ""])
