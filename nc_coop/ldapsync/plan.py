# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Pure functions of the sync: normalising directory entries, hashing them, and the diff of what
the directory says against what the database holds. No I/O here, so tests call them directly."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nc_coop.ldapsync._ldap3 import escape_filter_chars

USER, GROUP = "user", "group"


# --- Directory records --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DirUser:
    entry_uuid: str
    dn: str  # normalised: see normalise_dn
    uid: str
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    mail: str | None = None
    member_no: int | None = None
    quota: str | None = None
    changed_at: str | None = None  # newest of modify/createTimestamp (GeneralizedTime), not hashed

    kind = USER

    def attrs(self) -> dict[str, Any]:
        """What the sync compares and stores (dn and uid too: a rename is a change)."""
        return {"dn": self.dn, "uid": self.uid, "display_name": self.display_name, "given_name": self.given_name,
                "family_name": self.family_name, "mail": self.mail, "member_no": self.member_no,
                "quota": self.quota}


@dataclass(frozen=True, slots=True)
class DirGroup:
    entry_uuid: str
    dn: str
    name: str  # cn
    legal_name: str
    member_no: int | None = None
    members: tuple[str, ...] = ()  # normalised member DNs, sorted
    changed_at: str | None = None

    kind = GROUP

    def attrs(self) -> dict[str, Any]:
        return {"dn": self.dn, "name": self.name, "legal_name": self.legal_name, "member_no": self.member_no,
                "members": list(self.members)}


DirRecord = DirUser | DirGroup


def normalise_dn(dn: str) -> str:
    """Case and the spaces around separators do not matter in a DN; member values and entry DNs
    are compared in this form."""
    if " " not in dn:  # the common case, and what servers send: only the case to fold
        return dn.lower()
    return ",".join("=".join(p.strip() for p in rdn.split("=", 1)) for rdn in dn.split(",")).lower()


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), check_circular=False)


def canonical(attrs: Mapping[str, Any]) -> str:
    """The stored form of an entry's attributes (what ``attr_hash`` hashes): JSON with sorted
    keys, as ``json.dumps(attrs, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``."""
    return _CANONICAL.encode(attrs)


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def attr_hash(attrs: Mapping[str, Any]) -> str:
    return text_hash(canonical(attrs))


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def parse_member_no(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None  # membership.member_no is an INTEGER column


# --- Timestamps ---------------------------------------------------------------------------------

def parse_generalized_time(value: str) -> datetime:
    """``20261126231600Z`` (OpenLDAP), also with fractions or minutes only: as UTC."""
    text = value.strip().upper().removesuffix("Z")
    text = text.split(".")[0].split(",")[0]
    text = text.ljust(14, "0")[:14]
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def generalized_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


def newest(a: str | None, b: str | None) -> str | None:
    """The later of two GeneralizedTime values (either may be None)."""
    if a is None or b is None:
        return a or b
    if len(a) == len(b) == 15 and a[-1] == b[-1] == "Z":  # OpenLDAP's form: text order is time order
        return a if a >= b else b
    return a if parse_generalized_time(a) >= parse_generalized_time(b) else b


def since_filter(base_filter: str, high_water: str, overlap_seconds: int) -> str:
    """The incremental filter: entries created or modified at or after the last successful
    run's newest server timestamp minus the overlap (1-s resolution, clock skew, slow writers)."""
    start = parse_generalized_time(high_water).timestamp() - overlap_seconds
    value = escape_filter_chars(generalized_time(datetime.fromtimestamp(start, UTC)))
    return f"(&{base_filter}(|(modifyTimestamp>={value})(createTimestamp>={value})))"


def value_filter(base_filter: str, attribute: str, value: str) -> str:
    """``base_filter`` narrowed to entries whose ``attribute`` equals ``value`` exactly: the value
    is escaped, so ``*`` or ``)(`` in it are characters, never filter syntax."""
    return f"(&{base_filter}({attribute}={escape_filter_chars(value)}))"


# --- The diff ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Stored:
    """What the database holds about one directory entry (one row of ldap_entry)."""

    id: int
    entry_uuid: str
    kind: str
    dn: str
    attr_hash: str
    missing_full_runs: int = 0
    disabled: bool = False
    account_id: int | None = None
    party_id: int | None = None


@dataclass
class EntryPlan:
    """What to write for one kind of entry (users or groups)."""

    created: list[DirRecord] = field(default_factory=list)
    changed: list[tuple[Stored, DirRecord]] = field(default_factory=list)
    unchanged: list[Stored] = field(default_factory=list)
    restored: list[Stored] = field(default_factory=list)  # seen again after missing or disabled
    missing: list[tuple[Stored, int]] = field(default_factory=list)  # (entry, consecutive full runs missed)
    to_disable: list[Stored] = field(default_factory=list)  # subset of missing that reaches the limit
    duplicates: list[str] = field(default_factory=list)  # entryUUIDs seen twice in one read

    def counts(self) -> dict[str, int]:
        return {"created": len(self.created), "changed": len(self.changed), "unchanged": len(self.unchanged),
                "missing": len(self.missing), "disabled": len(self.to_disable), "restored": len(self.restored)}


def plan_entries(stored: Mapping[str, Stored], seen: Iterable[DirRecord], *, find_missing: bool,
                 missing_runs: int, seen_ids: set[str] | None = None) -> EntryPlan:
    """Compare what the directory returned with what is stored (both keyed by entryUUID).

    ``find_missing`` only for a complete full read: an incremental or cut-short read says nothing
    about entries it did not return. An entry missed ``missing_runs`` full runs in a row is to be
    disabled; a missing or disabled entry that is seen again is restored. ``seen_ids``: the
    entryUUIDs of earlier pages of the same read (updated here), when a read is planned page by
    page; the missing ones are then found by ``plan_missing`` once the read has ended."""
    plan = EntryPlan()
    seen_ids = set() if seen_ids is None else seen_ids
    for record in seen:
        if record.entry_uuid in seen_ids:
            plan.duplicates.append(record.entry_uuid)
            continue
        seen_ids.add(record.entry_uuid)
        old = stored.get(record.entry_uuid)
        if old is None:
            plan.created.append(record)
            continue
        if old.disabled or old.missing_full_runs:
            plan.restored.append(old)
        if old.attr_hash != attr_hash(record.attrs()):
            plan.changed.append((old, record))
        else:
            plan.unchanged.append(old)
    if find_missing:
        plan.missing, plan.to_disable = plan_missing(stored, seen_ids, missing_runs=missing_runs)
    return plan


def plan_missing(stored: Mapping[str, Stored], seen_ids: set[str], *,
                 missing_runs: int) -> tuple[list[tuple[Stored, int]], list[Stored]]:
    """After a complete full read: the stored entries it did not return (with the number of full
    runs in a row they have been missed), and those of them that reach ``missing_runs``."""
    missing: list[tuple[Stored, int]] = []
    to_disable: list[Stored] = []
    for uuid, old in stored.items():
        if uuid in seen_ids or old.disabled:
            continue
        runs = old.missing_full_runs + 1
        missing.append((old, runs))
        if runs >= missing_runs:
            to_disable.append(old)
    return missing, to_disable


def plan_memberships(desired: Mapping[int, set[int]], active: Mapping[int, Mapping[int, int]], *,
                     may_end: bool) -> tuple[list[tuple[int, int]], list[int]]:
    """Organisation users: ``desired`` maps a group entry id to the user entry ids its ``member``
    lists now; ``active`` maps a group entry id to {user entry id: ldap_org_user id} not ended.
    Only groups in ``desired`` (the groups read in this run) are compared. Returns the pairs to
    add and the row ids to end (none unless ``may_end``)."""
    added: list[tuple[int, int]] = []
    ended: list[int] = []
    for group_id, users in desired.items():
        current = active.get(group_id, {})
        added.extend((group_id, user_id) for user_id in sorted(users - current.keys()))
        if may_end:
            ended.extend(row_id for user_id, row_id in sorted(current.items()) if user_id not in users)
    return added, ended


def disable_refusal(to_disable: int, linked_accounts: int, limit: int) -> str | None:
    """The mass-disable guard's reason to refuse, or None when the run may go ahead."""
    if to_disable <= limit:
        return None
    return (f"would disable {to_disable} of {linked_accounts} linked accounts, more than the limit of {limit} "
            f"(NC_COOP_LDAP_MAX_DISABLE, NC_COOP_LDAP_MAX_DISABLE_PERCENT); check the directory, or run with --force")
