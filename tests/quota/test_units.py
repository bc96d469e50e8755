# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Quota sizes: what people type, what Nextcloud shows, what goes into LDAP."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nc_coop.quota.units import (
    UNLIMITED,
    QuotaInputError,
    format_quota,
    from_ldap_value,
    parse_quota,
    to_ldap_value,
)

GiB = 1024**3


@pytest.mark.parametrize(("text", "expected"), [
    ("500 MB", 500 * 1024**2),
    ("5 GB", 5 * GiB),
    ("5GB", 5 * GiB),
    ("5 gb", 5 * GiB),
    ("5 GiB", 5 * GiB),
    ("1.5 TiB", int(1.5 * 1024**4)),
    ("1,5 TB", int(1.5 * 1024**4)),  # German decimal comma
    ("0,5 GB", GiB // 2),
    ("2048", 2048),
    ("2 G", 2 * GiB),
    ("unlimited", UNLIMITED),
    (" Unbegrenzt ", UNLIMITED),
    ("none", UNLIMITED),
    ("2 GB", 2147483648),  # as Nextcloud 34 applied the LDAP value "2 GB" (recorded)
    ("500 MB", 524288000),  # and "500 MB"
])
def test_sizes_people_type(text: str, expected: int) -> None:
    assert parse_quota(text) == expected


@pytest.mark.parametrize("text", ["", "five GB", "5 GBs", "-1 GB", "1.500,5 GB", "5 XB", "1.5 B", "GB", "5 G B",
                                  "9" * 30 + " PB"])
def test_anything_else_is_refused_with_what_is_accepted(text: str) -> None:
    with pytest.raises(QuotaInputError) as refused:
        parse_quota(text)
    assert "unlimited" in str(refused.value) or "whole" in str(refused.value) or "larger" in str(refused.value)


@pytest.mark.parametrize(("value", "english", "german"), [
    (5 * GiB, "5 GB", "5 GB"),
    (524288000, "500 MB", "500 MB"),
    (int(1.5 * 1024**4), "1.5 TB", "1,5 TB"),
    (1023, "1023 B", "1023 B"),
    (20174294, "19.2 MB", "19,2 MB"),  # alice's usage in the recording, as Nextcloud shows it
    (UNLIMITED, "unlimited", "unbegrenzt"),
])
def test_sizes_as_nextcloud_shows_them(value: int, english: str, german: str) -> None:
    assert format_quota(value) == english
    assert format_quota(value, decimal_comma=True) == german


@given(st.integers(min_value=0, max_value=2**50))
def test_what_is_shown_reads_back_to_about_the_same_size(value: int) -> None:
    shown = parse_quota(format_quota(value))
    assert abs(shown - value) <= max(512, value * 0.05)  # one decimal: within 5 % (and half a KB)


def test_ldap_values_round_trip() -> None:
    assert to_ldap_value(5 * GiB) == "5368709120"
    assert from_ldap_value("5368709120") == 5 * GiB
    assert from_ldap_value("2 GB") == 2 * GiB  # values others wrote by hand
    assert to_ldap_value(UNLIMITED) == "none" and from_ldap_value("none") == UNLIMITED
    assert from_ldap_value(None) is None and from_ldap_value("garbage") is None
