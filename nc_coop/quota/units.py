# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Quota sizes as people type them and as Nextcloud shows them.

Nextcloud counts in powers of 1024 but labels them KB, MB, GB, TB (``\\OCP\\Util::computerFileSize``
and ``humanFileSize``; recorded on Nextcloud 34: an LDAP quota "2 GB" became 2147483648 bytes,
"500 MB" 524288000). nc_coop follows it, so a quota typed here is the quota Nextcloud shows: "5 GB"
and "5 GiB" are both 5 × 1024³ bytes. A quota is a whole number of bytes, or ``UNLIMITED`` (-3,
what Nextcloud's API answers for "no limit").
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

UNLIMITED = -3  # Nextcloud's own value (provisioning API, quota "none")

_FACTORS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
            "g": 1024**3, "gb": 1024**3, "gib": 1024**3, "t": 1024**4, "tb": 1024**4, "tib": 1024**4,
            "p": 1024**5, "pb": 1024**5, "pib": 1024**5}
_UNLIMITED_WORDS = {"unlimited", "unbegrenzt", "unbeschränkt", "none", "∞"}
_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([a-zA-Z]*)\s*$")
MAX_BYTES = 2**63 - 1

ACCEPTED = 'a size like "500 MB", "5 GB", "1,5 TB" or "1.5 TiB" (B, KB, MB, GB, TB, PB; 1 GB = 1024 MB), or "unlimited"'


class QuotaInputError(ValueError):
    """The text is not a size; the message says what is accepted."""


def parse_quota(text: str) -> int:
    """Bytes for "500 MB", "5 GB", "1,5 TiB", "2048" (bytes) or "unlimited" (``UNLIMITED``).

    A German decimal comma and a dot both work; thousands separators do not, because "1.500 GB"
    would be 1.5 GB to one reader and 1500 GB to another."""
    cleaned = text.strip().lower()
    if cleaned in _UNLIMITED_WORDS:
        return UNLIMITED
    match = _SIZE.match(cleaned)
    if match is None or match.group(2) not in _FACTORS:
        raise QuotaInputError(f"{text.strip()!r} is not a size: enter {ACCEPTED}")
    number, unit = match.groups()
    try:
        value = Decimal(number.replace(",", ".")) * _FACTORS[unit]
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise QuotaInputError(f"{text.strip()!r} is not a size: enter {ACCEPTED}") from None
    if value != value.to_integral_value() and unit in ("", "b"):
        raise QuotaInputError(f"{text.strip()!r}: bytes are whole numbers")
    result = int(value)  # fractions of a byte from "1,3 KB" are cut, as Nextcloud does
    if result > MAX_BYTES:
        raise QuotaInputError(f"{text.strip()!r} is larger than any storage")
    return result


def format_quota(value: int, decimal_comma: bool = False) -> str:
    """As Nextcloud's ``humanFileSize``: "5 GB", "500 MB", "1.5 TB"; "unlimited" for -3.

    The same steps as Nextcloud: whole kilobytes, then one decimal per step up (each step
    rounds the rounded value before), and PHP's float printing (5.0 is "5")."""
    if value < 0:
        return "unbegrenzt" if decimal_comma else "unlimited"
    if value < 1024:
        return f"{value} B"
    amount: float = round(value / 1024)
    if amount < 1024:
        return f"{int(amount)} KB"
    for unit in ("MB", "GB", "TB", "PB"):
        amount = round(amount / 1024, 1)
        if amount < 1024 or unit == "PB":
            text = f"{amount:.1f}".removesuffix(".0")
            return f"{text.replace('.', ',') if decimal_comma else text} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def to_ldap_value(value: int) -> str:
    """What nc_coop writes to the quota attribute: bytes as digits (user_ldap reads them as
    bytes, recorded: "10737418240" became 10 GB), or "none" for no limit."""
    return "none" if value == UNLIMITED else str(value)


def from_ldap_value(text: str | None) -> int | None:
    """The attribute's value as bytes; None when the attribute is absent or unreadable (then
    Nextcloud's own default applies)."""
    if text is None or not text.strip():
        return None
    try:
        return parse_quota(text)
    except QuotaInputError:
        return None
