# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Who is told about an assembly, and through which Nextcloud logins: the members invited on the
convening date (§46), the voters on the frozen roll, and the members reachable only by post or
e-mail (no login)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.assembly.models import AssemblyDelegate, AssemblyInvitation
from nc_coop.register.links import account_grants
from nc_coop.register.models import Account, Membership


def invited_ids(session: Session, assembly_id: int) -> list[int]:
    """Memberships invited when the assembly was convened, in member-number order."""
    return list(session.scalars(select(AssemblyInvitation.membership_id)
                                .where(AssemblyInvitation.assembly_id == assembly_id)
                                .order_by(AssemblyInvitation.member_no)))


def logins_by_membership(session: Session, assembly_id: int, membership_ids: Iterable[int],
                         today: date) -> dict[int, list[str]]:
    """Nextcloud users acting for each membership today: the member's own login, running
    representatives, and the heirs' joint representative named for this assembly (§77)."""
    ids = list(membership_ids)
    found: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return found
    for membership_id, user in session.execute(
            select(Membership.id, Account.nextcloud_user_id).join(Account, Account.party_id == Membership.party_id)
            .where(Membership.id.in_(ids), account_grants(today)).order_by(Account.nextcloud_user_id)):
        found[membership_id].append(user)
    for membership_id, user in session.execute(
            select(AssemblyDelegate.membership_id, AssemblyDelegate.nextcloud_user_id)
            .where(AssemblyDelegate.assembly_id == assembly_id, AssemblyDelegate.membership_id.in_(ids))):
        found[membership_id].append(user)
    return {k: list(dict.fromkeys(v)) for k, v in found.items()}
