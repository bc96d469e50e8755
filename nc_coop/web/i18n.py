# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""German and English. The language comes from Accept-Language, which Nextcloud sets per user."""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel.support import NullTranslations, Translations
from flask import Flask, has_request_context, request
from flask_babel import Babel

from nc_coop.nextcloud.errors import NextcloudError

if TYPE_CHECKING:
    from nc_coop.nextcloud import NextcloudGateway

LANGUAGES = ("en", "de")
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    if not has_request_context():
        return "en"  # the CLI and background work; force_locale picks a recipient's language
    return request.accept_languages.best_match(LANGUAGES) or "en"


def recipient_locale(gateway: NextcloudGateway, user_id: str, request_id: str | None) -> str:
    """The language ("de" or "en") of a user who is sent something outside their own request (a
    notification): the one they chose in Nextcloud, read as that user; English if Nextcloud cannot
    tell. Use it with flask_babel.force_locale around the texts sent to that user."""
    try:
        language = gateway.get_user(user_id, as_user=user_id, request_id=request_id).language
    except NextcloudError:
        return "en"
    return "de" if language.lower().startswith("de") else "en"


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue of ``locale`` outside Flask's request handling, for documents that are made
    in a given language whatever the request (PDFs, file names). English is the msgids themselves."""
    return Translations.load(str(TRANSLATIONS), [locale])


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))


def compile_catalogs() -> list[Path]:
    """Write ``messages.mo`` next to every ``messages.po`` (``nc-coop i18n compile``)."""
    from babel.messages.mofile import write_mo  # noqa: PLC0415
    from babel.messages.pofile import read_po  # noqa: PLC0415

    written = []
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as po:
            catalog = read_po(po)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as mo:
            write_mo(mo, catalog)
        written.append(mo_path)
    return written
