# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Versioned statute (Satzung) parameters and which version is in force on a date.

Points that were not checked against the primary law text are parameters with the
commonly cited value as default, never constants in the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class PartyKind(StrEnum):
    """Kinds of party that can be a member (§30 Abs. 2 GenG distinguishes them)."""

    NATURAL = "natural"
    LEGAL_PERSON = "legal_person"
    ASSOCIATION = "association"
    PARTNERSHIP = "partnership"
    PUBLIC_BODY = "public_body"


class TransferPolicy(StrEnum):
    """What the Satzung says about transfers of Geschäftsguthaben (§76 Abs. 2 GenG)."""

    FREE = "free"
    BOARD_CONSENT = "board_consent"
    EXCLUDED = "excluded"


class DeclarationForm(StrEnum):
    """Form of declarations (§15, §65 GenG): Textform unless the Satzung requires Schriftform."""

    TEXT = "text"
    WRITTEN = "written"


class Nachschuss(StrEnum):
    """Additional-contribution duty in insolvency (§6 Nr. 3, §105 GenG)."""

    NONE = "none"
    UNLIMITED = "unlimited"
    HAFTSUMME = "haftsumme"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True, slots=True)
class MandatoryShares:
    """Pflichtbeteiligung per party kind (§7a Abs. 2 GenG); every member holds at least one."""

    natural: int = 1
    legal_person: int = 1
    association: int = 1
    partnership: int = 1
    public_body: int = 1

    def __post_init__(self) -> None:
        for kind in PartyKind:
            _require(self.for_kind(kind) >= 1, f"mandatory_shares.{kind.value} must be >= 1")

    def for_kind(self, kind: PartyKind) -> int:
        match kind:
            case PartyKind.NATURAL:
                return self.natural
            case PartyKind.LEGAL_PERSON:
                return self.legal_person
            case PartyKind.ASSOCIATION:
                return self.association
            case PartyKind.PARTNERSHIP:
                return self.partnership
            case PartyKind.PUBLIC_BODY:
                return self.public_body


@dataclass(frozen=True, slots=True)
class StatuteParams:
    """Statute parameters the register rules depend on. Money is int cents; shares are counts."""

    share_nominal_cents: int
    fy_start_month: int = 1
    fy_start_day: int = 1
    mandatory_shares: MandatoryShares = field(default_factory=MandatoryShares)
    max_shares: int | None = None  # None: no upper limit in the Satzung
    # §7 Nr. 1 GenG: Pflichteinzahlung at least 1/10 of the Geschäftsanteil [verify wording].
    min_payment_permille: int = 100
    entrance_fee_cents: int = 0  # not Geschäftsguthaben
    nachschuss: Nachschuss = Nachschuss.NONE
    haftsumme_per_share_cents: int | None = None
    declaration_form: DeclarationForm = DeclarationForm.TEXT
    textform_177_resolution_on: date | None = None  # §177: board/AR resolution accepting Textform
    # §65 Abs. 2 GenG: 3 months to 5 years; up to 10 years for Unternehmer (§14 BGB).
    notice_months: int = 3
    notice_months_unternehmer: int | None = None
    partial_notice_allowed: bool = True  # §67b
    transfer_policy: TransferPolicy = TransferPolicy.FREE
    payout_months: int = 6  # §73 Abs. 2 S. 2; longer only under §73 Abs. 4 / §8a
    min_capital_cents: int | None = None  # §8a Mindestkapital
    heirs_continue: bool = False  # §77 Abs. 2
    # §65 Abs. 3 hardship exit [verify current wording]: Satzung period > threshold,
    # at least this many full fiscal years as member, then this period instead.
    hardship_threshold_months: int = 24
    hardship_min_full_fiscal_years: int = 1
    hardship_notice_months: int = 3
    # §193 BGB is generally held not to extend notice periods [verify]; opt-in only.
    deadline_rollover_193: bool = False
    non_business_days: frozenset[date] = frozenset()  # public holidays, for the rollover
    # §46 GenG convening periods [verify]; delivery_days: when delivery counts per Satzung.
    convening_days_before: int = 14
    agenda_days_before: int = 7
    convening_delivery_days: int = 0
    max_members_per_proxy: int = 2  # §43 Abs. 5 [verify]
    investing_members_allowed: bool = False  # §8 Abs. 2
    investing_ar_seats_max_permille: int = 250  # §8 Abs. 2: at most 1/4 of AR seats [verify]
    minutes_retention_years: int | None = None  # §47: None keeps minutes indefinitely [verify]
    # General assembly (nc_coop.assembly). §43 Abs. 3 GenG: one member, one vote; the Satzung may
    # grant Mehrstimmrechte, at most 3 votes [verify]. Here by holding: one vote per
    # `multiple_votes_shares_per_vote` shares held, at least 1, at most `multiple_votes_max`.
    multiple_votes_max: int = 1
    multiple_votes_shares_per_vote: int | None = None
    # §8 Abs. 2 S. 2: the Satzung may exclude investing members' votes; where they vote, they
    # must never outvote the others nor block a 3/4 resolution: their counted votes are capped
    # at this share of the votes counted (at most 1/4).
    investing_members_vote: bool = True
    investing_votes_max_permille: int = 250
    # §43b Abs. 1 GenG: virtual, hybrid and "gestreckt" assemblies only where the Satzung allows.
    assembly_virtual_allowed: bool = False
    assembly_hybrid_allowed: bool = False
    assembly_staggered_allowed: bool = False
    # Quorums the Satzung sets (GenG sets none): members taking part per 1000 on the roll.
    quorum_permille: int = 0
    quorum_permille_statute_change: int = 0
    quorum_permille_dissolution: int = 0
    # §16 Abs. 2 and §78 Abs. 1 GenG: at least 3/4 of the votes cast; the Satzung may require more.
    majority_permille_statute_change: int = 750
    majority_permille_dissolution: int = 750
    # §45 Abs. 1, 2 GenG: a tenth of the members may demand agenda items; the Satzung may set fewer.
    agenda_request_permille: int = 100

    def __post_init__(self) -> None:
        try:
            # A non-leap year, so a fiscal year never starts on a day that only exists sometimes.
            date(2001, self.fy_start_month, self.fy_start_day)
        except ValueError:
            raise ValueError(
                f"fiscal year start {self.fy_start_day:02d}.{self.fy_start_month:02d}."
                " is not a day of every year"
            ) from None
        _require(self.share_nominal_cents > 0, "share_nominal_cents must be > 0")
        highest_mandatory = max(self.mandatory_shares.for_kind(k) for k in PartyKind)
        _require(
            self.max_shares is None or self.max_shares >= highest_mandatory,
            "max_shares must be >= every mandatory share count",
        )
        _require(0 < self.min_payment_permille <= 1000, "min_payment_permille must be in 1..1000")
        _require(self.entrance_fee_cents >= 0, "entrance_fee_cents must be >= 0")
        _require(
            (self.nachschuss is Nachschuss.HAFTSUMME)
            == (self.haftsumme_per_share_cents is not None),
            "haftsumme_per_share_cents is required exactly when nachschuss is 'haftsumme'",
        )
        _require(
            self.haftsumme_per_share_cents is None or self.haftsumme_per_share_cents > 0,
            "haftsumme_per_share_cents must be > 0",
        )
        _require(3 <= self.notice_months <= 60, "notice_months must be 3..60 (§65 Abs. 2 GenG)")
        _require(
            self.notice_months_unternehmer is None or 3 <= self.notice_months_unternehmer <= 120,
            "notice_months_unternehmer must be 3..120 (§65 Abs. 2 S. 3 GenG)",
        )
        _require(self.payout_months >= 0, "payout_months must be >= 0")
        _require(
            self.min_capital_cents is None or self.min_capital_cents > 0,
            "min_capital_cents must be > 0",
        )
        _require(self.hardship_threshold_months >= 0, "hardship_threshold_months must be >= 0")
        _require(self.hardship_min_full_fiscal_years >= 0, "hardship_min_full_fiscal_years >= 0")
        _require(self.hardship_notice_months >= 1, "hardship_notice_months must be >= 1")
        for name in ("convening_days_before", "agenda_days_before", "convening_delivery_days"):
            _require(getattr(self, name) >= 0, f"{name} must be >= 0")
        _require(self.max_members_per_proxy >= 1, "max_members_per_proxy must be >= 1")
        _require(
            0 <= self.investing_ar_seats_max_permille <= 1000,
            "investing_ar_seats_max_permille must be in 0..1000",
        )
        _require(
            self.minutes_retention_years is None or self.minutes_retention_years >= 1,
            "minutes_retention_years must be >= 1 or None",
        )
        _require(1 <= self.multiple_votes_max <= 3, "multiple_votes_max must be 1..3 (§43 Abs. 3 GenG)")
        _require(
            (self.multiple_votes_max > 1) == (self.multiple_votes_shares_per_vote is not None),
            "multiple_votes_shares_per_vote is required exactly when multiple_votes_max is over 1",
        )
        _require(
            self.multiple_votes_shares_per_vote is None or self.multiple_votes_shares_per_vote >= 1,
            "multiple_votes_shares_per_vote must be >= 1",
        )
        _require(
            1 <= self.investing_votes_max_permille <= 250,
            "investing_votes_max_permille must be 1..250 (§8 Abs. 2 GenG: never block a 3/4 resolution)",
        )
        for name in ("quorum_permille", "quorum_permille_statute_change", "quorum_permille_dissolution"):
            _require(0 <= getattr(self, name) <= 1000, f"{name} must be 0..1000")
        for name in ("majority_permille_statute_change", "majority_permille_dissolution"):
            _require(750 <= getattr(self, name) <= 1000, f"{name} must be 750..1000 (§16 Abs. 2, §78 GenG)")
        _require(1 <= self.agenda_request_permille <= 100, "agenda_request_permille must be 1..100 (§45 GenG)")

    def notice_months_for(self, *, unternehmer: bool = False) -> int:
        """Notice period in months; the Unternehmer period only applies if the Satzung sets one."""
        if unternehmer and self.notice_months_unternehmer is not None:
            return self.notice_months_unternehmer
        return self.notice_months

    def mandatory_shares_for(self, kind: PartyKind) -> int:
        return self.mandatory_shares.for_kind(kind)


@dataclass(frozen=True, slots=True)
class StatuteVersion:
    """One Satzung version; it takes effect on registration, not adoption (§16 Abs. 6 GenG)."""

    version: int
    adopted_at: date
    registered_at: date
    params: StatuteParams

    def __post_init__(self) -> None:
        _require(self.version >= 1, "version must be >= 1")
        _require(
            self.registered_at >= self.adopted_at,
            f"statute version {self.version}: registered_at is before adopted_at",
        )


def statute_in_force(versions: Iterable[StatuteVersion], on: date) -> StatuteVersion:
    """The version registered on or before `on` with the latest registered_at (§16 Abs. 6 GenG).

    Two versions registered on the same day: the higher version number wins.
    """
    candidates = [v for v in versions if v.registered_at <= on]
    if not candidates:
        raise ValueError(f"no statute version is registered on or before {on.isoformat()}")
    return max(candidates, key=lambda v: (v.registered_at, v.version))
