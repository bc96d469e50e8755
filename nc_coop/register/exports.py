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
from functools import partial

from fpdf import FPDF
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from nc_coop.dates import Dates
from nc_coop.fonts import FONT, add_fonts
from nc_coop.register.models import CapitalEntry, Membership, MembershipEvent, Notice, Party, ShareEntry
from nc_coop.register.statute import PartyKind, StatuteParams
from nc_coop.register.status import Event, EventKind, exit_event
from nc_coop.register.statutes import Statutes
from nc_coop.web.i18n import translations

BATCH_SIZE = 1000
PDF_CHUNK = 64 * 1024
# Share bookings that take effect at the end of their effective day (a fiscal-year end).
END_OF_DAY_SHARE_KINDS = ("terminate", "exclude", "death_exit")

# --- Labels (user-facing text in the CSV and the PDFs) --------------------------------------------
# gettext messages, so that the catalogue holds the one German wording: the §30 list is German
# (the *_DE tables), a member's §31 extract is in the reader's language.

Gettext = Callable[[str], str]


def party_kind_labels(_: Gettext) -> dict[str, str]:
    return {PartyKind.NATURAL.value: _("natural person"), PartyKind.LEGAL_PERSON.value: _("legal person"),
            PartyKind.ASSOCIATION.value: _("association"), PartyKind.PARTNERSHIP.value: _("partnership"),
            PartyKind.PUBLIC_BODY.value: _("public-law body")}


def membership_kind_labels(_: Gettext) -> dict[str, str]:
    return {"regular": _("regular"), "investing": _("investing (§ 8 (2) GenG)")}


def exit_reason_labels(_: Gettext) -> dict[str, str]:
    return {EventKind.NOTICE_RECEIVED.value: _("Notice (§ 65 GenG)"),
            EventKind.EXCLUSION_DISPATCHED.value: _("Exclusion (§ 68 GenG)"),
            EventKind.DEATH.value: _("Death (§ 77 GenG)"),
            EventKind.TRANSFER_ALL.value: _("Transfer of the whole capital (§ 76 GenG)")}


def share_kind_labels(_: Gettext) -> dict[str, str]:
    return {"subscribe_mandatory": _("Subscription on joining"),
            "subscribe_additional": _("Further shares (§ 15b GenG)"),
            "terminate": _("Notice (§§ 65, 67b GenG)"),
            "transfer_out": _("Transfer to another member (§ 76 GenG)"),
            "transfer_in": _("Transfer from another member (§ 76 GenG)"),
            "exclude": _("Exclusion (§ 68 GenG)"),
            "death_exit": _("Leaving by death (§ 77 GenG)"),
            "reversal": _("Reversal")}


def capital_kind_labels(_: Gettext) -> dict[str, str]:
    return {"deposit": _("Payment"), "profit_credit": _("Profit credit"), "loss_write_off": _("Loss write-off"),
            "transfer_out": _("Transfer to another member (§ 76 GenG)"),
            "transfer_in": _("Transfer from another member (§ 76 GenG)"),
            "payout": _("Payout (§ 73 GenG)"), "reversal": _("Reversal")}


def notice_scope_labels(_: Gettext) -> dict[str, str]:
    return {"all": _("all shares (§ 65 GenG)"), "partial": _("further shares (§ 67b GenG)")}


_GERMAN = translations("de").gettext
PARTY_KIND_DE = party_kind_labels(_GERMAN)
MEMBERSHIP_KIND_DE = membership_kind_labels(_GERMAN)
EXIT_REASON_DE = exit_reason_labels(_GERMAN)
SHARE_KIND_DE = share_kind_labels(_GERMAN)
CAPITAL_KIND_DE = capital_kind_labels(_GERMAN)
NOTICE_SCOPE_DE = notice_scope_labels(_GERMAN)

CSV_HEADERS = (
    "Mitgliedsnummer", "Name", "Anschrift", "Art des Mitglieds", "Art der Mitgliedschaft", "Eintritt",
    "Geschäftsanteile", "Weitere Geschäftsanteile", "Geschäftsguthaben (EUR)", "Ausscheiden zum",
    "Grund des Ausscheidens",
)


def german_date(day: date | None) -> str:
    """The CSV's documented date format (DD.MM.YYYY); PDFs write dates with ``Dates``."""
    return day.strftime("%d.%m.%Y") if day else ""


def german_money(cents: int, *, grouping: bool = True, symbol: bool = True) -> str:
    """Integer cents as German euros: 1.234,56 € (no float on the way)."""
    sign, cents = ("-" if cents < 0 else ""), abs(cents)
    euros = f"{cents // 100:,}".replace(",", ".") if grouping else str(cents // 100)
    return f"{sign}{euros},{cents % 100:02d}" + (" €" if symbol else "")


def euros(cents: int, locale: str) -> str:
    """Integer cents as the locale writes euros: 1.234,56 € (German) or €1,234.56 (English)."""
    if locale.startswith("de"):
        return german_money(cents)
    sign, cents = ("-" if cents < 0 else ""), abs(cents)
    return f"{sign}€{cents // 100:,}.{cents % 100:02d}"


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
    """A4 with a title line on every page and "Seite x von y" (``page_text``) in the footer."""

    def __init__(self, title: str, subtitle: str, *, landscape: bool,
                 page_text: str = "Seite %(page)s von %(pages)s") -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        add_fonts(self)  # Unicode: names print as written ("Łukasz Wałęsa")
        self.doc_title, self.doc_subtitle, self.page_text = title, subtitle, page_text
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
        self.cell(0, 5, self.page_text % {"page": self.page_no(), "pages": "{nb}"}, align="R")

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


def _created(dates: Dates) -> str:
    """Now, in the cooperative's time zone (the server's own zone is usually UTC)."""
    return dates.moment(datetime.now(UTC))


def _on(dates: Dates, day: date | None) -> str:
    """A date cell: empty when there is none."""
    return dates.day(day) if day else ""


# 273 mm between the margins. Every title fits its column on whole words at 7.2 pt bold
# ("Geschäftsanteile" needs 26 mm: narrower, fpdf2 broke it before a lone hyphen).
LIST_COLUMNS = (
    Column("Nr.", 14, "R"), Column("Name", 52, wrap=True), Column("Anschrift", 58, wrap=True),
    Column("Art des Mitglieds", 32, wrap=True), Column("Eintritt", 19, "C"),
    Column("Geschäftsanteile", 27, "R"), Column("davon weitere", 17, "R"), Column("Ausscheiden zum", 22, "C"),
    Column("Grund des Ausscheidens", 32, wrap=True),
)


def member_list_pdf(session: Session, reference_date: date, *, dates: Dates, cooperative: str | None = None,
                    batch_size: int = BATCH_SIZE) -> Iterator[bytes]:
    """The member list as a landscape A4 PDF, yielded in chunks. The list is German; ``dates``
    (normally German and the cooperative's zone) writes its dates.

    Rows are written batch by batch as they are read; the document itself (compressed page
    streams) is built in memory by fpdf2 and then streamed. Geschäftsguthaben are left out:
    this is the copy shown on inspection (§31 GenG), which §30 limits to its own fields."""
    title = "Mitgliederliste nach § 30 GenG" + (f" – {cooperative}" if cooperative else "")
    pdf = _Document(title, f"Stand: {dates.day(reference_date)} · erstellt am {_created(dates)}", landscape=True)
    pdf.add_page()
    count = 0
    with _Table(pdf, LIST_COLUMNS, font_size=7.2) as table:  # DejaVu runs wider than Helvetica
        for batch in member_list_batches(session, reference_date, batch_size=batch_size):
            for r in batch:
                table.row([r.member_no, r.name, r.postal_address, PARTY_KIND_DE.get(r.party_kind, r.party_kind)
                           + (", investierend" if r.membership_kind == "investing" else ""),
                           _on(dates, r.admitted_on), r.shares, r.further_shares, _on(dates, r.exit_on),
                           EXIT_REASON_DE.get(r.exit_reason or "", "")])
            count += len(batch)
            del batch
    pdf.set_font(FONT, "", 9)
    pdf.cell(0, 6, f"{count} Mitglieder am {dates.day(reference_date)}.", new_x="LMARGIN", new_y="NEXT")
    yield from _chunks(pdf.output())


def extract_file_name(member_no: int, locale: str) -> str:
    """The §31 extract's file name in the reader's language."""
    return translations(locale).gettext("extract-member-%(number)s.pdf") % {"number": member_no}


def member_extract_pdf(session: Session, membership_id: int, today: date, *, dates: Dates,
                       cooperative: str | None = None) -> bytes:
    """A member's own entries in the member list (§31 Abs. 1 S. 2 GenG) as an A4 PDF: number,
    name, address, admission, shares with every booking and its effective date, Geschäftsguthaben
    with every booking, notices and exit. It is the member's copy: in the reader's language
    (``dates.locale``, German or English), unlike the §30 list."""
    _ = translations(dates.locale).gettext
    money = partial(euros, locale=dates.locale)
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

    title = _("Extract from the member list") + (f" – {cooperative}" if cooperative else "")
    subtitle = _("Copy of the member's own entries (§ 31 (1) sentence 2 GenG) · as of %(date)s · created on "
                 "%(created)s") % {"date": dates.day(today), "created": _created(dates)}
    pdf = _Document(title, subtitle, landscape=False, page_text=_("Page %(page)s of %(pages)s"))
    pdf.add_page()
    with _Table(pdf, (Column("", 60, wrap=True), Column("", 126, wrap=True)), font_size=9, titles=False) as table:
        table.row([_("Member number"), membership.member_no])
        table.row([_("Name"), list_name(party.legal_name, party.family_name, party.given_names)])
        table.row([_("Address"), party.postal_address])
        table.row([_("Kind of member"), party_kind_labels(_).get(party.kind, party.kind)])
        table.row([_("Kind of membership"), membership_kind_labels(_).get(membership.kind, membership.kind)])
        table.row([_("Admission"), _on(dates, membership.admitted_on)])
        table.row([_("Shares on %(date)s") % {"date": dates.day(today)},
                   _("%(held)s (mandatory: %(mandatory)s, further: %(further)s)")
                   % {"held": held, "mandatory": min(mandatory, held), "further": max(held - mandatory, 0)}])
        table.row([_("Capital on %(date)s") % {"date": dates.day(today)}, money(capital)])
        if leaving is not None:
            reason = exit_reason_labels(_).get(leaving.kind.value, leaving.kind.value)
            table.row([_("Leaving on"), f"{_on(dates, leaving.effective_date)} – {reason}"])
        else:
            table.row([_("Leaving"), "–"])

    pdf.heading(_("Shares: bookings"))
    shares = session.execute(select(ShareEntry.effective_date, ShareEntry.kind, ShareEntry.delta, ShareEntry.reference,
                                    ShareEntry.id).where(ShareEntry.membership_id == membership_id)
                             .order_by(ShareEntry.effective_date, ShareEntry.id)).all()
    share_kinds = share_kind_labels(_)
    _bookings(pdf, ((on, share_kinds.get(kind, kind), delta, ref) for on, kind, delta, ref, _id in shares),
              (_("Effective from"), _("Transaction"), _("Number of shares"), _("Held"), _("Remark")), str, dates,
              _("No bookings."))

    pdf.heading(_("Capital: bookings"))
    capital_rows = session.execute(select(CapitalEntry.value_date, CapitalEntry.kind, CapitalEntry.amount_cents,
                                          CapitalEntry.reference, CapitalEntry.id)
                                   .where(CapitalEntry.membership_id == membership_id)
                                   .order_by(CapitalEntry.value_date, CapitalEntry.id)).all()
    capital_kinds = capital_kind_labels(_)
    _bookings(pdf, ((on, capital_kinds.get(kind, kind), amount, ref) for on, kind, amount, ref, _id in capital_rows),
              (_("Value date"), _("Transaction"), _("Amount"), _("Balance"), _("Reference")), money, dates,
              _("No bookings."))

    pdf.heading(_("Notices"))
    notices = session.scalars(select(Notice).where(Notice.membership_id == membership_id)
                              .order_by(Notice.received_on, Notice.id)).all()
    if notices:
        columns = (Column(_("Receipt"), 24, "C"), Column(_("Scope"), 64, wrap=True),
                   Column(_("Number of shares"), 18, "R"), Column(_("Effective as of"), 26, "C"),
                   Column(_("Payout due by"), 54, "C"))
        scopes = notice_scope_labels(_)
        with _Table(pdf, columns) as table:
            for n in notices:
                table.row([_on(dates, n.received_on), scopes.get(n.scope, n.scope), n.shares,
                           _on(dates, n.effective_date),
                           _on(dates, n.settlement_due) if n.scope == "all" else "–"])
    else:
        pdf.set_font(FONT, "", 9)
        pdf.cell(0, 6, _("None."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _bookings(pdf: _Document, rows: Iterable[tuple[date, str, int, str | None]], titles: Sequence[str],
              show: Callable[[int], str], dates: Dates, none: str) -> None:
    columns = (Column(titles[0], 24, "C"), Column(titles[1], 70, wrap=True), Column(titles[2], 26, "R"),
               Column(titles[3], 26, "R"), Column(titles[4], 40, wrap=True))
    balance, any_row = 0, False
    with _Table(pdf, columns) as table:
        for on, label, amount, reference in rows:
            balance += amount
            any_row = True
            signed = show(amount) if amount < 0 else "+" + show(amount)
            table.row([_on(dates, on), label, signed, show(balance), reference or ""])
        if not any_row:
            table.row(["", none, "", "", ""])
