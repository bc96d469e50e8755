# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The pure rules: §48(3) deadline, who sees what, paths inside the folder, statute versions, settings."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from nc_coop.config import ConfigError
from nc_coop.dates import local_day
from nc_coop.documents.rules import (
    DeadlineState,
    MemberWindow,
    RuleViolation,
    annual_documents_deadline,
    check_statute_dates,
    deadline_state,
    needs_warning,
    normalise_folder,
    normalise_relative_path,
    split_statutes,
    visible_to_member,
)
from nc_coop.documents.settings import load_documents_settings

ASSEMBLY = date(2026, 6, 20)


def test_the_deadline_is_one_week_before_the_assembly() -> None:
    assert annual_documents_deadline(ASSEMBLY) == date(2026, 6, 13)  # DOMAIN.md §1.2


@pytest.mark.parametrize(("days_before", "state"), [
    (30, DeadlineState.ON_TIME), (8, DeadlineState.ON_TIME), (7, DeadlineState.ON_TIME),
    (6, DeadlineState.LATE), (1, DeadlineState.LATE), (0, DeadlineState.LATE)])
def test_published_six_days_before_is_late_seven_is_on_time(days_before: int, state: DeadlineState) -> None:
    published = ASSEMBLY - timedelta(days=days_before)
    assert deadline_state(ASSEMBLY, published, today=ASSEMBLY) is state
    assert needs_warning(state) is (days_before < 7)


@pytest.mark.parametrize(("today", "state"), [
    (date(2026, 6, 1), DeadlineState.DUE), (date(2026, 6, 13), DeadlineState.DUE),
    (date(2026, 6, 14), DeadlineState.MISSED)])
def test_unpublished_documents_are_due_until_the_deadline_then_missed(today: date, state: DeadlineState) -> None:
    assert deadline_state(ASSEMBLY, None, today) is state


def test_publication_days_are_counted_in_the_cooperatives_time_zone() -> None:
    # 22:30 UTC on 12 June is already 13 June in Berlin (summer time): on time for 20 June.
    berlin = ZoneInfo("Europe/Berlin")
    assert local_day(datetime(2026, 6, 12, 22, 30, tzinfo=UTC), berlin) == date(2026, 6, 13)
    assert local_day(datetime(2026, 6, 12, 21, 30), berlin) == date(2026, 6, 12)  # naive = UTC (SQLite)
    assert local_day(datetime(2026, 6, 12, 22, 30, tzinfo=UTC), ZoneInfo("America/New_York")) == date(2026, 6, 12)


CURRENT = MemberWindow(date(2024, 1, 10), None)
FORMER = MemberWindow(date(2019, 8, 1), date(2022, 12, 31))
TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(("windows", "published", "audience", "withdrawn", "visible"), [
    ([CURRENT], date(2026, 1, 1), "members", False, True),
    ([CURRENT], date(2019, 1, 1), "members", False, True),  # from before admission: the statutes in force
    ([CURRENT], date(2026, 1, 1), "board", False, False),
    ([CURRENT], date(2026, 1, 1), "members", True, False),
    ([FORMER], date(2022, 12, 31), "members", False, True),  # published on the last day of membership
    ([FORMER], date(2023, 1, 1), "members", False, False),  # published after the exit
    ([FORMER, CURRENT], date(2025, 1, 1), "members", False, True),  # a member again
    ([], date(2026, 1, 1), "members", False, False),
    ([MemberWindow(date(2027, 1, 1), None)], date(2026, 1, 1), "members", False, False),  # not admitted yet
])
def test_who_sees_a_document(windows: list[MemberWindow], published: date, audience: str, withdrawn: bool,
                             visible: bool) -> None:
    assert visible_to_member(audience, published, withdrawn, windows, TODAY) is visible


@pytest.mark.parametrize("path", [
    "../x.pdf", "..", ".", "a/../b.pdf", "a/./b.pdf", "a//b.pdf", "/etc/passwd", "/Governance/x.pdf",
    "..%2F..%2Falice/x", "%2e%2e/x", "%252e%252e%252fx", "a%5c..%5cb", "a\\..\\b", "a\x00b", "x\n.pdf", "", "  ",
])
def test_paths_that_could_leave_the_folder_are_refused(path: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        normalise_relative_path(path)
    assert refused.value.field == "path"


@pytest.mark.parametrize(("path", "normalised"), [
    ("Satzung 2025.pdf", "Satzung 2025.pdf"), ("2025/Jahresabschluss.pdf", "2025/Jahresabschluss.pdf"),
    ("GV/2026/", "GV/2026"), ("..Notiz.pdf", "..Notiz.pdf"), ("50%25 Quote.pdf", "50%25 Quote.pdf")])
def test_paths_inside_the_folder_are_kept(path: str, normalised: str) -> None:
    assert normalise_relative_path(path) == normalised


def test_the_folder_setting_is_absolute_and_safe() -> None:
    assert normalise_folder("/Governance/") == "/Governance"
    assert normalise_folder("/") == ""
    for bad in ("Governance", "/Gov/../alice", "/a//b"):
        with pytest.raises(ValueError):
            normalise_folder(bad)


@dataclass(frozen=True)
class Statute:
    id: int
    valid_from: date | None


def test_the_statutes_in_force_come_first_then_older_then_adopted_not_yet_in_force() -> None:
    v1, v2, v3 = Statute(1, date(2019, 7, 1)), Statute(2, date(2023, 3, 1)), Statute(3, date(2027, 1, 1))
    assert split_statutes([v1, v3, v2], date(2026, 11, 26)) == (v2, [v1], [v3])
    assert split_statutes([v3], date(2026, 11, 26)) == (None, [], [v3])


def test_a_statute_version_is_in_force_from_registration_not_before_adoption() -> None:
    check_statute_dates(date(2025, 5, 20), date(2025, 7, 1))
    for adopted, valid, field in ((None, date(2025, 7, 1), "adopted_on"), (date(2025, 5, 20), None, "valid_from"),
                                  (date(2025, 5, 20), date(2025, 5, 19), "valid_from")):
        with pytest.raises(RuleViolation) as refused:
            check_statute_dates(adopted, valid)
        assert refused.value.field == field


def test_settings_need_both_variables_and_name_the_wrong_one() -> None:
    assert load_documents_settings({}) is None
    loaded = load_documents_settings({"NC_COOP_DOCUMENTS_FOLDER": "/Governance/", "NC_COOP_DOCUMENTS_USER": "office"})
    assert loaded is not None and (loaded.folder, loaded.user) == ("/Governance", "office")
    for environ, name in (({"NC_COOP_DOCUMENTS_FOLDER": "/Governance"}, "NC_COOP_DOCUMENTS_USER"),
                          ({"NC_COOP_DOCUMENTS_USER": "office"}, "NC_COOP_DOCUMENTS_FOLDER"),
                          ({"NC_COOP_DOCUMENTS_FOLDER": "Governance", "NC_COOP_DOCUMENTS_USER": "office"},
                           "NC_COOP_DOCUMENTS_FOLDER"),
                          ({"NC_COOP_DOCUMENTS_FOLDER": "/a/../b", "NC_COOP_DOCUMENTS_USER": "office"},
                           "NC_COOP_DOCUMENTS_FOLDER"),
                          ({"NC_COOP_DOCUMENTS_FOLDER": "/Governance", "NC_COOP_DOCUMENTS_USER": "a/b"},
                           "NC_COOP_DOCUMENTS_USER")):
        with pytest.raises(ConfigError) as error:
            load_documents_settings(environ)
        assert error.value.name == name and "\n" not in str(error.value)
