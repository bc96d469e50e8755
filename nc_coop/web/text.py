# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Names and addresses without invisible control characters, and stored text made safe to print.

A control character (C0, DEL, C1) or a bidi override in a name can forge a log line, move the
cursor or recolour a terminal, or show "Anna" on screen while the register holds something else
(U+202E reverses the text after it). Names and addresses refuse them at input (``NAME``,
``ADDRESS``: the one validator every such schema field uses); text already stored or from
elsewhere is escaped, not dropped, where it reaches a terminal or a log (``printable``).
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from typing import Any


# C0 controls, DEL and C1 controls; U+2028/U+2029 are line breaks most tools do not expect.
_CONTROL = "\x00-\x1f\x7f-\x9f\u2028\u2029"
# Bidi embeddings/overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
_BIDI = "\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_CONTROL}{_BIDI}]")
_BIDI_CHAR = re.compile(f"[{_BIDI}]")
_LINE_BREAKS = frozenset("\r\n")


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


class PlainText:
    """A marshmallow validator: refuses control characters and bidi controls; ``multiline`` lets
    CR and LF through. (Imports inside: the CLI imports this module and must start fast.)"""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __repr__(self) -> str:
        return f"PlainText(multiline={self.multiline})"

    def __call__(self, value: Any) -> Any:
        from flask_babel import lazy_gettext as _l  # noqa: PLC0415
        from marshmallow import ValidationError  # noqa: PLC0415

        if not isinstance(value, str):
            return value
        for match in _UNSAFE.finditer(value):
            char = match.group()
            if self.multiline and char in _LINE_BREAKS:
                continue
            if _BIDI_CHAR.match(char):
                raise ValidationError(str(_l("Contains an invisible text-direction character (%(code)s); "
                                             "please type the text again without it.", code=_codepoint(char))))
            if char in _LINE_BREAKS:
                raise ValidationError(str(_l("Must be a single line.")))
            raise ValidationError(str(_l("Contains an invisible control character (%(code)s); "
                                         "please type the text again without it.", code=_codepoint(char))))
        return value


NAME = PlainText()                    # names, register court and number: one line
ADDRESS = PlainText(multiline=True)   # postal addresses: several lines


def unsafe_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The code points ``PlainText`` would refuse, e.g. ["U+202E"] (for tests and reports)."""
    return [_codepoint(c) for c in _UNSAFE.findall(text) if not (multiline and c in _LINE_BREAKS)]


def _escape(char: str) -> str:
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or (
        f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def printable(text: object, *, keep_line_breaks: bool = False) -> str:
    """``text`` with every control and bidi character written as an escape (\\n, \\x1b, \\u202e):
    safe for one log line or a terminal, and nothing is lost. Backslashes are left alone."""
    value = str(text)
    if keep_line_breaks:
        return _UNSAFE.sub(lambda m: m.group() if m.group() in _LINE_BREAKS else _escape(m.group()), value)
    return _UNSAFE.sub(lambda m: _escape(m.group()), value)


def printable_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """UTF-8 chunks (a CSV export) made safe for a terminal; line breaks are kept, a character
    split across two chunks is decoded whole."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for chunk in chunks:
        text = decoder.decode(chunk)
        if text:
            yield printable(text, keep_line_breaks=True).encode("utf-8")
    rest = decoder.decode(b"", final=True)
    if rest:
        yield printable(rest, keep_line_breaks=True).encode("utf-8")
