# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""HTML attributes from a mapping, for the form macros: ``{{ {"min": 1} | html_attrs }}``."""
from __future__ import annotations

import re
from collections.abc import Mapping

from markupsafe import Markup

# Plain attribute names only; event handlers and style="" would break the strict CSP anyway.
_NAME = re.compile(r"[a-z][a-z0-9-]*\Z")


def html_attrs(attrs: Mapping[str, object] | None) -> Markup:
    """``name="value"`` pairs, values escaped; True renders the bare name, None and False nothing.

    Raises ValueError for a name that is not a plain attribute name, an event handler or style."""
    parts: list[Markup] = []
    for name, value in (attrs or {}).items():
        if not _NAME.match(name) or name.startswith("on") or name == "style":
            raise ValueError(f"not an allowed attribute name: {name!r}")
        if value is None or value is False:
            continue
        parts.append(Markup(name) if value is True else Markup('{}="{}"').format(Markup(name), value))
    return Markup(" ").join(parts)
