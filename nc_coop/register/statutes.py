# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Statute versions in the database: parameters stored as JSON, loaded as ``StatuteVersion``."""
from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.audit.chain import record
from nc_coop.register.models import StatuteVersionRow
from nc_coop.register.statute import (
    DeclarationForm,
    MandatoryShares,
    Nachschuss,
    StatuteParams,
    StatuteVersion,
    TransferPolicy,
    statute_in_force,
)

_ENUMS = {"nachschuss": Nachschuss, "declaration_form": DeclarationForm, "transfer_policy": TransferPolicy}


def params_to_json(params: StatuteParams) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, frozenset):
            return sorted(plain(v) for v in value)
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return value

    return json.dumps(plain(params), sort_keys=True)


def params_from_json(text: str) -> StatuteParams:
    raw = json.loads(text)
    raw["mandatory_shares"] = MandatoryShares(**raw.get("mandatory_shares", {}))
    for name, enum in _ENUMS.items():
        if name in raw:
            raw[name] = enum(raw[name])
    if raw.get("textform_177_resolution_on"):
        raw["textform_177_resolution_on"] = date.fromisoformat(raw["textform_177_resolution_on"])
    raw["non_business_days"] = frozenset(date.fromisoformat(d) for d in raw.get("non_business_days", []))
    return StatuteParams(**raw)


def add_statute_version(session: Session, *, actor: str, version: int, adopted_at: date, registered_at: date,
                        params: StatuteParams, document_ref: str | None = None,
                        request_id: str | None = None) -> StatuteVersionRow:
    StatuteVersion(version, adopted_at, registered_at, params)  # validates the dates
    row = StatuteVersionRow(version=version, adopted_at=adopted_at, registered_at=registered_at,
                            params=params_to_json(params), document_ref=document_ref,
                            recorded_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    record(session, actor=actor, action="statute.add", entity="statute_version", entity_id=str(row.id),
           diff={"version": version, "registered_at": registered_at.isoformat()}, request_id=request_id)
    return row


class Statutes:
    """All versions, loaded once per unit of work; answers 'which parameters applied on d'."""

    def __init__(self, session: Session) -> None:
        rows = session.scalars(select(StatuteVersionRow).order_by(StatuteVersionRow.registered_at)).all()
        self._rows = {row.id: row for row in rows}
        self._versions = {row.id: StatuteVersion(row.version, row.adopted_at, row.registered_at,
                                                 params_from_json(row.params)) for row in rows}

    def in_force(self, day: date) -> tuple[int, StatuteVersion]:
        """(row id, version) in force on ``day``; ValueError when none is registered yet."""
        version = statute_in_force(self._versions.values(), day)
        row_id = next(i for i, v in self._versions.items() if v is version)
        return row_id, version

    def params_on(self, day: date) -> StatuteParams:
        return self.in_force(day)[1].params

    def by_id(self, row_id: int) -> StatuteVersion:
        return self._versions[row_id]
