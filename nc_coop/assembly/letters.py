# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The general assembly on paper: the §46 invitation (PDF per member, and the list of members to
invite by post or e-mail), the §47 minutes (PDF), and storing the minutes with the governance
documents.

Letters are made like the member letters (``nc_coop.requests.letters``): gettext messages
rendered under the letter's locale (German or English), the NC_COOP_LETTERHEAD_* letterhead,
DejaVu Sans, dates written by ``Dates`` in the cooperative's time zone.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from datetime import UTC, date, datetime
from fractions import Fraction

from babel.numbers import format_decimal, format_percent
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nc_coop.assembly import rules, services
from nc_coop.assembly.models import Assembly, AssemblyInvitation, AssemblyItem, AssemblyVoter
from nc_coop.assembly.outreach_models import AssemblyMeetingPlace, AssemblyMinutesFile
from nc_coop.assembly.recipients import invited_ids, logins_by_membership
from nc_coop.assembly.rules import Capacity, Form, ResolutionType, State
from nc_coop.audit.chain import lock_chain, record
from nc_coop.dates import Dates, coop_today, coop_zone
from nc_coop.documents import services as documents
from nc_coop.documents.rules import Category, dav_path
from nc_coop.fonts import FONT
from nc_coop.nextcloud import NextcloudGateway
from nc_coop.register.exports import _cell as csv_cell  # noqa: PLC2701  the project's one CSV-injection guard
from nc_coop.register.exports import list_name, share_positions
from nc_coop.register.models import Membership, Party
from nc_coop.register.rules import RuleViolation, agenda_deadline, retention_end
from nc_coop.register.services import Actor
from nc_coop.register.statute import StatuteParams
from nc_coop.register.statutes import Statutes
from nc_coop.requests.letters import _Letter  # noqa: PLC2701  the letterhead every letter has
from nc_coop.requests.letters import LetterContent, render

LANGUAGES = ("de", "en")


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise RuleViolation("language", _l("must be one of %(choices)s", choices=", ".join(LANGUAGES)))
    return language


def _assembly(session: Session, assembly_id: int) -> Assembly:
    assembly = session.get(Assembly, assembly_id)
    if assembly is None:
        raise RuleViolation("assembly_id", _l("no such assembly"))
    return assembly


def _params(session: Session, assembly: Assembly) -> StatuteParams:
    return Statutes(session).by_id(assembly.statute_version_id).params


def _dates(language: str) -> Dates:
    return Dates(language, coop_zone())


def _items(session: Session, assembly_id: int) -> list[AssemblyItem]:
    return list(session.scalars(select(AssemblyItem).where(AssemblyItem.assembly_id == assembly_id)
                                .order_by(AssemblyItem.position)))


def _app_link(path: str) -> str:
    """An address in the cooperative's Nextcloud that opens nc_coop's page ``path``."""
    settings = current_app.config["NC_COOP_SETTINGS"]
    return f"{settings.nextcloud_url}/index.php/apps/app_api/proxy/{settings.app_id}/{path}"


# --- Wording shared by the letters ---------------------------------------------------------------

def _form_label(form: Form) -> str:
    return {Form.PRESENCE: _("in person"), Form.VIRTUAL: _("virtual (§ 43b GenG)"),
            Form.HYBRID: _("hybrid: in person and online (§ 43b GenG)"),
            Form.STAGGERED: _("in two phases, discussion and later voting (gestreckte Versammlung, § 43b GenG)")}[form]


def _fraction(value: Fraction, language: str) -> str:
    """A share such as 3/4 as people read it: "3/4 (75 %)"."""
    percent = format_percent(round(float(value), 4), locale=language, decimal_quantization=False)
    return f"{value.numerator}/{value.denominator} ({percent})"


def _votes(value: Fraction | int, language: str) -> str:
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return format_decimal(float(value), "#,##0.##", locale=language)


def majority_text(kind: ResolutionType, params: StatuteParams, language: str) -> str:
    """The majority a resolution needs, as the invitation and the minutes name it."""
    if kind is ResolutionType.SIMPLE:
        return _("more than half of the votes cast (§ 43 Abs. 2 GenG)")
    if kind is ResolutionType.ELECTION:
        return _("the candidates with the most votes are elected, as many as there are seats")
    share = _fraction(rules.required_majority(kind, params), language)
    if kind is ResolutionType.STATUTE_CHANGE:
        return _("at least %(share)s of the votes cast (change of the statute, § 16 Abs. 2 GenG)", share=share)
    if kind is ResolutionType.DISSOLUTION:
        return _("at least %(share)s of the votes cast (dissolution, § 78 GenG)", share=share)
    return _("at least %(share)s of the votes cast (§ 16 Abs. 3 GenG)", share=share)


def _quorum_text(permille: int, language: str) -> str:
    if permille == 0:
        return _("no quorum")
    return _("%(share)s of the members entitled to vote must take part",
             share=format_percent(permille / 1000, locale=language, decimal_quantization=False))


def _agenda_line(item: AssemblyItem, params: StatuteParams, language: str) -> str:
    kind = ResolutionType(item.resolution_type)
    line = f"{item.position}. {item.title} – {majority_text(kind, params, language)}"
    if kind is ResolutionType.ELECTION:
        line += " – " + _("%(seats)s seat(s); candidates: %(names)s", seats=item.seats,
                          names=", ".join(json.loads(item.candidates or "[]")))
    if item.secret:
        line += " – " + _("secret ballot")
    if item.requested_by_members:
        line += " – " + _("demanded by members (§ 45 GenG)")
    return line


def _where(assembly: Assembly, rooms: dict[str, str]) -> list[tuple[str, str]]:
    """(label, value) of the place and the online link, as far as the form has them."""
    form = Form(assembly.form)
    lines = []
    if form in (Form.PRESENCE, Form.HYBRID) or (form is Form.STAGGERED and assembly.place):
        lines.append((_("Place"), assembly.place or "–"))
    if form in (Form.VIRTUAL, Form.HYBRID, Form.STAGGERED) and (assembly.link or rooms.get("talk")):
        lines.append((_("Online"), rooms.get("talk") or assembly.link))
    return lines


def _phases(assembly: Assembly, dates: Dates) -> str | None:
    if assembly.voting_from is None and assembly.voting_until is None:
        return None
    return _("from %(start)s to %(end)s", start=dates.day(assembly.voting_from, "long"),
             end=dates.day(assembly.voting_until, "long"))


def _meeting_places(session: Session, assembly_id: int) -> dict[str, str]:
    return {p.kind: p.url for p in session.scalars(select(AssemblyMeetingPlace).where(
        AssemblyMeetingPlace.assembly_id == assembly_id)) if p.url}


# --- The invitation (§ 46 GenG) ------------------------------------------------------------------

def invitation_pdf(session: Session, assembly_id: int, membership_id: int, language: str) -> bytes:
    """The §46 invitation to one member, addressed as the register has them. Once the assembly is
    convened only invited members get one; before, it is a preview for any member."""
    language = _language(language)
    assembly = _assembly(session, assembly_id)
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise RuleViolation("membership_id", _l("no such membership"))
    state = State(assembly.state)
    if state is not State.DRAFT and session.get(AssemblyInvitation, (assembly_id, membership_id)) is None:
        raise RuleViolation("membership_id", _l("this member was not entitled on the convening date"))
    party = session.get(Party, membership.party_id)
    params = _params(session, assembly)
    dates = _dates(language)
    letter_day = assembly.convened_on or coop_today()
    invited = len(invited_ids(session, assembly_id)) or len(services.preview_roll(session, assembly_id).entries)
    shares = share_positions(session, [membership_id], assembly.held_on).get(membership_id, 0)
    letterhead = current_app.config["NC_COOP_SETTINGS"].letterhead
    with force_locale(language):
        content = _invitation_content(session, assembly, membership, party, params, dates, invited, shares)
        return render(content, dates, letter_day, letterhead)


def _invitation_content(session: Session, assembly: Assembly, membership: Membership, party: Party,
                        params: StatuteParams, dates: Dates, invited: int, shares: int) -> LetterContent:
    form = Form(assembly.form)
    language = dates.locale
    held = dates.day(assembly.held_on, "long")
    rooms = _meeting_places(session, assembly.id)
    deadline = agenda_deadline(assembly.held_on, params)
    paragraphs = [_("The board invites you to the general assembly \u201c%(title)s\u201d of the cooperative on "
                    "%(date)s (§ 46 GenG).", title=assembly.title, date=held)]
    if form is Form.PRESENCE:
        paragraphs.append(_("The assembly meets in person at: %(place)s.", place=assembly.place))
    elif form is Form.VIRTUAL:
        paragraphs.append(_("The assembly is held virtually, without a place of meeting (§ 43b GenG). You take "
                            "part online: %(link)s", link=rooms.get("talk") or assembly.link or "–"))
    elif form is Form.HYBRID:
        paragraphs.append(_("The assembly meets in person at %(place)s; you may also take part online "
                            "(§ 43b GenG): %(link)s", place=assembly.place, link=rooms.get("talk") or assembly.link
                            or "–"))
    else:
        paragraphs.append(_("The assembly is held in two phases (gestreckte Versammlung, § 43b GenG): the "
                            "discussion phase begins on %(date)s, the voting phase runs %(phase)s.", date=held,
                            phase=_phases(assembly, dates) or "–"))
    paragraphs.append(_("Agenda:"))
    paragraphs.extend(_agenda_line(item, params, language) for item in _items(session, assembly.id))
    paragraphs.append(_("Members may demand that items be added to the agenda (§ 45 GenG): the demand needs the "
                        "support of at least %(needed)s members and must reach the board in time to be announced "
                        "by %(deadline)s (§ 46 Abs. 2 GenG); items announced later cannot be resolved on.",
                        needed=rules.supporters_needed(invited, params), deadline=dates.day(deadline, "long")))
    paragraphs.append(_("The papers for the assembly (annual statement, management report, the supervisory "
                        "board's report and the proposals) are in the cooperative's governance documents in "
                        "Nextcloud: %(link)s", link=_app_link("documents")))
    if form is Form.PRESENCE:
        paragraphs.append(_("You vote in the room. Members who cannot come may authorise another member."))
    else:
        paragraphs.append(_("You vote online on the assembly's page in the cooperative's Nextcloud while voting "
                            "is open (%(link)s); afterwards a receipt lets you check that your vote was counted.",
                            link=_app_link(f"assemblies/{assembly.id}")))
    paragraphs.append(_("You may authorise another member to vote for you (§ 43 Abs. 5 GenG). The authorisation "
                        "needs text form (an e-mail or a signed letter) and must reach the board before voting "
                        "opens; it can be revoked until then. A member may act for at most %(most)s other "
                        "members.", most=params.max_members_per_proxy))
    if party.legal_name:
        paragraphs.append(_("Your organisation votes through its appointed representative."))
    facts = [(_("Member number"), str(membership.member_no)), (_("Date"), held), (_("Form"), _form_label(form))]
    facts += _where(assembly, rooms)
    phase = _phases(assembly, dates)
    if phase:
        facts.append((_("Voting"), phase))
    facts.append((_("Agenda requests by"), dates.day(deadline, "long")))
    facts.append((_("Your votes"), str(rules.votes_for(shares, params))))
    return LetterContent(party.display_name, party.postal_address,
                         _("Invitation to the general assembly: %(title)s", title=assembly.title), paragraphs,
                         facts, _("Member number %(number)s", number=membership.member_no))


def invitation_csv(session: Session, assembly_id: int, language: str) -> str:
    """Members entitled on the convening date who have no Nextcloud login (no own account, no
    running representative, no heirs' representative): they are invited by post or e-mail. CSV
    for spreadsheets as the project writes it: BOM, ';', CRLF; no cell can start a formula."""
    language = _language(language)
    assembly = _assembly(session, assembly_id)
    if assembly.convened_on is None:
        raise RuleViolation("assembly_id", _l("the assembly is not convened yet"))
    ids = invited_ids(session, assembly_id)
    logins = logins_by_membership(session, assembly_id, ids, coop_today())
    without = [mid for mid in ids if not logins.get(mid)]
    rows = session.execute(select(Membership.id, Membership.member_no, Party.legal_name, Party.family_name,
                                  Party.given_names, Party.postal_address, Party.email)
                           .join(Party, Party.id == Membership.party_id).where(Membership.id.in_(without))
                           .order_by(Membership.member_no)).all() if without else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    buffer.write("\ufeff")
    with force_locale(language):
        writer.writerow([_("Member number"), _("Name"), _("Address"), _("E-mail")])
    for r in rows:
        writer.writerow([r.member_no, csv_cell(list_name(r.legal_name, r.family_name, r.given_names)),
                         csv_cell(r.postal_address or ""), csv_cell(r.email or "")])
    return buffer.getvalue()


# --- The minutes (§ 47 GenG) ---------------------------------------------------------------------

def minutes_pdf(session: Session, assembly_id: int, language: str) -> bytes:
    """The §47 minutes after voting has closed: place, date, form, attendance, every resolution
    with its votes, the majority it needed, the quorum and the result, and signature lines."""
    language = _language(language)
    assembly = _assembly(session, assembly_id)
    results = services.tally(session, assembly_id)  # refuses before the close
    attendees = services.attendance_list(session, assembly_id)
    params = _params(session, assembly)
    dates = _dates(language)
    on_roll = session.execute(select(func.count(), func.coalesce(func.sum(AssemblyVoter.votes), 0))
                              .where(AssemblyVoter.assembly_id == assembly_id)).one()
    settings = current_app.config["NC_COOP_SETTINGS"]
    with force_locale(language):
        pdf = _Letter(settings.letterhead)
        title = _("Minutes of the general assembly (§ 47 GenG)")
        pdf.set_title(f"{title} – {assembly.title}")
        pdf.add_page()
        _heading(pdf, title, 13)
        _text(pdf, assembly.title, bold=True)
        facts = [(_("Date"), dates.day(assembly.held_on, "long")), (_("Form"), _form_label(Form(assembly.form)))]
        facts += _where(assembly, _meeting_places(session, assembly_id))
        if _phases(assembly, dates):
            facts.append((_("Voting"), _phases(assembly, dates)))
        facts.append((_("Convened on"), dates.day(assembly.convened_on, "long")))
        facts.append((_("Chair of the meeting"), "_" * 40))
        facts.append((_("Keeper of the minutes"), "_" * 40))
        _facts(pdf, facts)
        _text(pdf, _("The invitation and the agenda as sent are attached to these minutes (§ 47 GenG)."))

        _heading(pdf, _("Attendance"))
        capacities = Counter(a.capacity for a in attendees)
        _facts(pdf, [
            (_("Members on the roll"), _("%(members)s with %(votes)s votes", members=on_roll[0], votes=on_roll[1])),
            (_("Took part"), _("%(count)s members: %(room)s in the room, %(online)s online", count=len(attendees),
                               room=sum(a.in_room for a in attendees),
                               online=sum(a.voted_online and not a.in_room for a in attendees))),
            (_("Themselves"), str(capacities[Capacity.SELF])),
            (_("Represented"), str(capacities[Capacity.REPRESENTATIVE] + capacities[Capacity.HEIRS])),
            (_("By proxy (§ 43 Abs. 5 GenG)"), str(capacities[Capacity.PROXY]))])
        labels = {Capacity.SELF: _("themselves"), Capacity.REPRESENTATIVE: _("by representative"),
                  Capacity.HEIRS: _("by the heirs' representative"), Capacity.PROXY: _("by proxy")}
        for a in attendees:
            how = labels[a.capacity]
            if a.capacity is Capacity.PROXY and a.proxy_member_no is not None:
                how = _("by proxy: member no. %(number)s", number=a.proxy_member_no)
            where = _("in the room") if a.in_room else _("online")
            _text(pdf, _("Member no. %(number)s – %(how)s – %(where)s", number=a.member_no, how=how, where=where),
                  size=9)

        _heading(pdf, _("Resolutions"))
        for result in results:
            _resolution(pdf, result, params, language)
        _text(pdf, _("The chair of the meeting declared the results as recorded above."))

        _heading(pdf, _("Signatures"))
        _text(pdf, _("Signed as § 47 GenG and the statute require: the chair of the meeting and at least one "
                     "member of the board present, and the keeper of the minutes."), size=9)
        for role in (_("Chair of the meeting"), _("Member of the board"), _("Keeper of the minutes")):
            pdf.ln(10)
            pdf.set_font(FONT, "", 9)
            pdf.cell(0, 5, "_" * 60, new_x="LMARGIN", new_y="NEXT")
            pdf.cell(0, 5, _("%(role)s (place, date, signature)", role=role), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        _text(pdf, _("Created on %(moment)s.", moment=dates.moment(datetime.now(UTC))), size=8)
        return bytes(pdf.output())


def _heading(pdf: _Letter, text: str, size: int = 11) -> None:
    if pdf.will_page_break(20):
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _text(pdf: _Letter, text: str, *, bold: bool = False, size: int = 10) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _facts(pdf: _Letter, facts: list[tuple[str, str]]) -> None:
    for label, value in facts:
        y = pdf.get_y()
        pdf.set_font(FONT, "B", 10)
        pdf.multi_cell(60, 5, label, new_x="RIGHT", new_y="TOP")
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), y + 5) + 1)


def _resolution(pdf: _Letter, result: services.ItemResult, params: StatuteParams, language: str) -> None:
    _text(pdf, f"{result.position}. {result.title}", bold=True)
    secret = _("secret ballot") if result.secret else _("open ballot")
    facts = [(_("Majority needed"), majority_text(result.resolution_type, params, language)),
             (_("Ballot"), secret),
             (_("Took part"), _("%(participants)s of %(entitled)s members entitled", participants=result.participants,
                                entitled=result.entitled))]
    if result.decision is not None:
        d = result.decision
        facts += [(_("Yes"), _votes(d.yes, language)), (_("No"), _votes(d.no, language)),
                  (_("Abstentions"), str(d.abstain))]
        if d.investing_factor != 1:
            facts.append((_("Investing members"), _("their votes count %(factor)s each (§ 8 Abs. 2 GenG)",
                                                    factor=_votes(d.investing_factor, language))))
        quorum = _quorum_text(d.quorum_permille, language)
        if d.quorum_permille:
            quorum += " – " + (_("met") if d.quorum_met else _("not met"))
        facts += [(_("Quorum"), quorum), (_("Result"), _("adopted") if d.passed else _("rejected"))]
    elif result.election is not None:
        e = result.election
        for index, name in enumerate(result.candidates):
            facts.append((name, _votes(e.votes[index], language)))
        facts.append((_("Abstentions"), str(e.abstain)))
        quorum = _quorum_text(rules.quorum_permille(ResolutionType.ELECTION, params), language)
        if rules.quorum_permille(ResolutionType.ELECTION, params):
            quorum += " – " + (_("met") if e.quorum_met else _("not met"))
        facts.append((_("Quorum"), quorum))
        elected = ", ".join(result.candidates[i] for i in e.elected) or _("nobody")
        facts.append((_("Elected"), elected))
        if e.tie:
            facts.append((_("Tied for the last seat"), ", ".join(result.candidates[i] for i in e.tie)
                          + " – " + _("the statute decides (run-off or lot)")))
    _facts(pdf, facts)
    pdf.ln(2)


# --- Publishing the minutes ----------------------------------------------------------------------

def minutes_file_name(assembly: Assembly, language: str) -> str:
    """The minutes' file name in the documents folder (no characters a path could trip on)."""
    with force_locale(language):
        return _("minutes-general-assembly-%(date)s-%(id)s.pdf", date=assembly.held_on.isoformat(), id=assembly.id)


def publish_minutes(session: Session, gateway: NextcloudGateway, actor: Actor, assembly_id: int,
                    language: str) -> None:
    """Store the minutes PDF in the documents folder (WebDAV, as the documents account), publish
    it to the members as the documents package publishes (category "minutes", attached to the
    assembly), note how long it is kept (``minutes_retention_years``; none: for good), and move
    the assembly to "minutes published". Flushes; the caller commits. The writers' lock is taken
    first, so a second call waits and is refused before it writes the file again."""
    language = _language(language)
    settings = current_app.extensions.get("nc_coop.documents")
    if settings is None:
        raise RuleViolation("assembly_id", _l("the documents folder is not configured (NC_COOP_DOCUMENTS_FOLDER)"))
    lock_chain(session)
    assembly = session.get(Assembly, assembly_id, populate_existing=True)
    if assembly is None:
        raise RuleViolation("assembly_id", _l("no such assembly"))
    if State(assembly.state) is not State.CLOSED:
        raise RuleViolation("assembly_id", _l("minutes are published once, after voting has closed"))
    pdf = minutes_pdf(session, assembly_id, language)
    relative = minutes_file_name(assembly, language)
    path = dav_path(settings.folder, relative)
    gateway.upload_file(path, pdf, "application/pdf", settings.user, actor.request_id)
    with force_locale(language):
        title = _("Minutes: %(title)s", title=assembly.title)
    doc = documents.publish(session, documents.Actor(actor.user_id, actor.request_id), gateway, settings, {
        "path": relative, "category": Category.MINUTES.value, "title": title, "audience": "members",
        "assembly_id": assembly.general_assembly_id, "requires_confirmation": False})
    if doc.sha256 != hashlib.sha256(pdf).hexdigest():  # someone wrote the file between our PUT and GET
        raise RuleViolation("assembly_id", _l("the minutes file changed in Nextcloud while it was published; "
                                              "try again"))
    years = _params(session, assembly).minutes_retention_years
    keep_until = retention_end(assembly.held_on, years) if years is not None else None
    session.add(AssemblyMinutesFile(assembly_id=assembly_id, document_id=doc.id, dav_path=path, sha256=doc.sha256,
                                    language=language, keep_until=keep_until, stored_at=datetime.now(UTC),
                                    actor=actor.user_id))
    session.flush()
    record(session, actor=actor.user_id, action="assembly.minutes_stored", entity="assembly",
           entity_id=str(assembly_id), diff={"document_id": doc.id, "path": path, "sha256": doc.sha256,
                                             "keep_until": keep_until.isoformat() if keep_until else None},
           request_id=actor.request_id)
    services.publish_minutes(session, actor, assembly_id=assembly_id, minutes_document=relative)


def minutes_kept_until(session: Session, assembly_id: int) -> date | None:
    """The day until which the stored minutes must be kept (None: for good, or none stored)."""
    row = session.get(AssemblyMinutesFile, assembly_id)
    return row.keep_until if row else None


__all__ = ["LANGUAGES", "invitation_csv", "invitation_pdf", "minutes_file_name", "minutes_kept_until",
           "minutes_pdf", "publish_minutes"]
