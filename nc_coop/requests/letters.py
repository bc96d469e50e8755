# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Letters as PDF (fpdf2): confirmation of membership, of further shares, of a notice with its
effective date, and the settlement statement. German or English: the texts are gettext messages
rendered under the letter's locale, so the catalogue is the template and both stay in step.

The PDF core fonts only know Windows-1252; names such as "Łukasz Żółć" need a Unicode font, so
the letters embed DejaVu Sans (``nc_coop.fonts``). The letterhead (the cooperative's name, address
and register entry) comes from the NC_COOP_LETTERHEAD_* settings; dates are written by ``Dates``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.numbers import format_currency
from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.config import Letterhead
from nc_coop.dates import Dates
from nc_coop.fonts import FONT, add_fonts
from nc_coop.register.ledger import position_on
from nc_coop.register.models import Membership, Notice, Party, ShareEntry
from nc_coop.register.rules import settlement_due_date
from nc_coop.register.services import capital_moves, events_of, payout_moves, share_moves
from nc_coop.register.status import EventKind, exit_event
from nc_coop.register.statutes import Statutes
from nc_coop.requests.models import MemberRequest
from nc_coop.requests.rules import Kind, Status

LANGUAGES = ("de", "en")


class NoLetter(LookupError):
    """There is no such letter for this request or membership (yet)."""


@dataclass(frozen=True)
class LetterContent:
    recipient: str
    address: str
    subject: str
    paragraphs: Sequence[str]
    facts: Sequence[tuple[str, str]]
    reference: str  # member number, request number


class _Letter(FPDF):
    def __init__(self, letterhead: Letterhead) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        add_fonts(self)
        self.letterhead = letterhead
        self.set_margins(25, 20, 20)
        self.set_auto_page_break(True, margin=24)
        self.set_creator("nc_coop")
        self.set_author(letterhead.name or "nc_coop")
        self.alias_nb_pages()

    def header(self) -> None:
        # Without the settings a neutral name stands in (the status page asks to set them).
        self.set_font(FONT, "B", 11)
        self.cell(0, 6, self.letterhead.name or _("Cooperative (eG) – member register"), new_x="LMARGIN",
                  new_y="NEXT")
        if self.letterhead.address_lines:
            self.set_font(FONT, "", 8)
            self.cell(0, 4, " · ".join(self.letterhead.address_lines), new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-18)
        self.set_font(FONT, "", 8)
        if self.letterhead.register_entry:
            self.cell(0, 4, _("Register of cooperatives: %(entry)s", entry=self.letterhead.register_entry),
                      new_x="LMARGIN", new_y="NEXT")
        else:
            self.ln(4)
        self.cell(0, 5, _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}"), align="R")


def _day(value: date | None, dates: Dates) -> str:
    return dates.day(value, "long")


def _money(cents: int, locale: str) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale=locale)


def render(content: LetterContent, dates: Dates, today: date, letterhead: Letterhead) -> bytes:
    pdf = _Letter(letterhead)
    pdf.set_title(content.subject)
    pdf.add_page()
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(90, 5, f"{content.recipient}\n{content.address}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.cell(0, 5, _day(today, dates), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, content.reference, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(0, 6, content.subject, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5, _("Dear %(name)s,", name=content.recipient), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for paragraph in content.paragraphs:
        pdf.multi_cell(0, 5, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    if content.facts:
        pdf.ln(2)
        for label, value in content.facts:
            y = pdf.get_y()
            pdf.set_font(FONT, "B", 10)
            pdf.multi_cell(65, 5, label, new_x="RIGHT", new_y="TOP")
            pdf.set_font(FONT, "", 10)
            pdf.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
            pdf.set_y(max(pdf.get_y(), y + 5) + 1)
    pdf.ln(4)
    pdf.multi_cell(0, 5, _("This letter was created by the cooperative's member register and is valid "
                           "without a signature."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# --- What each letter says -------------------------------------------------------------------------

def _party(session: Session, membership: Membership) -> Party:
    return session.get(Party, membership.party_id)


def _common_facts(membership: Membership, party: Party, dates: Dates) -> list[tuple[str, str]]:
    return [(_("Member number"), str(membership.member_no)), (_("Member since"), _day(membership.admitted_on, dates))]


def membership_confirmation(session: Session, membership: Membership, dates: Dates) -> LetterContent:
    """§15 Abs. 2 GenG: the member is told of the admission without undue delay."""
    party = _party(session, membership)
    statutes = Statutes(session)
    version = statutes.by_id(membership.statute_version_id)
    first = session.scalar(select(ShareEntry.delta).where(ShareEntry.membership_id == membership.id,
                                                          ShareEntry.kind == "subscribe_mandatory")
                           .order_by(ShareEntry.id).limit(1)) or 0
    nominal = version.params.share_nominal_cents
    return LetterContent(
        party.display_name, party.postal_address, _("Confirmation of membership"),
        [_("The cooperative has admitted you as a member on %(date)s (§15 GenG) and has entered you in the member "
           "list under the member number %(number)s.", date=_day(membership.admitted_on, dates),
           number=membership.member_no),
         _("You subscribed %(shares)s share(s) of %(nominal)s each, %(total)s in all. Please pay at least the amount "
           "the statute requires on them.", shares=first, nominal=_money(nominal, dates.locale),
           total=_money(first * nominal, dates.locale)),
         _("The statute version %(version)s applied to your declaration.", version=version.version)],
        _common_facts(membership, party, dates) + [(_("Shares subscribed"), str(first))],
        _("Member number %(number)s", number=membership.member_no))


def share_confirmation(session: Session, request: MemberRequest, dates: Dates) -> LetterContent:
    """§15b: further shares take effect on admission; the member is told (§15 Abs. 2 applies)."""
    membership = session.get(Membership, request.membership_id)
    party = _party(session, membership)
    on = request.effective_date or request.decided_on
    held = position_on(share_moves(session, membership.id), on)
    nominal = Statutes(session).params_on(on).share_nominal_cents
    return LetterContent(
        party.display_name, party.postal_address, _("Confirmation of further shares"),
        [_("The cooperative has admitted your declaration of %(received)s: %(shares)s further share(s) of %(nominal)s "
           "each (§15b GenG), effective on %(date)s.", received=_day(request.received_on, dates),
           shares=request.shares, nominal=_money(nominal, dates.locale), date=_day(on, dates)),
         _("From that day you hold %(held)s share(s).", held=held)],
        _common_facts(membership, party, dates) + [
            (_("Further shares"), str(request.shares)), (_("Effective on"), _day(on, dates)),
            (_("Shares held"), str(held))],
        _("Member number %(number)s · request %(id)s", number=membership.member_no, id=request.id))


def notice_confirmation(session: Session, request: MemberRequest, dates: Dates) -> LetterContent:
    """The notice as received and booked: receipt, effective date, payout due date."""
    notice = session.get(Notice, request.notice_id)
    membership = session.get(Membership, notice.membership_id)
    party = _party(session, membership)
    if notice.scope == "all":
        effect = _("Your membership ends on %(date)s (§65 GenG).", date=_day(notice.effective_date, dates))
    else:
        effect = _("%(shares)s further share(s) end on %(date)s (§67b GenG); your membership continues.",
                   shares=notice.shares, date=_day(notice.effective_date, dates))
    return LetterContent(
        party.display_name, party.postal_address, _("Confirmation of your notice"),
        [_("We received your notice on %(date)s.", date=_day(notice.received_on, dates)), effect,
         _("Your settlement (§73 GenG) is due by %(date)s.", date=_day(notice.settlement_due, dates))],
        _common_facts(membership, party, dates) + [
            (_("Notice received on"), _day(notice.received_on, dates)),
            (_("Shares given notice on"), str(notice.shares)),
            (_("Effective date"), _day(notice.effective_date, dates)),
            (_("Settlement due by"), _day(notice.settlement_due, dates))],
        _("Member number %(number)s · request %(id)s", number=membership.member_no, id=request.id))


def settlement_statement(session: Session, membership: Membership, today: date, dates: Dates) -> LetterContent:
    """The Auseinandersetzung (§73 GenG): Geschäftsguthaben at the exit, payouts since, what is left
    and when it is due. Before the exit it is a provisional statement as of today."""
    leaving = exit_event(events_of(session, membership.id))
    if leaving is None or leaving.effective_date is None:
        raise NoLetter("the membership has no exit date")
    if leaving.kind is EventKind.TRANSFER_ALL:
        raise NoLetter("a transfer of everything (§76) has no settlement")
    party = _party(session, membership)
    exit_on = leaving.effective_date
    statutes = Statutes(session)
    due = settlement_due_date(exit_on, statutes.params_on(exit_on))
    capital = capital_moves(session, membership.id)
    at_exit = position_on(capital, min(exit_on, today))
    paid_out = -sum(m.amount for m in payout_moves(session, membership.id))
    balance = sum(m.amount for m in capital)  # every entry: after the exit only payouts move it
    provisional = today < exit_on
    paragraphs = [_("Your membership ends on %(date)s.", date=_day(exit_on, dates)) if provisional else
                  _("Your membership ended on %(date)s.", date=_day(exit_on, dates)),
                  _("The settlement follows the balance sheet of the fiscal year of your exit; losses the general "
                    "assembly decides may reduce it (§73 GenG). It is due by %(date)s.", date=_day(due, dates))]
    if provisional:
        paragraphs.append(_("This is a provisional statement as of %(date)s.", date=_day(today, dates)))
    return LetterContent(
        party.display_name, party.postal_address, _("Settlement statement"), paragraphs,
        _common_facts(membership, party, dates) + [
            (_("Exit on"), _day(exit_on, dates)),
            (_("Paid-in capital at the exit") if not provisional else _("Paid-in capital today"),
             _money(at_exit, dates.locale)),
            (_("Paid out"), _money(paid_out, dates.locale)),
            (_("Still to be paid out"), _money(max(balance, 0), dates.locale)),
            (_("Due by"), _day(due, dates))],
        _("Member number %(number)s", number=membership.member_no))


def request_letter(session: Session, request: MemberRequest, today: date, dates: Dates,
                   letterhead: Letterhead) -> bytes:
    """The confirmation a decided request leads to, in ``dates.locale``; ``NoLetter`` when there is none."""
    if request.status != Status.APPROVED.value:
        raise NoLetter("only an approved request has a letter")
    with force_locale(dates.locale):
        if request.kind == Kind.JOIN.value and request.membership_id is not None:
            content = membership_confirmation(session, session.get(Membership, request.membership_id), dates)
        elif request.kind == Kind.SHARES.value and request.share_entry_id is not None:
            content = share_confirmation(session, request, dates)
        elif request.kind == Kind.NOTICE.value and request.notice_id is not None:
            content = notice_confirmation(session, request, dates)
        else:
            raise NoLetter(request.kind)
        return render(content, dates, today, letterhead)


def membership_letter(session: Session, membership: Membership, which: str, today: date, dates: Dates,
                      letterhead: Letterhead) -> bytes:
    """``membership``: confirmation of membership; ``settlement``: the settlement statement."""
    with force_locale(dates.locale):
        if which == "membership":
            content = membership_confirmation(session, membership, dates)
        elif which == "settlement":
            content = settlement_statement(session, membership, today, dates)
        else:
            raise NoLetter(which)
        return render(content, dates, today, letterhead)


__all__ = ["LANGUAGES", "NoLetter", "membership_letter", "request_letter"]
