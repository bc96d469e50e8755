# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Logging that cannot leak credentials: secrets and auth/cookie header values are redacted.

nc_coop never logs headers on purpose; this filter is the second line, for a library or a
future log call that would.
"""
from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

REDACTED = "[redacted]"
_HEADER_VALUES = re.compile(
    r"(?i)\b(authorization-app-api|authorization|cookie|set-cookie|harp-shared-key)(['\"]?\s*[:=]\s*['\"]?)"
    r"([^'\"\n,}]+)"
)


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _HEADER_VALUES.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        clean = self.redact(message)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


def install_redaction(handler: logging.Handler, secrets: Iterable[str]) -> None:
    handler.addFilter(RedactingFilter(secrets))


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    """One stderr handler on the root logger, redacting, for the server process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    install_redaction(handler, secrets)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
