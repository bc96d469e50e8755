# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""No 500 anywhere in the HTML forms: hypothesis posts random field values, with a valid CSRF
token, to every POST route of the URL map that is not the JSON API, on a seeded register, and
none may get a server error.

The field names are those the app's schemas and forms read (so values reach the validation and
the rules behind it): mostly those of the form the route's page shows (read from the page), and
some of any schema; the values are random text, numbers, days in odd spellings and the values
the page's own fields and options offer.
"""
from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from nc_coop.appapi.guard import SYSTEM_ENDPOINTS, UNAUTHENTICATED_ENDPOINTS
from nc_coop.web.schema import Schema
from tests.conftest import get_db_engine
from tests.security.seed import SEEDED_IDS, headers, seed

EXAMPLES = 25  # per route: 25 routes x 25 = 625 posts, about 15 s

# What the forms send beside the schemas' fields (see the templates and the views' form readers).
FORM_ONLY_FIELDS = ["amount", "step", "confirm", "end", "full", "dry_run", "ack_statute", "ack_payment",
                    "ack_nachschuss", "ack_entrance_fee", "ack_notice_period", "quota", "filter", "bogus"]
WORDS = ["approve", "reject", "all", "partial", "natural", "association", "deposit", "payout", "notice", "transfer",
         "reversal", "exclusion", "death", "subscribe", "capital", "shares", "user", "organisation", "regular",
         "investing", "1", "on", "yes", "true", "chair", "other", "statutes", "annual_accounts", "admin", "5 GB"]
ODD_DAYS = ["2025-01-01", "20250101", "2025-W01-1", "9999-12-31", "0001-01-01", "1899-12-31", "2999-12-31",
            "31.12.2024", "2024-02-30", "2025-1-1", "１２３４-01-01"]
ODD_NUMBERS = ["0", "-1", "1.5", "1,5", " 3 ", "1e3", "9223372036854775808", "99999999999999999999999", "NaN",
               "1.234,56", "٣"]


def schema_fields() -> list[str]:
    """The fields of every schema in the app (create_app has imported them all)."""
    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    return sorted({name for cls in subclasses(Schema) for name in cls._declared_fields})


def form_routes(app: Flask) -> list[Any]:
    exempt = SYSTEM_ENDPOINTS | UNAUTHENTICATED_ENDPOINTS
    return [rule for rule in app.url_map.iter_rules()
            if "POST" in (rule.methods or set()) and not rule.rule.startswith("/api/") and rule.endpoint not in exempt]


def values() -> st.SearchStrategy[str]:
    text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)
    return st.one_of(text, st.sampled_from(WORDS + ODD_DAYS + ODD_NUMBERS), st.integers().map(str),
                     st.dates().map(lambda d: d.isoformat()))


def days() -> st.SearchStrategy[str]:
    """A day field's values: any day from 0001 to 9999, often near either end (where periods added
    to a day overflow), in odd spellings, or anything."""
    edges = st.one_of(st.dates(max_value=date(1, 12, 31)), st.dates(min_value=date(9990, 1, 1)))
    return st.one_of(st.dates().map(date.isoformat), edges.map(date.isoformat), st.sampled_from(ODD_DAYS),
                     values())


def is_day(name: str) -> bool:
    return name in ("date", "since", "until", "deadline") or name.endswith(("_on", "_date", "_due"))


@st.composite
def forms(draw: st.DrawFn, fields: dict[str, set[str]], names: list[str]) -> dict[str, str]:
    """A form: mostly the page's fields, each often with a value its page offers or of its kind."""
    shown = sorted(fields)
    keys = st.one_of(st.sampled_from(shown), st.sampled_from(shown), st.sampled_from(names)) if shown \
        else st.sampled_from(names)
    form = {}
    for key in draw(st.lists(keys, max_size=10, unique=True)):
        offered = sorted(v for v in fields.get(key, ()) if v)
        kind = days() if is_day(key) else values()
        form[key] = draw(st.one_of(st.sampled_from(offered), kind) if offered else kind)
    return form


def test_no_random_form_post_gets_a_server_error(app: Flask, client: FlaskClient) -> None:
    seed(app, get_db_engine(app), client)
    names = schema_fields() + FORM_ONLY_FIELDS
    routes = form_routes(app)
    assert len(routes) >= 20 and all(not r.rule.startswith("/api/") for r in routes)
    failures: list[str] = []
    shown = page_forms(app, client)
    assert len(shown) >= 10, sorted(shown)  # most routes' forms are found on the pages
    for rule in routes:
        _fuzz(app, client, rule, shown.get(rule.endpoint, {}), names, failures)
    assert failures == []


class _Forms(HTMLParser):
    """The POST forms of a page: their action and the values each field offers (its options)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, set[str]]]] = []
        self._select = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            post = attributes.get("method", "get").lower() == "post"
            self.forms.append((attributes.get("action", "") if post else "\0get", {}))
            return
        if not self.forms:
            return
        fields = self.forms[-1][1]
        name = attributes.get("name", "")
        if tag == "select":
            self._select = name
        if tag == "option" and self._select:
            fields.setdefault(self._select, set()).add(attributes.get("value", ""))
        elif tag in ("input", "select", "textarea", "button") and name and name != "csrf_token":
            offered = fields.setdefault(name, set())
            if "value" in attributes:
                offered.add(attributes["value"])


def page_forms(app: Flask, client: FlaskClient) -> dict[str, dict[str, set[str]]]:
    """The fields (and the values they offer) of the forms on every page, by the endpoint they post to."""
    adapter = app.url_map.bind("localhost")
    sent = headers(app)
    sent.pop("X-CSRF-Token")
    found: dict[str, dict[str, set[str]]] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.rule.startswith("/api/"):
            continue
        page = _path(rule, SEEDED_IDS[0])
        answer = client.get(page, headers={**sent, "Accept": "text/html"})
        if answer.status_code != 200 or answer.mimetype != "text/html":
            continue
        parser = _Forms()
        parser.feed(answer.get_data(as_text=True))
        for action, fields in parser.forms:
            if not fields or action == "\0get":
                continue
            target = urlsplit(urljoin(f"http://localhost{page}", action or page)).path
            try:
                endpoint, _ = adapter.match(target, method="POST")
            except HTTPException:
                continue
            known = found.setdefault(endpoint, {})
            for name, offered in fields.items():
                known.setdefault(name, set()).update(offered)
    return found


def _fuzz(app: Flask, client: FlaskClient, rule: Any, fields: dict[str, set[str]], names: list[str],
          failures: list[str]) -> None:
    ids = st.sampled_from([*SEEDED_IDS, 0, 2**63 - 1, 2**63])

    @given(form=forms(fields, names), known=ids)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def post(form: dict[str, str], known: int) -> None:
        path = _path(rule, known)
        sent = headers(app)
        response = client.post(path, data={**form, "csrf_token": sent.pop("X-CSRF-Token")},
                               headers={**sent, "Accept": "text/html"})
        if response.status_code >= 500:
            failures.append(f"{response.status_code} POST {path} {form!r}"[:500])

    post()


def _path(rule: Any, known: int) -> str:
    path = rule.rule
    for argument in rule.arguments:
        path = path.replace(f"<int:{argument}>", str(known))
    return path
