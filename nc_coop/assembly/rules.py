# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The general assembly's rules as pure functions: forms and states, deadlines, who votes with
how many votes, proxies, majorities and quorums (§§43–46, §43b, §8 Abs. 2, §16, §77, §78 GenG).

Counting uses ``Fraction``: investing members' votes may be scaled down (§8 Abs. 2), and a
majority such as 3/4 must be decided exactly, never in floating point.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from fractions import Fraction

from flask_babel import lazy_gettext as _l

from nc_coop.register.rules import RuleViolation, agenda_deadline, convening_deadline
from nc_coop.register.statute import PartyKind, StatuteParams

# --- Forms and states ---------------------------------------------------------------------------


class Form(StrEnum):
    """§43b Abs. 1 GenG: in person, virtual, hybrid, or gestreckt (discussion, later voting)."""

    PRESENCE = "presence"
    VIRTUAL = "virtual"
    HYBRID = "hybrid"
    STAGGERED = "staggered"  # gestreckte Versammlung


class State(StrEnum):
    DRAFT = "draft"
    CONVENED = "convened"
    DISCUSSION = "discussion"
    VOTING_OPEN = "voting_open"
    CLOSED = "closed"
    MINUTES_PUBLISHED = "minutes_published"


# For messages; the same words as the pages' labels (templates/assembly/_labels.html).
FORM_LABELS = {Form.PRESENCE: _l("In person"), Form.VIRTUAL: _l("Virtual"), Form.HYBRID: _l("Hybrid"),
               Form.STAGGERED: _l("Gestreckt (discussion, then voting)")}
STATE_LABELS = {State.DRAFT: _l("Draft"), State.CONVENED: _l("Convened"), State.DISCUSSION: _l("Discussion"),
                State.VOTING_OPEN: _l("Voting open"), State.CLOSED: _l("Voting closed"),
                State.MINUTES_PUBLISHED: _l("Minutes published")}

TRANSITIONS: dict[State, frozenset[State]] = {
    State.DRAFT: frozenset({State.CONVENED}),
    State.CONVENED: frozenset({State.DISCUSSION, State.VOTING_OPEN}),
    State.DISCUSSION: frozenset({State.VOTING_OPEN}),
    State.VOTING_OPEN: frozenset({State.CLOSED}),
    State.CLOSED: frozenset({State.MINUTES_PUBLISHED}),
    State.MINUTES_PUBLISHED: frozenset(),
}


def check_transition(current: State, target: State, form: Form) -> None:
    """Only the edges of the state machine; a gestreckt assembly has its discussion phase first."""
    if target not in TRANSITIONS[current]:
        raise RuleViolation("state", _l("an assembly that is %(current)s cannot become %(target)s",
                                        current=STATE_LABELS[current], target=STATE_LABELS[target]))
    if form is Form.STAGGERED and current is State.CONVENED and target is State.VOTING_OPEN:
        raise RuleViolation("state", _l("a gestreckt assembly votes only after its discussion phase (§43b GenG)"))


def check_form(form: Form, params: StatuteParams) -> None:
    """§43b Abs. 1 GenG: anything but an assembly in person needs a basis in the Satzung."""
    allowed = {Form.PRESENCE: True, Form.VIRTUAL: params.assembly_virtual_allowed,
               Form.HYBRID: params.assembly_hybrid_allowed, Form.STAGGERED: params.assembly_staggered_allowed}
    if not allowed[form]:
        raise RuleViolation("form", _l("the statute does not allow a %(form)s assembly (§43b GenG)",
                                       form=FORM_LABELS[form]))


@dataclass(frozen=True)
class Schedule:
    """When the assembly meets. ``held_on`` is the day the deadlines count back from (§46): for a
    gestreckt assembly the start of its discussion phase. Voting dates bound the voting window."""

    form: Form
    held_on: date
    place: str | None = None
    link: str | None = None
    voting_from: date | None = None
    voting_until: date | None = None


def check_schedule(schedule: Schedule) -> None:
    if schedule.form in (Form.PRESENCE, Form.HYBRID) and not (schedule.place or "").strip():
        raise RuleViolation("place", _l("an assembly in person or hybrid needs a place"))
    if schedule.form in (Form.VIRTUAL, Form.HYBRID, Form.STAGGERED) and not (schedule.link or "").strip():
        raise RuleViolation("link", _l("a virtual, hybrid or gestreckt assembly needs a link"))
    if schedule.form is Form.STAGGERED and (schedule.voting_from is None or schedule.voting_until is None):
        raise RuleViolation("voting_from", _l("a gestreckt assembly needs the dates of its voting phase"))
    if schedule.voting_from is not None and schedule.voting_from < schedule.held_on:
        raise RuleViolation("voting_from", _l("voting cannot begin before the assembly"))
    if schedule.form is Form.STAGGERED and schedule.voting_from == schedule.held_on:
        raise RuleViolation("voting_from", _l("the voting phase of a gestreckt assembly follows its discussion "
                                              "phase (§43b GenG)"))
    if (schedule.voting_from and schedule.voting_until and schedule.voting_until < schedule.voting_from):
        raise RuleViolation("voting_until", _l("the voting phase ends before it begins"))


def check_voting_window(state: State, day: date, voting_from: date | None, voting_until: date | None) -> None:
    """A vote counts only while voting is open and, where dates are set, within them."""
    if state is not State.VOTING_OPEN:
        raise RuleViolation("assembly_id", _l("voting is not open (the assembly is %(state)s)",
                                              state=STATE_LABELS[state]))
    if voting_from is not None and day < voting_from:
        raise RuleViolation("assembly_id", _l("voting opens on %(date)s", date=voting_from.isoformat()))
    if voting_until is not None and day > voting_until:
        raise RuleViolation("assembly_id", _l("voting ended on %(date)s", date=voting_until.isoformat()))


# --- Convening (§46) and agenda requests (§45) ---------------------------------------------------


@dataclass(frozen=True)
class ConveningCheck:
    latest_convening: date
    latest_agenda: date
    warnings: tuple[str, ...]


def check_convening(held_on: date, convened_on: date, params: StatuteParams) -> ConveningCheck:
    """§46 Abs. 1, 2 GenG with the Satzung's delivery days: the latest day to send the invitation
    and the agenda; a warning (not a refusal: the board decides) when the date is too close."""
    if convened_on > held_on:
        raise RuleViolation("convened_on", _l("cannot convene after the assembly date"))
    latest, agenda = convening_deadline(held_on, params), agenda_deadline(held_on, params)
    warnings = []
    if convened_on > latest:
        warnings.append(str(_l("the invitation is late: it had to go out by %(date)s (§46 Abs. 1 GenG: "
                               "%(days)s days, plus %(delivery)s for delivery)", date=latest.isoformat(),
                               days=params.convening_days_before, delivery=params.convening_delivery_days)))
    return ConveningCheck(latest, agenda, tuple(warnings))


def item_resolvable(announced_on: date, held_on: date, params: StatuteParams) -> bool:
    """§46 Abs. 2 GenG: only items announced by the agenda deadline can be resolved on."""
    return announced_on <= agenda_deadline(held_on, params)


def supporters_needed(members_entitled: int, params: StatuteParams) -> int:
    """§45 Abs. 1, 2 GenG: a tenth (or the Satzung's fewer) of the members, rounded up."""
    return max(1, -(-members_entitled * params.agenda_request_permille // 1000))


def check_agenda_request(supporters: int, members_entitled: int, received_on: date, held_on: date,
                         params: StatuteParams) -> None:
    """Members' demand for an agenda item (§45 Abs. 2): enough supporters, and in time for the
    board to announce it by the agenda deadline (§46 Abs. 2)."""
    needed = supporters_needed(members_entitled, params)
    if supporters < needed:
        raise RuleViolation("supporters", _l("%(needed)s members must support the request (§45 GenG); it has "
                                             "%(supporters)s", needed=needed, supporters=supporters))
    deadline = agenda_deadline(held_on, params)
    if received_on > deadline:
        raise RuleViolation("received_on", _l("received after %(date)s: too late to be announced (§46 Abs. 2 GenG)",
                                              date=deadline.isoformat()))


# --- Members' demands for an agenda item, filed in the app (§45 GenG) -----------------------------


def demand_deadline(held_on: date, params: StatuteParams) -> date:
    """The last day members can file or support a demand for an agenda item: the board must be
    able to announce it by the agenda deadline (§45 Abs. 2 with §46 Abs. 2 GenG)."""
    return agenda_deadline(held_on, params)


def check_demand_open(today: date, held_on: date, params: StatuteParams, field: str = "agenda_deadline") -> None:
    """Filing, supporting and withdrawing support end with the deadline (the day itself counts)."""
    deadline = demand_deadline(held_on, params)
    if today > deadline:
        raise RuleViolation(field, _l("demands for agenda items of this assembly closed on %(date)s: later ones "
                                      "cannot be announced in time (§45 Abs. 2, §46 Abs. 2 GenG)",
                                      date=deadline.isoformat()))


def demand_reached(supporters: int, members_entitled: int, params: StatuteParams) -> bool:
    """§45 Abs. 1, 2 GenG: supported by the tenth (or the Satzung's fewer) of the members entitled
    on the convening date; the board must then put the item on the agenda."""
    return supporters >= supporters_needed(members_entitled, params)


# --- Resolution types and votes per member ------------------------------------------------------


class ResolutionType(StrEnum):
    SIMPLE = "simple"  # §43 Abs. 2: majority of the votes cast
    STATUTE_CHANGE = "statute_change"  # §16 Abs. 2: at least 3/4
    NINE_TENTHS = "nine_tenths"  # §16 Abs. 3: 9/10 [verify]
    DISSOLUTION = "dissolution"  # §78 Abs. 1: at least 3/4
    ELECTION = "election"  # seats, several candidates


# Types that the law itself requires at least 3/4 for: Mehrstimmrechte do not count there
# (§43 Abs. 3 S. 3 GenG [verify]), and investing members must not block them (§8 Abs. 2).
QUALIFIED = frozenset({ResolutionType.STATUTE_CHANGE, ResolutionType.NINE_TENTHS, ResolutionType.DISSOLUTION})


class Choice(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


def votes_for(shares: int, params: StatuteParams) -> int:
    """§43 Abs. 3 GenG: one vote; Mehrstimmrechte only as the Satzung grants them (at most 3)."""
    if params.multiple_votes_shares_per_vote is None:
        return 1
    return max(1, min(params.multiple_votes_max, shares // params.multiple_votes_shares_per_vote))


def ballot_units(votes: int, resolution_type: ResolutionType) -> int:
    """How many votes a member casts on one item: a single one where the law requires 3/4 or more."""
    return 1 if resolution_type in QUALIFIED else votes


def required_majority(resolution_type: ResolutionType, params: StatuteParams) -> Fraction:
    """Share of the votes cast (yes + no) that "yes" needs; SIMPLE needs more than it."""
    match resolution_type:
        case ResolutionType.SIMPLE | ResolutionType.ELECTION:
            return Fraction(1, 2)
        case ResolutionType.STATUTE_CHANGE:
            return Fraction(params.majority_permille_statute_change, 1000)
        case ResolutionType.NINE_TENTHS:
            return Fraction(9, 10)
        case ResolutionType.DISSOLUTION:
            return Fraction(params.majority_permille_dissolution, 1000)


def quorum_permille(resolution_type: ResolutionType, params: StatuteParams) -> int:
    if resolution_type in (ResolutionType.STATUTE_CHANGE, ResolutionType.NINE_TENTHS):
        return params.quorum_permille_statute_change
    if resolution_type is ResolutionType.DISSOLUTION:
        return params.quorum_permille_dissolution
    return params.quorum_permille


def quorum_met(participants: int, entitled: int, permille: int) -> bool:
    """Members taking part (also abstaining) per 1000 members on the roll; 0: no quorum."""
    return participants * 1000 >= permille * entitled


def investing_cap(resolution_type: ResolutionType, params: StatuteParams) -> Fraction:
    """The largest share of the counted votes investing members may have (§8 Abs. 2 GenG): the
    Satzung's cap, and never enough to block a qualified majority."""
    cap = Fraction(params.investing_votes_max_permille, 1000)
    if resolution_type in QUALIFIED:
        cap = min(cap, 1 - required_majority(resolution_type, params))
    return cap


def investing_factor(investing_cast: int, others_cast: int, cap: Fraction) -> Fraction:
    """The weight of each investing vote so that they are at most ``cap`` of the votes counted:
    I·f ≤ cap·(O + I·f), i.e. I·f ≤ cap/(1−cap)·O."""
    if investing_cast == 0:
        return Fraction(1)
    if cap >= 1:
        return Fraction(1)
    limit = cap / (1 - cap) * others_cast
    return min(Fraction(1), limit / investing_cast)


# --- The voter roll -----------------------------------------------------------------------------


class Capacity(StrEnum):
    """Who casts a member's votes."""

    SELF = "self"  # a natural person with their own login
    REPRESENTATIVE = "representative"  # an organisation through an appointed representative
    HEIRS = "heirs"  # §77 Abs. 1 S. 3: the heirs through their joint representative
    PROXY = "proxy"  # §43 Abs. 5: another member, authorised in text form


@dataclass(frozen=True)
class MemberFacts:
    """What the register says about one membership as of the roll's date."""

    membership_id: int
    member_no: int
    party_kind: PartyKind
    investing: bool
    admitted_on: date
    exit_on: date | None
    shares: int
    rights_lost_on: date | None = None  # §68: dispatch of the exclusion letter
    died_on: date | None = None  # §77
    own_logins: tuple[str, ...] = ()
    representative_logins: tuple[str, ...] = ()  # appointments running on the date
    heirs_logins: tuple[str, ...] = ()  # the heirs' joint representative, if named


@dataclass(frozen=True)
class RollEntry:
    membership_id: int
    member_no: int
    votes: int
    investing: bool
    capacity: Capacity
    logins: tuple[str, ...]  # who may cast (empty: only in the room, through the board)


@dataclass(frozen=True)
class NotOnRoll:
    membership_id: int
    member_no: int
    reason: str


@dataclass(frozen=True)
class Roll:
    entries: tuple[RollEntry, ...]
    left_out: tuple[NotOnRoll, ...] = field(default=())

    @property
    def total_votes(self) -> int:
        return sum(e.votes for e in self.entries)


def is_member_on(facts: MemberFacts, day: date) -> bool:
    """A member on ``day``: admitted, and the exit (if any) not before it (the exit day still counts,
    as for the §30 list)."""
    return facts.admitted_on <= day and (facts.exit_on is None or day <= facts.exit_on)


def derive_roll(members: Iterable[MemberFacts], on: date, params: StatuteParams) -> Roll:
    """Who votes on ``on`` and with how many votes, from the register's facts as of that date."""
    entries: list[RollEntry] = []
    left_out: list[NotOnRoll] = []
    for f in sorted(members, key=lambda m: m.member_no):
        if not is_member_on(f, on):
            continue
        if f.rights_lost_on is not None and f.rights_lost_on <= on:
            left_out.append(NotOnRoll(f.membership_id, f.member_no, "excluded (§68 GenG)"))
            continue
        if f.investing and not params.investing_members_vote:
            left_out.append(NotOnRoll(f.membership_id, f.member_no, "investing member without vote (§8 Abs. 2)"))
            continue
        if f.died_on is not None and f.died_on <= on:
            capacity, logins = Capacity.HEIRS, f.heirs_logins
        elif f.party_kind is PartyKind.NATURAL:
            capacity, logins = Capacity.SELF, f.own_logins
        else:
            capacity, logins = Capacity.REPRESENTATIVE, f.representative_logins
        entries.append(RollEntry(f.membership_id, f.member_no, votes_for(f.shares, params), f.investing,
                                 capacity, tuple(sorted(set(logins)))))
    return Roll(tuple(entries), tuple(left_out))


# --- Proxies (§43 Abs. 5) -----------------------------------------------------------------------


def check_proxy(principal_id: int, proxy_id: int, entitled: set[int], principals_of_proxy: int,
                principal_has_proxy: bool, textform_reference: str | None, params: StatuteParams) -> None:
    """A member authorises another member in text form; a proxy acts for at most
    ``max_members_per_proxy`` members; a member has one proxy at a time."""
    if not (textform_reference or "").strip():
        raise RuleViolation("textform_reference", _l("a proxy needs the authorisation in text form (§43 Abs. 5 "
                                                     "GenG): name the document"))
    if principal_id == proxy_id:
        raise RuleViolation("proxy_membership_id", _l("a member cannot be their own proxy"))
    if principal_id not in entitled:
        raise RuleViolation("principal_membership_id", _l("not entitled to vote in this assembly"))
    if proxy_id not in entitled:
        raise RuleViolation("proxy_membership_id", _l("a proxy must be a member entitled to vote"))
    if principal_has_proxy:
        raise RuleViolation("principal_membership_id", _l("this member has a proxy already; revoke it first"))
    if principals_of_proxy >= params.max_members_per_proxy:
        raise RuleViolation("proxy_membership_id", _l("a proxy may act for at most %(most)s members (§43 Abs. 5 "
                                                      "GenG)", most=params.max_members_per_proxy))


# --- Counting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """Votes on one yes/no item, investing members' votes apart (§8 Abs. 2)."""

    yes: int = 0
    no: int = 0
    abstain: int = 0
    investing_yes: int = 0
    investing_no: int = 0
    investing_abstain: int = 0

    def __add__(self, other: Count) -> Count:
        return Count(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def _values(self) -> tuple[int, ...]:
        return (self.yes, self.no, self.abstain, self.investing_yes, self.investing_no, self.investing_abstain)


@dataclass(frozen=True)
class Decision:
    yes: Fraction  # counted, investing votes weighted
    no: Fraction
    abstain: int  # not counted (§43 Abs. 2: majority of the votes cast)
    required: Fraction
    strictly_more: bool  # SIMPLE: more than half; qualified: at least the share
    quorum_permille: int
    quorum_met: bool
    passed: bool
    investing_factor: Fraction


def decide(resolution_type: ResolutionType, count: Count, params: StatuteParams, *, participants: int,
           entitled: int) -> Decision:
    """The result of a yes/no item: votes, the majority needed, the quorum, passed or not."""
    if resolution_type is ResolutionType.ELECTION:
        raise RuleViolation("resolution_type", _l("an election is counted with elect()"))
    if min(count._values()) < 0 or participants < 0 or entitled < 0:
        raise RuleViolation("count", _l("counts cannot be negative"))
    factor = investing_factor(count.investing_yes + count.investing_no, count.yes + count.no,
                              investing_cap(resolution_type, params))
    yes = count.yes + factor * count.investing_yes
    no = count.no + factor * count.investing_no
    required = required_majority(resolution_type, params)
    strictly = resolution_type is ResolutionType.SIMPLE
    cast = yes + no
    majority = cast > 0 and (yes > required * cast if strictly else yes >= required * cast)
    permille = quorum_permille(resolution_type, params)
    met = quorum_met(participants, entitled, permille)
    return Decision(yes, no, count.abstain + count.investing_abstain, required, strictly, permille, met,
                    majority and met, factor)


@dataclass(frozen=True)
class ElectionResult:
    votes: tuple[Fraction, ...]  # per candidate, investing votes weighted
    abstain: int
    elected: tuple[int, ...]  # candidate indexes
    tie: tuple[int, ...]  # candidates tied for the last seat(s): the Satzung decides (runoff, lot)
    quorum_met: bool


def check_election_choice(candidates: Sequence[int], number_of_candidates: int, seats: int) -> None:
    """A ballot names at most ``seats`` different candidates; none is an abstention."""
    if len(set(candidates)) != len(candidates):
        raise RuleViolation("choice", _l("a candidate can be named once"))
    if len(candidates) > seats:
        raise RuleViolation("choice", _l("at most %(seats)s candidate(s)", seats=seats))
    if any(not 0 <= c < number_of_candidates for c in candidates):
        raise RuleViolation("choice", _l("no such candidate"))


def elect(seats: int, votes: Sequence[int], investing_votes: Sequence[int], ballots: int, investing_ballots: int,
          abstain: int, params: StatuteParams, *, participants: int, entitled: int) -> ElectionResult:
    """Block vote, relative majority [verify against the Satzung]: the ``seats`` candidates with
    the most votes (at least one); a tie at the last seat elects none of the tied."""
    if seats < 1 or len(votes) != len(investing_votes):
        raise RuleViolation("seats", _l("an election needs at least one seat"))
    factor = investing_factor(investing_ballots, ballots, investing_cap(ResolutionType.ELECTION, params))
    counted = tuple(v + factor * i for v, i in zip(votes, investing_votes, strict=True))
    ranked = sorted(range(len(counted)), key=lambda c: -counted[c])
    elected: list[int] = []
    tie: list[int] = []
    if len(ranked) > seats and counted[ranked[seats - 1]] == counted[ranked[seats]]:
        cut = counted[ranked[seats - 1]]
        elected = [c for c in ranked if counted[c] > cut]
        tie = [c for c in ranked if counted[c] == cut]
    else:
        elected = ranked[:seats]
    elected = [c for c in elected if counted[c] > 0]
    tie = [c for c in tie if counted[c] > 0]
    met = quorum_met(participants, entitled, quorum_permille(ResolutionType.ELECTION, params))
    return ElectionResult(counted, abstain, tuple(sorted(elected)) if met else (), tuple(sorted(tie)), met)
