# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Imports every feature's models so that ``metadata`` describes the whole schema (for Alembic)."""
from nc_coop.assembly.models import (
    Assembly,
    AssemblyAgendaDemand,
    AssemblyAgendaSupport,
    AssemblyAttendance,
    AssemblyBallot,
    AssemblyBallotPool,
    AssemblyDelegate,
    AssemblyInvitation,
    AssemblyItem,
    AssemblyParticipation,
    AssemblyProxy,
    AssemblyRoomCount,
    AssemblyVoter,
    AssemblyVoterLogin,
)
from nc_coop.assembly.outreach_models import AssemblyMeetingPlace, AssemblyMinutesFile, AssemblyNotification
from nc_coop.audit.models import AuditEvent
from nc_coop.db import Base
from nc_coop.documents.models import (
    DocumentConfirmation,
    DocumentEvent,
    DocumentNotification,
    GeneralAssembly,
    GovernanceDocument,
)
from nc_coop.ldapsync.models import LdapEntry, LdapOrgUser, LdapSyncRun, LdapSyncState
from nc_coop.quota.models import (
    QuotaAllocation,
    QuotaChange,
    QuotaOverride,
    QuotaPolicyVersion,
    QuotaRequest,
    QuotaUserState,
)
from nc_coop.register.idempotency import IdempotencyKey
from nc_coop.register.models import (
    Account,
    CapitalEntry,
    Membership,
    MembershipEvent,
    Notice,
    Party,
    RepresentationEvent,
    ShareEntry,
    StatuteVersionRow,
)
from nc_coop.requests.models import MemberRequest, NotificationLog

metadata = Base.metadata

__all__ = ["Account", "Assembly", "AssemblyAgendaDemand", "AssemblyAgendaSupport", "AssemblyAttendance", "AssemblyBallot", "AssemblyBallotPool",
           "AssemblyDelegate", "AssemblyInvitation", "AssemblyItem", "AssemblyMeetingPlace", "AssemblyMinutesFile",
           "AssemblyNotification", "AssemblyParticipation", "AssemblyProxy",
           "AssemblyRoomCount", "AssemblyVoter", "AssemblyVoterLogin", "AuditEvent", "CapitalEntry", "DocumentConfirmation", "DocumentEvent",
           "DocumentNotification", "GeneralAssembly", "GovernanceDocument", "IdempotencyKey", "LdapEntry", "LdapOrgUser", "LdapSyncRun", "LdapSyncState",
           "MemberRequest", "Membership", "NotificationLog", "MembershipEvent", "Notice", "Party",
           "QuotaAllocation", "QuotaChange", "QuotaOverride", "QuotaPolicyVersion", "QuotaRequest", "QuotaUserState", "RepresentationEvent", "ShareEntry", "StatuteVersionRow", "metadata"]
