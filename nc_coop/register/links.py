# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Links between Nextcloud accounts and parties (``account`` rows): which of them grant access,
the check the LDAP sync applies to a link it makes by member number, and the board's review.

Every query that turns a Nextcloud user into the memberships or parties they may see goes
through ``account_grants`` (or ``link_grants`` where representation does not matter): a link
that is held for review, removed, or disabled by the sync grants nothing.

A link is never deleted: removing one sets its status to ``removed`` (the row, the LDAP entry
pointing at it and the audit trail stay)."""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from nc_coop.audit.chain import lock_chain, record
from nc_coop.ldapsync.models import LdapEntry
from nc_coop.register.models import Account, Membership, Party
from nc_coop.register.representatives import inactive_representative_accounts
from nc_coop.register.rules import RuleViolation

CONFIRMED, HELD, REMOVED = "confirmed", "held", "removed"
STATUSES = (CONFIRMED, HELD, REMOVED)
# How a link came about (account.link_source); "ldap_uid" is derived: an account made in nc_coop
# that the sync found by the entry's uid.
ADMIN, LDAP_MEMBER_NO, LDAP_NEW, LDAP_UID = "admin", "ldap_member_no", "ldap_new", "ldap_uid"
SOURCES = (LDAP_MEMBER_NO, LDAP_UID, LDAP_NEW, ADMIN)
NAME_AND_EMAIL_DIFFER = "name_and_email_differ"  # the one reason a link is held


def link_grants() -> ColumnElement[bool]:
    """The link itself grants access: confirmed and not disabled by the LDAP sync."""
    return and_(Account.link_status == CONFIRMED, Account.disabled_at.is_(None))


def account_grants(today: date) -> ColumnElement[bool]:
    """An account through which its Nextcloud user sees the party's data today: the link grants
    access and, if it came with an appointment, one of them runs today."""
    return and_(link_grants(), Account.id.not_in(inactive_representative_accounts(today)))


# --- The sync's check ------------------------------------------------------------------------------

def _norm(text: str | None) -> str:
    """Case, runs of white space and Unicode composition do not matter in a name."""
    return " ".join(unicodedata.normalize("NFC", text or "").split()).casefold()


@dataclass(frozen=True, slots=True)
class PartyIdentity:
    kind: str
    given_names: str | None
    family_name: str | None
    legal_name: str | None
    email: str | None


def hold_reason(party: PartyIdentity, *, given_name: str | None, family_name: str | None,
                display_name: str | None, mail: str | None) -> str | None:
    """None if the directory entry is the party (its name or its e-mail matches); else why not.
    A natural person's name is given + family name (or the entry's display name against it);
    an organisation's is its legal name, against the entry's display name or given + family."""
    entry_names = {_norm(f"{given_name or ''} {family_name or ''}"), _norm(display_name)} - {""}
    if party.kind == "natural":
        own = _norm(f"{party.given_names or ''} {party.family_name or ''}")
    else:
        own = _norm(party.legal_name)
    if own and own in entry_names:
        return None
    if party.email and mail and party.email.strip().casefold() == mail.strip().casefold():
        return None
    return NAME_AND_EMAIL_DIFFER


def party_identities(session: Session, party_ids: set[int] | None = None) -> dict[int, PartyIdentity]:
    """Name and e-mail of parties, for ``hold_reason``: these (at most a batch of them), or with
    None the parties of every membership (one join, not a list of 100,000 ids)."""
    query = select(Party.id, Party.kind, Party.given_names, Party.family_name, Party.legal_name, Party.email)
    if party_ids is None:
        query = query.where(Party.id.in_(select(Membership.party_id)))
    elif not party_ids:
        return {}
    else:
        query = query.where(Party.id.in_(sorted(party_ids)))
    return {row[0]: PartyIdentity(*row[1:]) for row in session.execute(query)}


# --- What the board sees ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    account_id: int
    nextcloud_user: str
    role: str
    status: str  # confirmed | held | removed
    source: str  # ldap_member_no | ldap_uid | ldap_new | admin
    reason: str | None  # why held
    created_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None
    disabled: bool
    ldap_uid: str | None  # the directory entry linked to this account, if any
    ldap_member_no: int | None


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back the UTC time nc_coop wrote without its zone."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def links_of_party(session: Session, party_id: int) -> list[Link]:
    """Every account ever linked to the party, held ones first, then by id."""
    accounts = session.scalars(select(Account).where(Account.party_id == party_id).order_by(Account.id)).all()
    entries = {account_id: (uid, attrs) for account_id, uid, attrs in session.execute(
        select(LdapEntry.account_id, LdapEntry.uid, LdapEntry.attrs)
        .where(LdapEntry.account_id.in_([a.id for a in accounts]), LdapEntry.kind == "user"))}
    links = []
    for a in accounts:
        uid, attrs = entries.get(a.id, (None, None))
        member_no = json.loads(attrs).get("member_no") if attrs else None
        source = LDAP_UID if a.link_source == ADMIN and uid is not None else a.link_source
        links.append(Link(a.id, a.nextcloud_user_id, a.role, a.link_status, source, a.link_note,
                          _aware(a.created_at), _aware(a.link_reviewed_at), a.link_reviewed_by,  # type: ignore[arg-type]
                          a.disabled_at is not None, uid, member_no))
    order = {HELD: 0, CONFIRMED: 1, REMOVED: 2}
    return sorted(links, key=lambda link: (order.get(link.status, 3), link.account_id))


# --- The board's review ----------------------------------------------------------------------------

def _account_of(session: Session, party_id: int, account_id: int) -> Account:
    account = session.get(Account, account_id, with_for_update=True)
    if account is None or account.party_id != party_id:
        raise LookupError(account_id)
    return account


def confirm_link(session: Session, actor: str, *, party_id: int, account_id: int,
                 request_id: str | None = None) -> Account:
    """The board confirms a held link: from now on the account sees the party's data.
    Raises LookupError if the account is not linked to the party, RuleViolation if the link
    is not held."""
    lock_chain(session)  # one review at a time: the status read below stands until the commit
    account = _account_of(session, party_id, account_id)
    if account.link_status == CONFIRMED:
        raise RuleViolation("account_id", _l("this link is confirmed already; only a link held for review can be "
                                             "confirmed"))
    if account.link_status != HELD:
        raise RuleViolation("account_id", _l("this link has been removed; only a link held for review can be "
                                             "confirmed"))
    account.link_status, account.link_reviewed_at, account.link_reviewed_by = CONFIRMED, datetime.now(UTC), actor
    session.flush()
    record(session, actor=actor, action="account.link_confirmed", entity="account", entity_id=str(account.id),
           diff={"party_id": party_id, "nextcloud_user": account.nextcloud_user_id, "status": [HELD, CONFIRMED],
                 "source": account.link_source, "reason": account.link_note}, request_id=request_id)
    return account


def remove_link(session: Session, actor: str, *, party_id: int, account_id: int,
                request_id: str | None = None) -> Account:
    """The board removes a link (held or confirmed): the account sees nothing of the party any
    more. The row stays, marked removed; the register's history is untouched."""
    lock_chain(session)
    account = _account_of(session, party_id, account_id)
    if account.link_status == REMOVED:
        raise RuleViolation("account_id", _l("this link has been removed already"))
    before = account.link_status
    account.link_status, account.link_reviewed_at, account.link_reviewed_by = REMOVED, datetime.now(UTC), actor
    session.flush()
    record(session, actor=actor, action="account.link_removed", entity="account", entity_id=str(account.id),
           diff={"party_id": party_id, "nextcloud_user": account.nextcloud_user_id, "status": [before, REMOVED],
                 "source": account.link_source, "reason": account.link_note}, request_id=request_id)
    return account
