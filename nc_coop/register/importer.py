# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Importing members with their opening balances from CSV: every row or none.

The file: UTF-8 (a BOM is fine, as Excel's "CSV UTF-8" writes it), ';' or ',' as separator
(taken from the header line), one header line with these column names (any order, any case):

=================  ========  =====================================================================
column             required  content
=================  ========  =====================================================================
member_no          no        historical member number; unique in the file and greater than every
                             number in the register. Rows without one get the next free number.
kind               yes       natural | legal_person | association | partnership | public_body
family_name        natural   family name (natural persons only)
given_names        natural   given names (natural persons only)
legal_name         others    firm or association name (everyone but natural persons)
postal_address     yes       postal address; line breaks allowed inside quotes
email              no        e-mail address
admitted_on        yes       admission date, YYYY-MM-DD or DD.MM.YYYY
shares             yes       shares held (all of them, mandatory ones included), a whole number
capital_eur        no        Geschäftsguthaben paid in, euros with a decimal comma: 1.234,56 or
                             1234,56 or 50 (no decimal point: "1234.56" is refused as ambiguous)
membership_kind    no        regular (default) | investing (§8 Abs. 2 GenG)
nextcloud_user     no        Nextcloud user id; links the member's own account (role self)
=================  ========  =====================================================================

Opening balances: the shares are booked as subscribed on the admission date and the capital
as one deposit with that value date ("opening balance"), all through ``services`` so that the
statute rules are checked and every booking is audited. Rows with a member number are booked
first, in ascending order, then the others in file order.

All or nothing: every row is validated (marshmallow) and every valid row is booked inside a
savepoint of the caller's transaction; when any row fails, all of it is rolled back and one
``ImportErrors`` lists every problem as (line, column, reason). Line numbers count physical
lines of the file, the header being line 1.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, Any, NamedTuple

from marshmallow import EXCLUDE, ValidationError, fields, pre_load, validate, validates_schema
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nc_coop.audit.chain import record
from nc_coop.register import services
from nc_coop.register.models import Account, Membership, Party
from nc_coop.register.rules import RuleViolation
from nc_coop.register.services import Actor
from nc_coop.register.statute import PartyKind
from nc_coop.web.schema import DAY_RANGE, Schema, WholeNumber
from nc_coop.web.text import ADDRESS, NAME

COLUMNS = ("member_no", "kind", "family_name", "given_names", "legal_name", "postal_address", "email",
           "admitted_on", "shares", "capital_eur", "membership_kind", "nextcloud_user")
REQUIRED_COLUMNS = ("kind", "postal_address", "admitted_on", "shares")
# Where a service's refusal points to in the file.
SERVICE_FIELD_COLUMN = {"admitted_on": "admitted_on", "value_date": "admitted_on", "effective_date": "admitted_on",
                        "shares": "shares", "kind": "membership_kind", "member_no": "member_no",
                        "amount_cents": "capital_eur", "party_id": "kind"}
_EURO = re.compile(r"(?P<euros>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<cents>\d{1,2}))?")


class RowError(NamedTuple):
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


class ImportErrors(Exception):
    """Every problem found in the file; nothing was written."""

    def __init__(self, errors: Iterable[RowError]) -> None:
        self.errors = sorted(errors)
        super().__init__(f"{len(self.errors)} error(s) in the import file")


@dataclass(frozen=True)
class ImportResult:
    imported: int
    member_numbers: list[int] = field(default_factory=list)
    dry_run: bool = False
    sha256: str = ""


# --- Validation -------------------------------------------------------------------------------------

class FlexibleDate(fields.Field):
    """YYYY-MM-DD or DD.MM.YYYY."""

    default_error_messages = {"invalid": "Not a valid date; write YYYY-MM-DD or DD.MM.YYYY."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return datetime.strptime(str(value), fmt).date()
            except ValueError:
                continue
        raise self.make_error("invalid")


class EuroCents(fields.Field):
    """Euros with a German decimal comma ("1.234,56", "1234,5", "50") as integer cents."""

    default_error_messages = {"invalid": "Not a valid amount; write euros with a decimal comma, "
                                         "e.g. 1.234,56 or 1234,56."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        text = str(value).replace("€", "").replace("EUR", "").strip()
        match = _EURO.fullmatch(text)
        if match is None:
            raise self.make_error("invalid")
        cents = (match["cents"] or "0").ljust(2, "0")
        return int(match["euros"].replace(".", "")) * 100 + int(cents)


class MemberRowSchema(Schema):
    """One row of the import file (strings as read; empty cells count as missing)."""

    class Meta:
        unknown = EXCLUDE

    member_no = WholeNumber(load_default=None, validate=validate.Range(min=1, max=2_000_000_000))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in PartyKind]))
    family_name = fields.String(load_default=None, validate=[validate.Length(max=255), NAME])
    given_names = fields.String(load_default=None, validate=[validate.Length(max=255), NAME])
    legal_name = fields.String(load_default=None, validate=[validate.Length(max=255), NAME])
    postal_address = fields.String(required=True, validate=[validate.Length(min=5, max=1000), ADDRESS])
    email = fields.Email(load_default=None, validate=validate.Length(max=255))
    admitted_on = FlexibleDate(required=True, validate=DAY_RANGE)
    shares = WholeNumber(required=True, validate=validate.Range(min=1, max=1_000_000))
    capital_eur = EuroCents(load_default=0)
    membership_kind = fields.String(load_default="regular", validate=validate.OneOf(["regular", "investing"]))
    nextcloud_user = fields.String(load_default=None, validate=[
        validate.Length(max=64), validate.Regexp(r"^\S+$", error="Must not contain spaces.")])

    @pre_load
    def _blank_is_missing(self, data: dict[str, str], **_: Any) -> dict[str, str]:
        return {key: value.strip() for key, value in data.items() if value is not None and value.strip()}

    @validates_schema(skip_on_field_errors=False)  # a row's name errors show up with its other errors
    def _names_fit_the_kind(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("kind") == PartyKind.NATURAL.value:
            for name in ("family_name", "given_names"):
                if not data.get(name):
                    errors[name] = ["Required for a natural person (§30 GenG: family name and given names)."]
            if data.get("legal_name"):
                errors["legal_name"] = ["Only for organisations; leave it empty for a natural person."]
        elif data.get("kind"):
            if not data.get("legal_name"):
                errors["legal_name"] = ["Required for an organisation (its firm or name)."]
            for name in ("family_name", "given_names"):
                if data.get(name):
                    errors[name] = ["Only for natural persons; leave it empty for an organisation."]
        if errors:
            raise ValidationError(errors)


def _flatten(messages: Any, column: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, column if key == "_schema" else str(key))
    elif isinstance(messages, list):
        for value in messages:
            yield from _flatten(value, column)
    else:
        yield column or "-", str(messages)


# --- Reading the file -------------------------------------------------------------------------------

def _text_lines(source: str | bytes | IO[str] | IO[bytes], digest: Any) -> Iterator[str]:
    """The file's lines as text (a leading BOM dropped), hashed as they are read: the audit
    names the file by its sha256. Bytes are decoded line by line, so that a line that is not
    UTF-8 is reported with its number."""
    if isinstance(source, str):
        digest.update(source.encode("utf-8"))
        return iter(io.StringIO(source.removeprefix("\ufeff"), newline=""))
    if isinstance(source, io.TextIOBase):
        def text(stream: IO[str]) -> Iterator[str]:
            for number, line in enumerate(stream):
                digest.update(line.encode("utf-8"))
                yield line.removeprefix("\ufeff") if number == 0 else line
        return text(source)

    def decoded(stream: IO[bytes]) -> Iterator[str]:
        for number, raw in enumerate(stream):
            digest.update(raw)
            line = raw.decode("utf-8")
            yield line.removeprefix("\ufeff") if number == 0 else line
    return decoded(io.BytesIO(bytes(source)) if isinstance(source, bytes | bytearray) else source)


@dataclass
class _Row:
    line: int
    data: dict[str, Any]


def _read(source: str | bytes | IO[str] | IO[bytes], digest: Any) -> tuple[list[_Row], list[RowError]]:
    """Every row validated; the valid ones and every error."""
    errors: list[RowError] = []
    valid: list[_Row] = []
    lines = _text_lines(source, digest)
    try:
        first = next(lines, "")
    except UnicodeDecodeError:
        return [], [RowError(1, "-", "The file is not UTF-8; save it as \"CSV UTF-8\".")]
    if not first.strip():
        return [], [RowError(1, "-", "The file is empty; the first line must name the columns.")]
    delimiter = ";" if first.count(";") >= first.count(",") else ","

    def all_lines() -> Iterator[str]:
        yield first
        yield from lines

    reader = csv.reader(all_lines(), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    for position, name in enumerate(header):
        if name not in COLUMNS:
            errors.append(RowError(1, name or f"#{position + 1}",
                                   f"Unknown column; the columns are {', '.join(COLUMNS)}."))
        elif header.index(name) != position:
            errors.append(RowError(1, name, "This column appears twice."))
    errors += [RowError(1, name, "Required column is missing.") for name in REQUIRED_COLUMNS if name not in header]
    if errors:
        return [], errors

    schema = MemberRowSchema()
    numbers: dict[int, int] = {}
    users: dict[str, int] = {}
    line = 2
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                errors.append(RowError(start, "-", f"{len(cells)} cells but {len(header)} columns; is a value with "
                                                   f"a '{delimiter}' missing its quotes?"))
                continue
            try:
                data = schema.load(dict(zip(header, cells, strict=False)))
            except ValidationError as exc:
                errors += [RowError(start, column, reason) for column, reason in _flatten(exc.messages)]
                continue
            row_errors = []
            if data["member_no"] is not None:
                if data["member_no"] in numbers:
                    row_errors.append(RowError(start, "member_no", f"Member number {data['member_no']} is also on "
                                                                   f"line {numbers[data['member_no']]}."))
                numbers.setdefault(data["member_no"], start)
            if data["nextcloud_user"]:
                if data["nextcloud_user"] in users:
                    row_errors.append(RowError(start, "nextcloud_user", f"This user is also on line "
                                                                        f"{users[data['nextcloud_user']]}."))
                users.setdefault(data["nextcloud_user"], start)
            errors += row_errors
            if not row_errors:
                valid.append(_Row(start, data))
    except UnicodeDecodeError:
        errors.append(RowError(line, "-", "The file is not UTF-8 from here on; save it as \"CSV UTF-8\"."))
    except csv.Error as exc:
        errors.append(RowError(line, "-", f"Not readable as CSV: {exc}."))
    return valid, errors


# --- Booking --------------------------------------------------------------------------------------

def _book(session: Session, actor: Actor, row: _Row, basis: str) -> Membership:
    data = row.data
    natural = data["kind"] == PartyKind.NATURAL.value
    party = Party(kind=data["kind"], family_name=data["family_name"] if natural else None,
                  given_names=data["given_names"] if natural else None,
                  legal_name=None if natural else data["legal_name"], postal_address=data["postal_address"],
                  email=data["email"], created_at=datetime.now(UTC))
    session.add(party)
    session.flush()
    membership = services.admit_member(session, actor, party_id=party.id, admitted_on=data["admitted_on"],
                                       shares=data["shares"], kind=data["membership_kind"], basis_document=basis,
                                       member_no=data["member_no"])
    if data["capital_eur"]:
        services.book_capital(session, actor, membership_id=membership.id, kind="deposit",
                              amount_cents=data["capital_eur"], value_date=data["admitted_on"],
                              reference="opening balance", basis_document=basis)
    if data["nextcloud_user"]:
        account = Account(nextcloud_user_id=data["nextcloud_user"], party_id=party.id, role="self",
                          created_at=datetime.now(UTC))
        session.add(account)
        session.flush()
        record(session, actor=actor.user_id, action="account.link", entity="account", entity_id=str(account.id),
               diff={"party_id": party.id, "role": "self", "member_no": membership.member_no},
               request_id=actor.request_id)
    return membership


def import_members(session: Session, actor: Actor, source: str | bytes | IO[str] | IO[bytes], *,
                   dry_run: bool = False, source_name: str | None = None) -> ImportResult:
    """Import every row of ``source`` (CSV text, bytes or a text/binary stream) in the caller's
    transaction, or none: raises ``ImportErrors`` listing every bad row and leaves the session
    as it found it. ``dry_run`` checks everything, books everything, then rolls it back."""
    digest = hashlib.sha256()
    rows, errors = _read(source, digest)
    sha = digest.hexdigest()
    services.lock_memberships(session, [])  # SQLite: the write lock now, before anything is read
    highest = session.scalar(select(func.max(Membership.member_no))) or 0
    for row in rows:
        number = row.data["member_no"]
        if number is not None and number <= highest:
            errors.append(RowError(row.line, "member_no", f"Must be greater than {highest}, the highest member "
                                                          f"number in the register."))
    ordered = sorted((r for r in rows if r.data["member_no"] is not None), key=lambda r: r.data["member_no"])
    ordered += [r for r in rows if r.data["member_no"] is None]
    refused = {e.line for e in errors}
    numbers: list[int] = []
    outer = session.begin_nested()
    try:
        for row in ordered:
            if row.line in refused:
                continue
            try:
                with session.begin_nested():
                    numbers.append(_book(session, actor, row, f"import {sha[:12]} line {row.line}").member_no)
            except RuleViolation as exc:
                errors.append(RowError(row.line, SERVICE_FIELD_COLUMN.get(exc.field, exc.field), exc.reason))
            except IntegrityError as exc:
                errors.append(RowError(row.line, "-", f"Refused by the database: {exc.orig}"))
        if not errors:
            record(session, actor=actor.user_id, action="member.import", entity="import", entity_id=sha[:12],
                   diff={"rows": len(numbers), "sha256": sha, "file": source_name, "dry_run": dry_run},
                   request_id=actor.request_id)
    except BaseException:
        outer.rollback()
        raise
    if errors:
        outer.rollback()
        raise ImportErrors(errors)
    if dry_run:
        outer.rollback()
    else:
        outer.commit()
    return ImportResult(imported=len(numbers), member_numbers=sorted(numbers), dry_run=dry_run, sha256=sha)
