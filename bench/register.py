# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Register benchmark (issue 3 item 10): 100,000 members with about 1,000,000 ledger rows.

What it does, per database (SQLite and/or PostgreSQL):

1. Migrates an empty database (``nc_coop.migrate.upgrade``: the real schema with its
   append-only triggers and indexes).
2. Generates a realistic register, deterministically from ``--seed``: natural persons,
   associations, companies, partnerships and public bodies with German names and addresses;
   memberships numbered 1..N in admission order under statute version 1; share entries
   (subscription at admission, further shares, notices, exits by death and exclusion,
   §76 transfers, reversals) and capital entries (single payments and instalments, payouts
   after the exit, transfers, reversed double bookings) -- about ten ledger rows per member;
   notices and membership events; and Accounts that link Nextcloud user ids to parties
   (members themselves and representatives of organisations).
3. Loads it with bulk inserts straight into the migrated tables: ``executemany`` in one
   transaction on SQLite, ``COPY`` through psycopg on PostgreSQL. The booking services
   (``nc_coop.register.services``) are for correctness, not for loading a million rows: each
   booking locks, re-checks the whole ledger and writes an audit event. So there are no audit
   events for these rows. The append-only triggers fire on UPDATE/DELETE only; inserts pass.
   To show that the bulk data still obeys the ledger rules, a sample of memberships is
   re-checked with ``services.check_membership`` after loading.
4. Measures through the real app: ``create_app`` against a Nextcloud stand-in, requests through
   ``app.test_client()`` with AppAPI headers, so every figure includes AppAPI verification,
   the role lookup (cache warm), the queries and the rendering:
   - member page: ``GET /`` (HTML) and ``GET /api/v1/memberships/<id>`` as a linked member;
   - admin search: ``GET /api/v1/admin/members?q=...`` as admin with a mix of member numbers,
     family-name prefixes (3+ letters) and firm names.
5. Times the §30 member list (``exports.member_list_csv`` over all members at a reference date,
   consuming the generator) in a separate child process that does nothing else, and reports
   that child's peak RSS (VmHWM) and the number of rows.

Usage::

    .venv/bin/python bench/register.py                      # 100,000 members, both databases
    .venv/bin/python bench/register.py --db sqlite --members 10000 --samples 200

PostgreSQL: ``NC_COOP_BENCH_DATABASE_URL`` (default postgresql://postgres@127.0.0.1:5432/test);
the benchmark works in a fresh schema that is dropped at the end. The figures are printed with
PASS/FAIL against the targets; the exit status is 0 regardless (figures, not tests).
"""
from __future__ import annotations

import argparse
import base64
import json
import logging
import math
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
INFO_XML = ROOT / "appinfo" / "info.xml"
SECRET = "bench-app-secret-" + "b3nch" * 8
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"

TARGETS = {"member_page_p99_ms": 50.0, "search_p99_ms": 100.0, "export_s": 15.0, "export_rss_mb": 200.0}

# --- The statute --------------------------------------------------------------------------------------

NOMINAL = 10_000  # 100 € per share


def statute_params() -> Any:
    from nc_coop.register.statute import MandatoryShares, StatuteParams

    return StatuteParams(share_nominal_cents=NOMINAL, notice_months=24, max_shares=200,
                         investing_members_allowed=True,
                         mandatory_shares=MandatoryShares(natural=1, legal_person=3, association=2, partnership=2,
                                                          public_body=3))


STATUTE_ADOPTED, STATUTE_REGISTERED = date(1993, 11, 20), date(1994, 2, 1)
FIRST_ADMISSION = date(1994, 3, 1)

# --- Names and places ------------------------------------------------------------------------------

FAMILY = """Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter
Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Schmitz Krause
Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller
Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht
Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß Seidel Heinrich
Brandt Haas Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn Pohl Engel Horn Busch Bergmann Thomas Voigt Sauer
Arnold Wolff Pfeiffer Ernst Lindner Hübner Kramer Franz Beyer Wolter Seifert Brinkmann Haase Lorenz Kirchner
Schilling Hesse Bär Thiel Kurz Marx Ritter Kühne Gerlach Stahl Ulrich Böttcher Kopp Wendt Reuter Nowak Kowalski
Yılmaz Kaya Öztürk Şahin Demir Nguyen Popescu Russo Papadopoulos Ivanov Schneider-Lüdenscheidt Meyer-Landrut
Ostermann Überall Ahrens Rüdiger Lüttgen Dörr Häusler Fröhlich Mütze""".split()
RARE_HEAD = ("Ober Unter Neu Alt Hoch Kirch Berg Wald Stein Bach Linden Eichen Buchen Rosen Sonnen Mittel Holz Feld "
             "Brunn Mühl Schön Kessel Grün Weiden Hasel Dorn Fichten Tannen Klee Hagen Lauter Wester Oster").split()
RARE_TAIL = ("mann meier bauer huber berger hofer müller schmidt hausen brink kamp feld rath ler inger wald stätter "
             "mayr thaler bichler reuther beck dorf mair").split()
GIVEN = """Anna Maria Ursula Monika Petra Elisabeth Sabine Renate Helga Karin Brigitte Ingrid Erika Andrea Gisela
Claudia Susanne Gabriele Christa Christine Hildegard Birgit Barbara Julia Stefanie Nicole Katharina Sandra Sophie
Emma Mia Hannah Lea Lena Laura Marie Johanna Lina Ella Paula Clara Greta Jürgen Peter Michael Thomas Andreas
Wolfgang Klaus Stefan Hans Christian Uwe Werner Frank Bernd Günter Dieter Horst Manfred Markus Matthias Helmut
Martin Jörg Karl Heinz Ralf Walter Gerhard Sven Tobias Jan Lukas Leon Finn Paul Jonas Luca Felix Maximilian Noah
Elias Ben Emre Mehmet Ayşe Fatma Piotr Agnieszka Minh Olena Dimitrios Ömer""".split()
TOWNS = [("10115", "Berlin"), ("20095", "Hamburg"), ("80331", "München"), ("50667", "Köln"),
         ("60311", "Frankfurt am Main"), ("70173", "Stuttgart"), ("40213", "Düsseldorf"), ("04109", "Leipzig"),
         ("44135", "Dortmund"), ("45127", "Essen"), ("28195", "Bremen"), ("01067", "Dresden"), ("30159", "Hannover"),
         ("90402", "Nürnberg"), ("47051", "Duisburg"), ("44787", "Bochum"), ("42103", "Wuppertal"),
         ("33602", "Bielefeld"), ("53111", "Bonn"), ("48143", "Münster"), ("76133", "Karlsruhe"),
         ("68159", "Mannheim"), ("86150", "Augsburg"), ("65183", "Wiesbaden"), ("41061", "Mönchengladbach"),
         ("45879", "Gelsenkirchen"), ("38100", "Braunschweig"), ("24103", "Kiel"), ("09111", "Chemnitz"),
         ("06108", "Halle (Saale)"), ("39104", "Magdeburg"), ("79098", "Freiburg im Breisgau"), ("47798", "Krefeld"),
         ("23552", "Lübeck"), ("46045", "Oberhausen"), ("99084", "Erfurt"), ("55116", "Mainz"), ("18055", "Rostock"),
         ("34117", "Kassel"), ("58095", "Hagen"), ("66111", "Saarbrücken"), ("14467", "Potsdam"),
         ("67059", "Ludwigshafen am Rhein"), ("26122", "Oldenburg"), ("49074", "Osnabrück"), ("51373", "Leverkusen"),
         ("69117", "Heidelberg"), ("64283", "Darmstadt"), ("33098", "Paderborn"), ("93047", "Regensburg"),
         ("85049", "Ingolstadt"), ("97070", "Würzburg"), ("38440", "Wolfsburg"), ("89073", "Ulm"),
         ("74072", "Heilbronn"), ("75175", "Pforzheim"), ("37073", "Göttingen"), ("96047", "Bamberg"),
         ("17489", "Greifswald"), ("25813", "Husum"), ("83278", "Traunstein"), ("87435", "Kempten (Allgäu)"),
         ("29221", "Celle"), ("31134", "Hildesheim"), ("54290", "Trier"), ("35037", "Marburg"),
         ("72070", "Tübingen"), ("78462", "Konstanz"), ("02826", "Görlitz"), ("06844", "Dessau-Roßlau")]
def _streets() -> list[str]:
    raw = ("Hauptstraße|Schulstraße|Gartenstraße|Bahnhofstraße|Dorfstraße|Bergstraße|Birkenweg|Lindenstraße|"
           "Kirchstraße|Waldstraße|Ringstraße|Schillerstraße|Goethestraße|Wiesenweg|Mühlenweg|Am Markt|"
           "Friedhofstraße|Feldstraße|Jahnstraße|Rosenstraße|Buchenweg|Amselweg|Am Anger|Beethovenstraße|"
           "Eichendorffstraße|Mozartstraße|Poststraße|Sonnenstraße|Talstraße|Uhlandstraße|Lessingstraße|Ahornweg|"
           "Blumenstraße|Brunnenstraße|Erlenweg|Fliederweg|Parkstraße|Tulpenweg|Weiherstraße|Zum Sportplatz|"
           "Industriestraße|Gewerbering|Kastanienallee|Königsallee|Rheinstraße|Elbuferweg|Münsterplatz|"
           "Kurfürstendamm|Straße des 17. Juni|Karl-Marx-Allee|Ludwig-Erhard-Ring")
    return raw.split("|")


STREETS = _streets()
CLUBS = ["TSV", "SV", "Turnverein", "Sportfreunde", "Förderverein Kita", "Bürgerverein", "Heimatverein",
         "Kulturverein", "Energiegemeinschaft", "Gartenfreunde", "Schützenverein", "Musikverein", "Tafel",
         "Naturschutzbund Ortsgruppe", "Freiwillige Feuerwehr Förderverein", "Elterninitiative", "Nachbarschaftshilfe"]
TRADES = ["Bau", "Elektro", "Haustechnik", "Immobilien", "Solartechnik", "Holzbau", "Druckerei", "Bäckerei",
          "Steuerberatung", "IT", "Landtechnik", "Gartenbau", "Metallbau", "Logistik", "Dachdeckerei", "Software"]
MAIL_DOMAINS = ["example.org", "example.com", "example.net", "mail.example.de", "posteo.example", "web.example"]


def ascii_id(text: str) -> str:
    folded = text.lower().replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return "".join(c for c in folded if c.isalnum() or c in ".-")


# --- Generation --------------------------------------------------------------------------------------

COLUMNS = {
    "party": ("id", "kind", "legal_name", "family_name", "given_names", "postal_address", "email", "register_court",
              "register_no", "created_at"),
    "membership": ("id", "member_no", "party_id", "kind", "admitted_on", "statute_version_id", "recorded_at", "actor",
                   "basis_document"),
    "notice": ("id", "membership_id", "scope", "shares", "received_on", "statute_version_id", "effective_date",
               "settlement_due", "recorded_at", "actor", "basis_document"),
    "membership_event": ("id", "membership_id", "kind", "event_date", "effective_date", "notice_id", "reverses_id",
                         "recorded_at", "actor", "reference"),
    "share_entry": ("id", "membership_id", "kind", "delta", "effective_date", "recorded_at", "actor", "reference",
                    "basis_document", "statute_version_id", "transfer_id", "notice_id", "reverses_id"),
    "capital_entry": ("id", "membership_id", "kind", "amount_cents", "value_date", "recorded_at", "actor", "reference",
                      "basis_document", "transfer_id", "reverses_id"),
    "account": ("id", "nextcloud_user_id", "party_id", "role", "created_at"),
}
LOAD_ORDER = ("party", "membership", "notice", "membership_event", "share_entry", "capital_entry", "account")
STATUTE_ID = 1


@dataclass
class Linked:
    """A Nextcloud user linked to memberships: whom the member page is requested as."""

    user_id: str
    display_name: str
    membership_ids: list[int]


@dataclass
class Generated:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))
    listed_on_reference: int = 0
    linked: dict[str, Linked] = field(default_factory=dict)
    family_names: list[str] = field(default_factory=list)  # a sample, for search terms
    firm_names: list[str] = field(default_factory=list)
    active_ids: list[int] = field(default_factory=list)  # a sample of memberships for the consistency check


class Register:
    """Generates the register member by member; ``chunks()`` yields rows per table in batches."""

    def __init__(self, members: int, seed: int, today: date, reference: date, *, dialect: str = "sqlite") -> None:
        from nc_coop.register import rules  # noqa: PLC0415

        self.rules, self.params = rules, statute_params()
        self.n, self.today, self.reference = members, today, reference
        self.rng = random.Random(seed)
        self.out = Generated()
        self.ids = dict.fromkeys(COLUMNS, 0)
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}
        span = (today - timedelta(days=30) - FIRST_ADMISSION).days
        # More members joined recently than in the 1990s (u ** 0.6 leans towards the end).
        self.admissions = sorted(FIRST_ADMISSION + timedelta(days=int(span * self.rng.random() ** 0.6))
                                 for _ in range(members))
        self.family_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(FAMILY))]
        self.stayers: list[int] = []  # memberships without exit: receivers of §76 transfers
        self.capital: dict[int, int] = {}  # capital in cents per membership (for transfers to receivers)
        self.held: dict[int, int] = {}
        self.recent_users: list[Linked] = []  # natural persons with an account: possible representatives
        # Rows carry dates and times as text, as SQLAlchemy stores them on SQLite (naive UTC) and as
        # PostgreSQL's COPY parses them: no per-value conversion when loading.
        self.zone = "+00" if dialect == "postgresql" else ".000000"

    # --- helpers ---
    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows[table].append(row)
        self.out.counts[table] += 1

    def _at(self, day: date) -> str:
        """recorded_at: office hours on the day of the booking (UTC)."""
        seconds = 28_800 + int(self.rng.random() * 36_000)
        return f"{day.isoformat()} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{self.zone}"

    def _int(self, low: int, high: int) -> int:
        """random.randrange(low, high), several times faster."""
        return low + int(self.rng.random() * (high - low))

    def _family(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.72:
            return rng.choices(FAMILY, self.family_weights)[0]
        if roll < 0.97:
            return rng.choice(RARE_HEAD) + rng.choice(RARE_TAIL)
        return f"{rng.choice(FAMILY)}-{rng.choice(RARE_HEAD)}{rng.choice(RARE_TAIL)}"

    def _address(self) -> str:
        rng = self.rng
        plz, town = rng.choice(TOWNS)
        number = f"{rng.randrange(1, 180)}{rng.choice(['', '', '', '', 'a', 'b'])}"
        extra = rng.choice(["", "", "", "", "", "c/o Hausverwaltung, ", "Hinterhaus, ", "Whg. 12, "])
        return f"{extra}{rng.choice(STREETS)} {number}, {plz} {town}"

    def _party(self, member_no: int, admitted: date) -> tuple[int, str, str, str | None]:
        """(party id, kind, display name, family name); adds the party row."""
        rng = self.rng
        roll = rng.random()
        party_id = self._next("party")
        created = self._at(admitted - timedelta(days=rng.randrange(0, 30)))
        plz, town = rng.choice(TOWNS)
        court, reg = None, None
        if roll < 0.925:
            kind = "natural"
            family = self._family()
            given = rng.choice(GIVEN) + (f" {rng.choice(GIVEN)}" if rng.random() < 0.15 else "")
            email = (f"{ascii_id(given.split()[0])}.{ascii_id(family)}{rng.randrange(100) if rng.random() < 0.3 else ''}"
                     f"@{rng.choice(MAIL_DOMAINS)}") if rng.random() < 0.65 else None
            self._add("party", (party_id, kind, None, family, given, self._address(), email, None, None, created))
            if len(self.out.family_names) < 20_000:
                self.out.family_names.append(family)
            return party_id, kind, f"{given} {family}", family
        if roll < 0.955:
            kind, name = "association", f"{rng.choice(CLUBS)} {town} {rng.choice(['', '', '1898 ', '1920 '])}e.V."
            court, reg = f"Amtsgericht {town}", f"VR {rng.randrange(100, 9999)}"
        elif roll < 0.98:
            kind = "legal_person"
            name = rng.choice([f"{self._family()} {rng.choice(TRADES)} GmbH", f"Stadtwerke {town} GmbH",
                               f"{self._family()} & Söhne GmbH", f"{self._family()} {rng.choice(TRADES)} AG",
                               f"Wohnbau {town} eG", f"{rng.choice(TRADES)}service {self._family()} UG"])
            court, reg = f"Amtsgericht {town}", f"HRB {rng.randrange(1000, 99999)}"
        elif roll < 0.995:
            kind = "partnership"
            name = rng.choice([f"{self._family()} & {self._family()} GbR",
                               f"{self._family()} {rng.choice(TRADES)} GmbH & Co. KG",
                               f"Praxis {self._family()} & {self._family()} PartG", f"{self._family()} OHG"])
        else:
            kind = "public_body"
            name = rng.choice([f"Gemeinde {town}", f"Stadt {town}", f"Evangelische Kirchengemeinde {town}",
                               f"Katholische Pfarrei St. Marien {town}"])
        self._add("party", (party_id, kind, name, None, None, self._address(),
                            f"info@{ascii_id(town)}-{member_no}.example.org" if rng.random() < 0.5 else None,
                            court, reg, created))
        if len(self.out.firm_names) < 5_000:
            self.out.firm_names.append(name)
        return party_id, kind, name, None

    # --- one member ---
    def _member(self, member_no: int) -> None:
        rng, params, rules = self.rng, self.params, self.rules
        admitted = self.admissions[member_no - 1]
        party_id, party_kind, display, _ = self._party(member_no, admitted)
        mid = member_no  # membership id == member number (one membership per party)
        kind = "investing" if rng.random() < 0.02 else "regular"
        self._add("membership", (mid, member_no, party_id, kind, admitted.isoformat(), STATUTE_ID, self._at(admitted),
                                 rng.choice(["office", "office", "vorstand", "import:legacy"]),
                                 f"Beitrittserklärung {member_no}"))
        mandatory = params.mandatory_shares_for(_party_kind(party_kind))
        roll = rng.random()
        extra = 0 if roll < 0.55 else rng.randrange(1, 5) if roll < 0.9 else rng.randrange(5, 20)
        if party_kind != "natural":
            extra = rng.randrange(0, 20)
        # The fate: most stay; some give notice, die, are excluded or transfer everything (§76).
        fate_roll = rng.random()
        fate = ("notice" if fate_roll < 0.07 else "death" if fate_roll < 0.085 else "exclusion"
                if fate_roll < 0.088 else "transfer" if fate_roll < 0.093 else "stay")
        if fate == "death" and party_kind != "natural":
            fate = "notice"
        # The last day on which this member still books: payments and further shares end here.
        horizon = self.today
        if fate != "stay":
            earliest = admitted + timedelta(days=400)
            if earliest >= self.today - timedelta(days=30):
                fate = "stay"
            else:
                horizon = earliest + timedelta(days=int((self.today - earliest).days * rng.random()))
        subscriptions = [(admitted, "subscribe_mandatory", mandatory + extra)]
        further = 0 if rng.random() < 0.55 else 1 if rng.random() < 0.6 else rng.randrange(2, 5)
        for _ in range(further):
            start = admitted + timedelta(days=90)
            if start >= horizon:
                break
            subscriptions.append((start + timedelta(days=rng.randrange((horizon - start).days)),
                                  "subscribe_additional", rng.randrange(1, 11)))
        subscriptions.sort(key=lambda s: s[0])
        held = 0
        share_moves: list[tuple[date, int]] = []
        capital_moves: list[tuple[date, int]] = []
        for on, share_kind, count in subscriptions:
            held += count
            self._share(mid, share_kind, count, on, basis=f"Zeichnung {on.isoformat()}")
            share_moves.append((on, count))
            # Payment plan for these shares: once, or in monthly instalments.
            total = count * NOMINAL
            first = on + timedelta(days=self._int(0, 31))
            parts = 1 if rng.random() < 0.45 else rng.randrange(2, 14)
            for i in range(parts):
                pay_on = first + timedelta(days=30 * i)
                if pay_on > horizon:
                    break
                amount = total // parts + (total % parts if i == parts - 1 else 0)
                self._capital(mid, "deposit", amount, pay_on, reference=f"SEPA {pay_on.year}-{self._int(0, 10**5):05d}")
                capital_moves.append((pay_on, amount))
                if parts > 1 and rng.random() < 0.004:  # a double booking, reversed the same day
                    dup = self._capital(mid, "deposit", amount, pay_on, reference="SEPA doppelt")
                    self._capital(mid, "reversal", -amount, pay_on, reference="Doppelbuchung", reverses=dup)
        if rng.random() < 0.003:  # a subscription booked on the wrong member, reversed the same day
            on = subscriptions[-1][0]
            wrong = self._share(mid, "subscribe_additional", 2, on, basis="Zeichnung")
            self._share(mid, "reversal", -2, on, reference="falsches Mitglied", reverses=wrong)
        capital = sum(a for _, a in capital_moves)
        if fate == "stay":
            self.stayers.append(mid)
            self.held[mid], self.capital[mid] = held, capital
            if self.reference >= admitted:
                self.out.listed_on_reference += 1
        else:
            exit_on = self._exit(mid, fate, horizon, held, capital)
            if self.reference >= admitted and (exit_on is None or exit_on >= self.reference):
                self.out.listed_on_reference += 1
        self._accounts(mid, party_id, party_kind, display)
        if len(self.out.active_ids) < 400 and rng.random() < 0.01:
            self.out.active_ids.append(mid)

    def _exit(self, mid: int, fate: str, on: date, held: int, capital: int) -> date | None:
        """Books the exit; returns the exit date (None for a transfer to nobody)."""
        rng, params, rules = self.rng, self.params, self.rules
        if fate == "transfer":
            receivers = [m for m in self.stayers[-2000:] if m != mid]
            if not receivers:
                return None
            to = rng.choice(receivers)
            transfer_id = str(uuid.UUID(int=rng.getrandbits(128)))
            self._share(mid, "transfer_out", -held, on, transfer_id=transfer_id)
            self._share(to, "transfer_in", held, on, transfer_id=transfer_id)
            if capital:
                self._capital(mid, "transfer_out", -capital, on, transfer_id=transfer_id)
                self._capital(to, "transfer_in", capital, on, transfer_id=transfer_id)
            self.held[to] += held
            self.capital[to] += capital
            self._event(mid, "transfer_all", on, on, reference=transfer_id)
            return on
        if fate == "notice":
            exit_on = rules.notice_effective_date(on, params)
            notice_id = self._next("notice")
            self._add("notice", (notice_id, mid, "all", held, on.isoformat(), STATUTE_ID, exit_on.isoformat(),
                                 rules.settlement_due_date(exit_on, params).isoformat(), self._at(on), "office",
                                 f"Kündigung vom {on.strftime('%d.%m.%Y')}"))
            self._event(mid, "notice_received", on, exit_on, notice=notice_id)
            self._share(mid, "terminate", -held, exit_on, notice=notice_id)
            due = rules.settlement_due_date(exit_on, params)
        else:
            if fate == "death":
                exit_on = rules.death_exit_date(on, params)
                self._event(mid, "death", on, exit_on)
                share_kind = "death_exit"
            else:
                exit_on = rules.exclusion_dates(on - timedelta(days=14), on, params).exit_on
                self._event(mid, "exclusion_dispatched", on, exit_on,
                            reference=f"decided {(on - timedelta(days=14)).isoformat()}")
                share_kind = "exclude"
            self._share(mid, share_kind, -held, exit_on)
            due = rules.settlement_due_date(exit_on, params)
        if capital and due <= self.today:
            self._capital(mid, "payout", -capital, due, reference=f"Auszahlung {due.year}")
        return exit_on

    def _share(self, mid: int, kind: str, delta: int, on: date, *, basis: str | None = None,
               reference: str | None = None, transfer_id: str | None = None, notice: int | None = None,
               reverses: int | None = None) -> int:
        sid = self._next("share_entry")
        self._add("share_entry", (sid, mid, kind, delta, on.isoformat(), self._at(on), "office", reference, basis, STATUTE_ID,
                                  transfer_id, notice, reverses))
        return sid

    def _capital(self, mid: int, kind: str, amount: int, on: date, *, reference: str | None = None,
                 transfer_id: str | None = None, reverses: int | None = None) -> int:
        cid = self._next("capital_entry")
        self._add("capital_entry", (cid, mid, kind, amount, on.isoformat(), self._at(on), "office", reference, None, transfer_id,
                                    reverses))
        return cid

    def _event(self, mid: int, kind: str, on: date, effective: date | None, *, notice: int | None = None,
               reference: str | None = None) -> None:
        self._add("membership_event", (self._next("membership_event"), mid, kind, on.isoformat(),
                                       effective.isoformat() if effective else None, notice, None,
                                       self._at(on), "office", reference))

    def _accounts(self, mid: int, party_id: int, party_kind: str, display: str) -> None:
        """About a third of the natural persons use Nextcloud; most organisations have a
        representative with an account (often a member themself: they see both memberships)."""
        rng = self.rng
        created = self._at(self.admissions[mid - 1])
        if party_kind == "natural":
            if rng.random() < 0.35:
                user_id = f"{ascii_id(display.replace(' ', '.'))}.{mid}"
                self._add("account", (self._next("account"), user_id, party_id, "self", created))
                self.out.linked[user_id] = Linked(user_id, display, [mid])
                self.recent_users.append(self.out.linked[user_id])
                del self.recent_users[:-500]
            return
        if rng.random() < 0.7:
            candidates = self.recent_users
            if candidates and rng.random() < 0.6:
                person = rng.choice(candidates)
            else:
                person = Linked(f"vertretung.{mid}", f"Vertretung {display}", [])
                self.out.linked[person.user_id] = person
            self._add("account", (self._next("account"), person.user_id, party_id, "representative", created))
            person.membership_ids.append(mid)

    def chunks(self, members_per_chunk: int = 5000) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
        for member_no in range(1, self.n + 1):
            self._member(member_no)
            if member_no % members_per_chunk == 0 or member_no == self.n:
                rows, self.rows = self.rows, {t: [] for t in COLUMNS}
                yield rows


def _party_kind(kind: str) -> Any:
    from nc_coop.register.statute import PartyKind  # noqa: PLC0415

    return PartyKind(kind)


# --- Databases ------------------------------------------------------------------------------------------

@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    from nc_coop.db import postgres_scratch_schema  # noqa: PLC0415

    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    with postgres_scratch_schema(os.environ.get("NC_COOP_BENCH_DATABASE_URL", DEFAULT_PG_URL), "bench") as url:
        yield url


def load(url: str, register: Register) -> str:
    """Migrate, add statute version 1 (through the app's own function) and bulk-load everything.
    Returns the database's name and version."""
    from sqlalchemy.orm import Session  # noqa: PLC0415

    from nc_coop import migrate  # noqa: PLC0415
    from nc_coop.db import make_engine  # noqa: PLC0415
    from nc_coop.register.statutes import add_statute_version  # noqa: PLC0415

    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with Session(engine) as session, session.begin():
            row = add_statute_version(session, actor="bench", version=1, adopted_at=STATUTE_ADOPTED,
                                      registered_at=STATUTE_REGISTERED, params=register.params,
                                      document_ref="Satzung 1994")
            assert row.id == STATUTE_ID
        raw = engine.raw_connection()
        try:
            dbapi = raw.dbapi_connection
            if engine.dialect.name == "postgresql":
                _load_postgresql(dbapi, register)
            else:
                _load_sqlite(dbapi, register)
        finally:
            raw.close()
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                return "PostgreSQL " + conn.exec_driver_sql("SHOW server_version").scalar().split()[0]
            return "SQLite " + conn.exec_driver_sql("SELECT sqlite_version()").scalar()
    finally:
        engine.dispose()


def _load_sqlite(conn: Any, register: Register) -> None:
    cursor = conn.cursor()
    cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB for this loading connection only
    cursor.execute("BEGIN")
    for chunk in register.chunks():
        for table in LOAD_ORDER:
            rows = chunk[table]
            if rows:
                columns = COLUMNS[table]
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                                   rows)
    cursor.execute("COMMIT")
    cursor.execute("ANALYZE")  # what `PRAGMA optimize` does over time on a long-running database
    cursor.close()


def _load_postgresql(conn: Any, register: Register) -> None:
    with conn.cursor() as cursor:
        for chunk in register.chunks():
            for table in LOAD_ORDER:
                rows = chunk[table]
                if rows:
                    with cursor.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
        # Explicit ids were loaded: move every id sequence past them.
        for table in LOAD_ORDER:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT coalesce(max(id), 1) FROM {table}))")
    conn.commit()
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            # Autovacuum would get there; the bench does not wait. Only these tables: a bare VACUUM
            # would walk (and wait for) every schema of the database.
            cursor.execute(f"VACUUM ANALYZE {', '.join(LOAD_ORDER)}")
    finally:
        conn.autocommit = False


def check_sample(url: str, register: Register) -> int:
    """Re-check some loaded memberships with the services' own ledger check (raises if broken)."""
    from sqlalchemy.orm import Session  # noqa: PLC0415

    from nc_coop.db import make_engine  # noqa: PLC0415
    from nc_coop.register.models import Membership  # noqa: PLC0415
    from nc_coop.register.services import check_membership  # noqa: PLC0415
    from nc_coop.register.statutes import Statutes  # noqa: PLC0415

    engine = make_engine(url)
    ids = register.out.active_ids + [u.membership_ids[0] for u in list(register.out.linked.values())[:100]
                                     if u.membership_ids]
    try:
        with Session(engine) as session:
            statutes = Statutes(session)
            for mid in ids:
                check_membership(session, statutes, session.get(Membership, mid))
            session.rollback()
    finally:
        engine.dispose()
    return len(ids)


# --- Measuring through the app ----------------------------------------------------------------------

def appapi_headers(user: str) -> dict[str, str]:
    """As AppAPI's proxy sends them (see tests/conftest.py)."""
    return {"AA-VERSION": "34.0.0", "EX-APP-ID": "nc_coop", "EX-APP-VERSION": "0.1.0",
            "AUTHORIZATION-APP-API": base64.b64encode(f"{user}:{SECRET}".encode()).decode(),
            "AA-REQUEST-ID": "bench" + secrets.token_hex(4), "Accept-Language": "de"}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Timing:
    values: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def p50(self) -> float:
        return percentile(self.values, 50) if self.values else float("nan")

    @property
    def p99(self) -> float:
        return percentile(self.values, 99) if self.values else float("nan")


def search_terms(register: Register, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, term): member numbers, family-name prefixes of 3+ letters, firm names."""
    out = register.out
    terms = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.3:
            terms.append(("number", str(rng.randrange(1, register.n + 1))))
        elif roll < 0.8:
            name = rng.choice(out.family_names)
            fragment = name[:rng.randrange(3, min(len(name), 7) + 1)]
            terms.append(("family", fragment.lower() if rng.random() < 0.5 else fragment))
        else:  # one word of a firm or association name, or its first two words as written
            name = rng.choice(out.firm_names).split()
            words = [w for w in name if len(w) >= 3 and w not in ("GmbH", "e.V.")] or name
            terms.append(("firm", " ".join(name[:2]) if rng.random() < 0.3 else rng.choice(words)))
    return terms


def measure(url: str, register: Register, samples: int, seed: int) -> dict[str, Any]:
    from nc_coop import create_app  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415
    from nc_coop.standin import NextcloudStandIn, StandInUser  # noqa: PLC0415

    rng = random.Random(seed + 1)
    standin = NextcloudStandIn().start()
    storage = Path(tempfile.mkdtemp(prefix="nc_coop_bench_app_"))
    try:
        app = create_app({"APP_ID": "nc_coop", "APP_SECRET": SECRET, "APP_VERSION": "0.1.0",
                          "NEXTCLOUD_URL": standin.url, "APP_PERSISTENT_STORAGE": str(storage),
                          "DATABASE_URL": url, "NC_COOP_ADMIN_GROUPS": "admin,board",
                          "NC_COOP_ROLE_CACHE_SECONDS": "3600"})
        standin.register("nc_coop", SECRET, "0.1.0", "http://127.0.0.1:9", INFO_XML).enabled = True
        linked = [u for u in register.out.linked.values() if u.membership_ids]
        chosen = rng.sample(linked, min(len(linked), samples + 20))
        warmers, users = chosen[:20], chosen[20:] or chosen
        with standin.state.lock:
            for user in chosen:
                standin.state.users[user.user_id] = StandInUser(user.user_id, user.display_name, ["members"])
        client = app.test_client()

        def timed(path: str, user: str, timing: Timing, check: Callable[[Any], bool] | None = None) -> None:
            headers = appapi_headers(user)
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200 or (check is not None and not check(response)):
                timing.errors += 1
            timing.values.append(elapsed)

        # Warm-up: the role cache holds every sampled user (steady state; a role lookup is an HTTP
        # call to Nextcloud): an admin page answers them 403 after resolving their roles. Their
        # member data is not read before it is measured. Templates compile on a few others.
        for user in users:
            client.get("/admin/members", headers=appapi_headers(user.user_id))
        for user in warmers:
            client.get("/", headers=appapi_headers(user.user_id))
        for term in ("1", "Müller", "GmbH"):
            client.get(f"/api/v1/admin/members?q={term}", headers=appapi_headers("admin"))

        page, api = Timing(), Timing()
        for i in range(samples):
            user = users[i % len(users)]
            # The page names the member number (membership ids are the member numbers here).
            timed("/", user.user_id, page, lambda r, no=user.membership_ids[0]: f"<td>{no}</td>".encode() in r.data)
        for i in range(samples):
            user = users[i % len(users)]
            mid = rng.choice(user.membership_ids)
            timed(f"/api/v1/memberships/{mid}", user.user_id, api, lambda r, mid=mid: r.json["membership_id"] == mid)
        search = Timing()
        by_kind: dict[str, Timing] = {}
        hits: list[int] = []

        def found(response: Any) -> bool:
            body = response.json
            hits.append(body["total"])
            return len(body["members"]) == min(body["total"], 50)

        for kind, term in search_terms(register, samples, rng):
            timing = by_kind.setdefault(kind, Timing())
            timed(f"/api/v1/admin/members?q={quote(term)}", "admin", timing, found)
            search.values.append(timing.values[-1])
        search.errors = sum(t.errors for t in by_kind.values())
        with app.app_context():
            get_db().engine.dispose()
        return {"page": page, "api": api, "search": search, "search_by_kind": by_kind,
                "search_total_median": statistics.median(hits) if hits else 0, "users": len(users)}
    finally:
        standin.stop()
        shutil.rmtree(storage, ignore_errors=True)


def export_in_child(url: str, reference: date) -> dict[str, Any]:
    """The §30 export alone, in a fresh interpreter: its time, row count and peak RSS."""
    # The URL travels in the environment, not in argv (where a password would show in ps).
    result = subprocess.run([sys.executable, __file__, "--export-child", reference.isoformat()],
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "NC_COOP_BENCH_CHILD_URL": url})
    if result.returncode != 0:
        return {"error": (result.stderr or result.stdout).strip().splitlines()[-1:] or ["failed"]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def export_child(reference: str) -> None:
    from sqlalchemy.orm import Session  # noqa: PLC0415

    from nc_coop.db import make_engine  # noqa: PLC0415
    from nc_coop.register.exports import member_list_csv  # noqa: PLC0415

    engine = make_engine(os.environ["NC_COOP_BENCH_CHILD_URL"])
    baseline = _status_kb("VmRSS")
    size = lines = 0
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})  # as the CLI does
        started = time.perf_counter()
        for chunk in member_list_csv(session, date.fromisoformat(reference)):
            size += len(chunk)
            lines += chunk.count(b"\r\n")
        seconds = time.perf_counter() - started
    engine.dispose()
    import resource  # noqa: PLC0415

    peak_kb = _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rows": lines - 1, "bytes": size, "peak_rss_mb": peak_kb / 1024,
                      "baseline_rss_mb": baseline / 1024}))


def _status_kb(key: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- Report ---------------------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: dict[str, dict[str, Any]], register_counts: dict[str, int], args: argparse.Namespace) -> None:
    ledger = register_counts["share_entry"] + register_counts["capital_entry"]
    print()
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"nc_coop register benchmark, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
          f"{os.cpu_count()} CPU(s), load average {load} at the end, Python {sys.version.split()[0]}")
    print(f"{args.members:,} members, {ledger:,} ledger rows ({register_counts['share_entry']:,} share + "
          f"{register_counts['capital_entry']:,} capital), {register_counts['notice']:,} notices, "
          f"{register_counts['membership_event']:,} events, {register_counts['account']:,} accounts; "
          f"{args.samples} samples per route")
    dbs = list(results)
    width = 22
    print()
    print(f"{'':44}" + "".join(f"{db:>{width}}" for db in dbs) + "   target")

    def line(label: str, cells: list[str], target: str = "") -> None:
        print(f"{label:44}" + "".join(f"{c:>{width}}" for c in cells) + (f"   {target}" if target else ""))

    def ms(t: Timing) -> str:
        return f"{t.p50:6.1f} / {t.p99:6.1f} ms"

    line("database", [results[d]["version"] for d in dbs])
    line("bulk load (generate + insert + analyze)", [f"{results[d]['load_s']:.1f} s" for d in dbs])
    line("ledger check of sampled memberships", [f"{results[d]['checked']} ok" for d in dbs])
    line("member page GET /  p50 / p99", [ms(results[d]["page"]) for d in dbs], "p99 <= 50 ms")
    line("member API GET /api/v1/memberships/<id>", [ms(results[d]["api"]) for d in dbs], "p99 <= 50 ms")
    line("admin search GET /api/v1/admin/members?q=", [ms(results[d]["search"]) for d in dbs], "p99 <= 100 ms")
    for kind in ("number", "family", "firm"):
        line(f"  of which {kind} terms", [ms(results[d]["search_by_kind"].get(kind, Timing())) for d in dbs])
    line("  median hits per search", [f"{results[d]['search_total_median']:.0f}" for d in dbs])
    line("errors (non-200 or wrong body)", [str(sum(results[d][k].errors for k in ("page", "api", "search")))
                                            for d in dbs])

    def export_cell(d: str, key: str, fmt: str) -> str:
        e = results[d]["export"]
        return "error" if "error" in e else format(e[key], fmt)

    line(f"§30 export CSV at {args.reference_date}: time", [export_cell(d, "seconds", ".1f") + " s" for d in dbs],
         "<= 15 s")
    line("§30 export: peak RSS of the child", [export_cell(d, "peak_rss_mb", ".0f") + " MB" for d in dbs],
         "<= 200 MB")
    line("  of which before the export (imports)", [export_cell(d, "baseline_rss_mb", ".0f") + " MB" for d in dbs])
    line("§30 export: rows (expected)", [export_cell(d, "rows", ",") + f" ({results[d]['expected_rows']:,})"
                                         for d in dbs])
    line("§30 export: size", [export_cell(d, "bytes", ",") + " B" for d in dbs])
    print()
    for d in dbs:
        r, e = results[d], results[d]["export"]
        checks = [("member page p99", max(r["page"].p99, r["api"].p99) <= TARGETS["member_page_p99_ms"]),
                  ("admin search p99", r["search"].p99 <= TARGETS["search_p99_ms"]),
                  ("§30 export time", "error" not in e and e["seconds"] <= TARGETS["export_s"]),
                  ("§30 export peak RSS", "error" not in e and e["peak_rss_mb"] <= TARGETS["export_rss_mb"])]
        print(f"{d:>10}: " + ", ".join(f"{name} {verdict(ok)}" for name, ok in checks))
        if "error" in e:
            print(f"{'':>12}export failed: {e['error']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20260310)
    parser.add_argument("--reference-date", type=date.fromisoformat, default=date.today(),
                        help="reference date of the §30 member list (default: today)")
    parser.add_argument("--export-child", metavar="DATE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(args.export_child)
        return 0
    sys.path.insert(0, str(ROOT))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the stand-in's access log
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    workdir = Path(tempfile.mkdtemp(prefix="nc_coop_bench_"))
    try:
        for db in dbs:
            print(f"[{db}] generating and loading {args.members:,} members ...", flush=True)
            register = Register(args.members, args.seed, date.today(), args.reference_date, dialect=db)
            try:
                with database(db, workdir) as url:
                    load_s = time.perf_counter()
                    version = load(url, register)
                    load_s = time.perf_counter() - load_s
                    counts = register.out.counts
                    print(f"[{db}] loaded in {load_s:.1f} s: {counts}", flush=True)
                    checked = check_sample(url, register)
                    print(f"[{db}] measuring {args.samples} samples per route ...", flush=True)
                    figures = measure(url, register, args.samples, args.seed)
                    print(f"[{db}] §30 export in a child process ...", flush=True)
                    export = export_in_child(url, args.reference_date)
                    results[db] = {"load_s": load_s, "checked": checked, "export": export, "version": version,
                                   "expected_rows": register.out.listed_on_reference, **figures}
            except Exception as exc:  # noqa: BLE001 - report and go on with the next database
                print(f"[{db}] failed: {type(exc).__name__}: {exc}", flush=True)
                if os.environ.get("NC_COOP_BENCH_DEBUG"):
                    raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if results:
        report(results, counts, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
