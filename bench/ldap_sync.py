# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""LDAP sync benchmark (issue 4 item 8): 100,000 users and 5,000 member organisations.

What it does:

1. Generates a directory, deterministically from ``--seed``: N people under ``ou=people``
   (inetOrgPerson with German names, umlauts included; some with ``ncCoopMember`` and a member
   number, some with ``nextcloudUser`` and a quota) and N/20 member organisations under
   ``ou=groups`` (groupOfNames, 1-40 ``member`` DNs each, about 22 on average, so about
   110,000 memberships at N = 100,000). The base and the ``ou=services`` accounts are those of
   ``ldap/demo.ldif``, so ``ldap/acl.ldif`` applies and the sync binds as
   ``cn=nc_coop-sync`` (no size limit). Every entry carries an old ``createTimestamp`` and
   ``modifyTimestamp`` (2015-2025), as a directory that has been in use for years does: an
   incremental sync right after loading must not see all entries as new just because
   ``slapadd`` ran a minute ago.
2. Loads it with ``ldap/slapd.sh start`` (slapadd) into a throw-away slapd on a free port,
   afresh for each database, so that each database's syncs see the same directory.
3. Measures, for each database (SQLite file and/or a fresh PostgreSQL schema):
   (a) the floor: ``ldapsearch -E pr=1000/noprompt`` of the same entries and attributes as the
       sync reads, to /dev/null (best of 3 after a warm-up);
   (b) ldap3's raw paged read of the same attributes, users and groups, as the sync account
       (in a child process, right before that database's full sync);
   (c) a full sync into an empty migrated register (``nc_coop.migrate.upgrade``);
   (d) a no-change incremental sync;
   (e) a 1%-changed incremental sync: 1% of the users get a new mail or display name and 0.1%
       move from one organisation to another (``ldapmodify`` as the rootdn);
   (f) the peak RSS (VmHWM) of each sync, each run in its own child process, and the CPU seconds
       of (b) and (c): the child process (all threads), the database server and slapd;
   (g) the ratio full sync / ldap3 raw read and PASS/FAIL against the targets of issue 4.
   After the full and the 1%-changed sync it checks that the register links exactly N users and
   N/20 organisations with all their members, so that the figures cannot come from a sync that
   did nothing.
4. Stops slapd and removes the temporary files and the PostgreSQL schema on exit, Ctrl-C and
   SIGTERM included.
The report names the sync code it measured (commit and a hash of nc_coop/ldapsync/*.py) and
splits the full sync into phases with run_sync's progress callback.

Usage::

    .venv/bin/python bench/ldap_sync.py                        # 100,000 users, SQLite and PostgreSQL
    .venv/bin/python bench/ldap_sync.py --users 2000 --db sqlite
    .venv/bin/python bench/ldap_sync.py --users 20000 --db sqlite --profile   # cProfile the full sync

Needs Debian's slapd and ldap-utils (see ldap/README.md). PostgreSQL comes from
``NC_COOP_BENCH_DATABASE_URL`` (default postgresql://postgres@127.0.0.1:5432/test); the
benchmark works in a fresh schema ``bench_<random>`` that is dropped at the end; give it a database
of its own when tests run in the same one (the audit chain's advisory lock is per database, so
their transactions stall the sync's; see bench/README.md). The figures are
printed with PASS/FAIL against the targets; the exit status is 0 regardless (figures, not
tests), unless the benchmark itself could not run.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SLAPD_SH = ROOT / "ldap" / "slapd.sh"
DEMO_LDIF = ROOT / "ldap" / "demo.ldif"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"

# The demo's service account (ldap/demo.ldif, ldap/acl.ldif). The password is public.
SYNC_RDN = "cn=nc_coop-sync,ou=services"
SYNC_PASSWORD = "sync-demo-password"
USER_FILTER = "(objectClass=inetOrgPerson)"
GROUP_FILTER = "(objectClass=groupOfNames)"
# What the sync reads when its settings cannot tell (the default attribute mapping of issue 4:
# stable id, uid, names, mail, member number, quota, plus the timestamps for the watermark).
FALLBACK_USER_ATTRIBUTES = ("entryUUID", "uid", "cn", "sn", "givenName", "displayName", "mail",
                            "ncCoopMemberNumber", "nextcloudQuota", "modifyTimestamp", "createTimestamp")
FALLBACK_GROUP_ATTRIBUTES = ("entryUUID", "cn", "o", "ncCoopMemberNumber", "member", "modifyTimestamp",
                             "createTimestamp")

TARGETS = {"ratio": 1.5, "no_change_s": 1.0, "changed_s": 5.0, "rss_mb": 250.0}

# --- Names ----------------------------------------------------------------------------------------------

FAMILY = """Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter
Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Schmitz Krause
Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller
Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht
Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß Seidel Heinrich
Brandt Haas Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn Pohl Engel Horn Busch Bergmann Thomas Voigt Sauer
Yılmaz Kaya Öztürk Şahin Demir Nguyen Popescu Nowak Kowalski Ostermann Überall Rüdiger Dörr Fröhlich""".split()
RARE_HEAD = ("Ober Unter Neu Alt Hoch Kirch Berg Wald Stein Bach Linden Eichen Rosen Sonnen Holz Feld Brunn Mühl "
             "Schön Grün Weiden Hasel Dorn Fichten Tannen Klee Hagen").split()
RARE_TAIL = "mann meier bauer huber berger hofer müller hausen brink kamp feld rath wald stätter thaler".split()
GIVEN = """Anna Maria Ursula Monika Petra Elisabeth Sabine Renate Helga Karin Brigitte Ingrid Erika Andrea Gisela
Claudia Susanne Gabriele Christa Birgit Barbara Julia Stefanie Nicole Katharina Sandra Sophie Emma Mia Hannah Lea
Lena Laura Marie Johanna Greta Jürgen Peter Michael Thomas Andreas Wolfgang Klaus Stefan Hans Christian Uwe Werner
Frank Bernd Günter Dieter Horst Markus Matthias Jörg Karl Ralf Sven Tobias Jan Lukas Leon Finn Paul Jonas Felix
Maximilian Noah Elias Emre Mehmet Ayşe Piotr Agnieszka Minh Olena Ömer""".split()
TRADES = ["Bau", "Elektro", "Haustechnik", "Solartechnik", "Holzbau", "Druckerei", "Bäckerei", "Steuerberatung",
          "IT", "Gartenbau", "Metallbau", "Logistik", "Dachdeckerei", "Software", "Energie", "Kanzlei"]
FORMS = ["GmbH", "e.V.", "eG", "GbR", "GmbH & Co. KG", "PartG mbB", "UG (haftungsbeschränkt)"]
TOWNS = ["Berlin", "Hamburg", "München", "Köln", "Leipzig", "Düsseldorf", "Nürnberg", "Münster", "Göttingen",
         "Lübeck", "Saarbrücken", "Würzburg", "Tübingen", "Osnabrück", "Görlitz", "Jena"]
QUOTAS = ["500 MB", "1 GB", "2 GB", "5 GB", "10 GB", "10737418240", "53687091200"]
MAIL_DOMAINS = ["coop.example", "example.org", "mail.example.de", "posteo.example", "web.example"]


def ascii_id(text: str) -> str:
    """A login-friendly ASCII form: ü -> ue, ß -> ss, other accents dropped."""
    folded = text.lower().replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return "".join(c for c in folded if c.isalnum() or c in ".-")


# --- The directory --------------------------------------------------------------------------------------

@dataclass
class Person:
    uid: str
    given: str
    family: str
    display: str
    mail: str


@dataclass
class Directory:
    """What was generated: enough to pick changes later and to check the register."""

    base: str
    people: list[Person] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # cn per organisation
    members: list[list[int]] = field(default_factory=list)  # person indexes per organisation
    member_numbers: int = 0
    quotas: int = 0

    @property
    def memberships(self) -> int:
        return sum(len(m) for m in self.members)

    def user_dn(self, index: int) -> str:
        return f"uid={self.people[index].uid},ou=people,{self.base}"

    def group_dn(self, index: int) -> str:
        return f"cn={self.groups[index]},ou=groups,{self.base}"


def ldif_line(name: str, value: str) -> str:
    """One attribute line; base64 where RFC 2849 requires it (non-ASCII, leading space, ':' or '<')."""
    safe = value.isascii() and value == value.strip() and value[:1] not in (":", "<") and "\n" not in value
    if safe:
        return f"{name}: {value}\n"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}\n"


def demo_frame(demo: Path) -> tuple[str, list[str]]:
    """The base entry, the three OUs and the service accounts of ldap/demo.ldif (no demo people or groups)."""
    blocks, current = [], []
    for line in demo.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                blocks.append("\n".join(current) + "\n")
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current) + "\n")
    base = blocks[0].splitlines()[0].removeprefix("dn: ")
    keep = [b for b in blocks if b.startswith(f"dn: {base}") or b.startswith("dn: ou=")
            or ",ou=services," in b.splitlines()[0]]
    return base, keep


class Generator:
    """Writes the LDIF entry by entry and remembers who is where."""

    def __init__(self, users: int, seed: int) -> None:
        self.n = users
        self.rng = random.Random(seed)
        self.family_cum_weights = list(accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(FAMILY))))
        # Timestamps of a directory in use since 2015; the benchmark's own changes come later.
        self.epoch = datetime(2015, 1, 1, tzinfo=timezone.utc)
        self.end = datetime(2025, 12, 31, tzinfo=timezone.utc)
        self.span = int((self.end - self.epoch).total_seconds())

    def _family(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.75:
            return rng.choices(FAMILY, cum_weights=self.family_cum_weights)[0]
        if roll < 0.97:
            return rng.choice(RARE_HEAD) + rng.choice(RARE_TAIL)
        return f"{rng.choice(FAMILY)}-{rng.choice(FAMILY)}"

    def _stamps(self) -> str:
        created = self.epoch + timedelta(seconds=int(self.rng.random() * self.span))
        modified = created + (self.end - created) * self.rng.random() ** 4  # mostly soon after creation
        return (f"createTimestamp: {created:%Y%m%d%H%M%SZ}\nmodifyTimestamp: {modified:%Y%m%d%H%M%SZ}\n"
                f"entryUUID: {uuid.UUID(int=self.rng.getrandbits(128), version=4)}\n")

    def write(self, path: Path) -> Directory:
        base, frame = demo_frame(DEMO_LDIF)
        directory = Directory(base=base)
        rng = self.rng
        member_no = 0
        taken: dict[str, int] = {}  # uid stem -> how many people have it
        with path.open("w", encoding="utf-8") as out:
            out.write("\n".join(frame) + "\n")
            for _ in range(self.n):
                given, family = rng.choice(GIVEN), self._family()
                stem = f"{ascii_id(given)}.{ascii_id(family)}"
                taken[stem] = count = taken.get(stem, 0) + 1
                uid = stem if count == 1 else f"{stem}{count}"  # anna.mueller, anna.mueller2, ...
                display = f"{given} {family}"
                mail = f"{uid}@{rng.choice(MAIL_DOMAINS)}"
                classes = ["top", "person", "organizationalPerson", "inetOrgPerson"]
                extra = ""
                if rng.random() < 0.6:  # Nextcloud users with the quota class; most with a quota
                    classes.append("nextcloudUser")
                    if rng.random() < 0.8:
                        extra += f"nextcloudQuota: {rng.choice(QUOTAS)}\n"
                        directory.quotas += 1
                if rng.random() < 0.45:  # members who are natural persons
                    classes.append("ncCoopMember")
                    member_no += 1
                    extra += f"ncCoopMemberNumber: {member_no}\n"
                out.write(f"dn: uid={uid},ou=people,{base}\n" + "".join(f"objectClass: {c}\n" for c in classes)
                          + f"uid: {uid}\n" + ldif_line("cn", display) + ldif_line("sn", family)
                          + ldif_line("givenName", given) + ldif_line("displayName", display)
                          + f"mail: {mail}\n" + extra + self._stamps() + "\n")
                directory.people.append(Person(uid, given, family, display, mail))
            for index in range(max(1, self.n // 20)):
                # 1-40 people act for an organisation, about 22 on average (u ** 0.8 leans towards more).
                size = min(self.n, 1 + int(40 * rng.random() ** 0.8))
                chosen = rng.sample(range(self.n), size)
                name = f"{rng.choice(FAMILY)} {rng.choice(TRADES)} {rng.choice(TOWNS)} {rng.choice(FORMS)}"
                cn = f"org{index + 1:05d}-{ascii_id(name.split()[0])}"
                member_no += 1
                out.write(f"dn: cn={cn},ou=groups,{base}\nobjectClass: top\nobjectClass: groupOfNames\n"
                          f"objectClass: ncCoopMember\ncn: {cn}\n" + ldif_line("o", name)
                          + f"ncCoopMemberNumber: {member_no}\n"
                          + f"owner: uid={directory.people[chosen[0]].uid},ou=people,{base}\n"
                          + "".join(f"member: uid={directory.people[i].uid},ou=people,{base}\n" for i in chosen)
                          + self._stamps() + "\n")
                directory.groups.append(cn)
                directory.members.append(chosen)
        directory.member_numbers = member_no
        return directory


# --- slapd ----------------------------------------------------------------------------------------------

def ldap_env() -> dict[str, str]:
    """The environment for LDAP client tools: no ~/.ldaprc or /etc/ldap/ldap.conf."""
    return {**os.environ, "LDAPNOINIT": "1"}


def start_slapd(workdir: Path, ldif: Path) -> dict[str, str]:
    """ldap/slapd.sh start: config, slapadd, slapd on a free port. Returns the KEY=VALUE lines."""
    env = {**ldap_env(), "NC_COOP_LDAP_LOGLEVEL": os.environ.get("NC_COOP_LDAP_LOGLEVEL", "none")}
    result = subprocess.run(["bash", str(SLAPD_SH), "start", str(workdir), str(ldif)], env=env,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"slapd.sh start failed: {result.stderr.strip()[-2000:]}")
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def stop_slapd(workdir: Path) -> None:
    if (workdir / "slapd.pid").exists():
        subprocess.run(["bash", str(SLAPD_SH), "stop", str(workdir)], env=ldap_env(), capture_output=True,
                       check=False)


@dataclass
class Ldap:
    url: str
    base: str
    admin_dn: str
    admin_password: str

    @property
    def sync_dn(self) -> str:
        return f"{SYNC_RDN},{self.base}"

    @property
    def people(self) -> str:
        return f"ou=people,{self.base}"

    @property
    def groups(self) -> str:
        return f"ou=groups,{self.base}"


# --- Settings of the sync -------------------------------------------------------------------------------

def sync_environment(ldap: Ldap, page_size: int) -> dict[str, str]:
    """The NC_COOP_LDAP_* settings for the sync, as an admin would set them."""
    return {
        "NC_COOP_LDAP_URL": ldap.url,
        "NC_COOP_LDAP_BIND_DN": ldap.sync_dn,
        "NC_COOP_LDAP_BIND_PASSWORD": SYNC_PASSWORD,
        "NC_COOP_LDAP_USER_BASE": ldap.people,
        "NC_COOP_LDAP_USER_FILTER": USER_FILTER,
        "NC_COOP_LDAP_GROUP_BASE": ldap.groups,
        "NC_COOP_LDAP_GROUP_FILTER": GROUP_FILTER,
        "NC_COOP_LDAP_PAGE_SIZE": str(page_size),
    }


def read_attributes(environ: dict[str, str]) -> tuple[list[str], list[str]]:
    """The attributes the sync asks for (users, groups): its reader's own lists when it has them."""
    try:
        from nc_coop.ldapsync.settings import load_ldap_settings  # noqa: PLC0415

        settings = load_ldap_settings(environ)
    except ImportError:
        return list(FALLBACK_USER_ATTRIBUTES), list(FALLBACK_GROUP_ATTRIBUTES)
    try:
        from nc_coop.ldapsync.reader import DirectoryReader  # noqa: PLC0415

        reader = DirectoryReader(settings)
        return list(reader._user_attributes()), list(reader._group_attributes())  # noqa: SLF001
    except (ImportError, AttributeError):
        pass
    a = settings.attributes
    stamps = ["entryUUID", "modifyTimestamp", "createTimestamp"]
    users = [a.uid, a.display_name, a.given_name, a.family_name, a.mail, a.member_number, a.quota, "cn", *stamps]
    groups = ["cn", "description", a.group_name, a.member_number, a.group_member, *stamps]
    return list(dict.fromkeys(users)), list(dict.fromkeys(groups))


# --- (a) the floor: ldapsearch ------------------------------------------------------------------------

def measure_ldapsearch(ldap: Ldap, page_size: int, user_attrs: list[str], group_attrs: list[str]) -> float:
    """Raw paged ldapsearch of users and groups to /dev/null, as the sync account."""
    started = time.perf_counter()
    for base, filt, attrs in ((ldap.people, USER_FILTER, user_attrs), (ldap.groups, GROUP_FILTER, group_attrs)):
        subprocess.run(["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", ldap.url, "-D", ldap.sync_dn,
                        "-w", SYNC_PASSWORD, "-b", base, "-E", f"pr={page_size}/noprompt", filt, *attrs],
                       env=ldap_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - started


# --- Child processes: (b) ldap3 raw read, (c)-(e) the syncs, each with its peak RSS ------------------------

def run_child(kind: str, environ: dict[str, str], *, profile: int = 0) -> dict[str, Any]:
    """Run ``--child KIND`` in a fresh interpreter; returns its JSON result (or {'error': ...})."""
    # Settings and the database URL travel in the environment, not in argv (ps would show them).
    argv = [sys.executable, __file__, "--child", kind]
    if profile:
        argv += ["--profile-lines", str(profile)]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, env={**os.environ, **environ})
    if result.returncode != 0 or not result.stdout.strip():
        tail = (result.stderr or result.stdout).strip().splitlines()[-12:]
        return {"error": "\n".join(tail) or f"exit status {result.returncode}"}
    lines = result.stdout.strip().splitlines()
    data = json.loads(lines[-1])
    if len(lines) > 1:
        data["output"] = "\n".join(lines[:-1])
    return data


def child_main(kind: str, profile_lines: int) -> None:
    """Inside the child: do one thing, print a JSON line with its time and the process's peak RSS."""
    sys.path.insert(0, str(ROOT))
    baseline = status_kb("VmRSS")
    if kind == "raw":
        data = child_raw_read()
    else:
        data = child_sync(kind, profile_lines)
    data["peak_rss_mb"] = status_kb("VmHWM") / 1024
    data["baseline_rss_mb"] = baseline / 1024
    print(json.dumps(data))


def child_raw_read() -> dict[str, Any]:
    """(b) ldap3's paged read of the same attributes, users and groups, as the sync account."""
    import ldap3  # noqa: PLC0415

    environ = dict(os.environ)
    user_attrs, group_attrs = read_attributes(environ)
    page = int(environ["NC_COOP_LDAP_PAGE_SIZE"])
    cpu = cpu_mark()
    started = time.perf_counter()
    server = ldap3.Server(environ["NC_COOP_LDAP_URL"], get_info=ldap3.NONE)
    conn = ldap3.Connection(server, environ["NC_COOP_LDAP_BIND_DN"], environ["NC_COOP_LDAP_BIND_PASSWORD"],
                            auto_bind=True, read_only=True, return_empty_attributes=False)
    counts, parts = {}, {}
    for name, base, filt, attrs in (("users", environ["NC_COOP_LDAP_USER_BASE"], USER_FILTER, user_attrs),
                                    ("groups", environ["NC_COOP_LDAP_GROUP_BASE"], GROUP_FILTER, group_attrs)):
        entries = values = 0
        part_started = time.perf_counter()
        seen: set[str] = set()  # what any reader keeps at least: the ids it saw
        for entry in conn.extend.standard.paged_search(base, filt, attributes=attrs, paged_size=page,
                                                       generator=True):
            if entry.get("type") != "searchResEntry":
                continue
            entries += 1
            attributes = entry["attributes"]
            seen.add(str(attributes.get("entryUUID")))
            values += len(attributes.get("member") or ())
        if conn.result["result"] != 0:  # ldap3 does not raise on sizeLimitExceeded (see ldap/README.md)
            raise RuntimeError(f"incomplete read of {base}: {conn.result}")
        counts[name] = entries
        parts[name] = time.perf_counter() - part_started
        if name == "groups":
            counts["member_values"] = values
    conn.unbind()
    return {"seconds": time.perf_counter() - started, "counts": counts, "parts": parts, "cpu": cpu_used(cpu)}


def child_sync(kind: str, profile_lines: int) -> dict[str, Any]:
    """(c)-(e) one run_sync through the real package, with the settings from the environment."""
    from nc_coop.db import make_engine  # noqa: PLC0415

    try:
        from nc_coop.ldapsync.job import run_sync  # noqa: PLC0415
        from nc_coop.ldapsync.settings import load_ldap_settings  # noqa: PLC0415
    except ImportError as exc:
        raise SystemExit(f"nc_coop.ldapsync is not usable yet ({exc}); the sync figures need it") from exc
    settings = load_ldap_settings(dict(os.environ))
    engine = make_engine(os.environ["NC_COOP_BENCH_CHILD_URL"])  # run_sync takes an Engine or a Database
    profiler = None
    if profile_lines:
        import cProfile  # noqa: PLC0415

        profiler = cProfile.Profile()
    marks: dict[str, float] = {}
    writes: list[float] = []

    def progress(phase: str, _done: int, _total: int | None) -> None:
        # After each page ("users", "groups") and after each write step ("write"): when it happened.
        if phase == "write":
            writes.append(time.perf_counter())
        else:
            marks[phase] = time.perf_counter()

    cpu = cpu_mark()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    report = run_sync(engine, settings, full=(kind == "full"), dry_run=False, force=False, actor="ldap-bench",
                      progress=progress)
    if profiler:
        profiler.disable()
    ended = time.perf_counter()
    used = cpu_used(cpu)  # before dispose(): the database's backends end with their connections
    seconds = ended - started
    phases = {}
    if "users" in marks and "groups" in marks and len(writes) >= 2:
        # run_sync reads groups, then users, in a thread of its own, and writes each page (with its
        # users' organisation users) while later ones are read; "groups"/"users" mark the last
        # page read. Its first "write" step comes when the writer has caught up with the read,
        # its last after the missing entries and the remaining organisation users; the commit follows.
        phases = {"start + read groups": marks["groups"] - started,
                  "read users (pages written meanwhile)": marks["users"] - marks["groups"],
                  "writes still queued after the read": writes[0] - marks["users"],
                  "missing + org users left": writes[-1] - writes[0], "commit": ended - writes[-1]}
    engine.dispose()
    if profiler:
        import io  # noqa: PLC0415
        import pstats  # noqa: PLC0415

        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(profile_lines)
        print(buffer.getvalue())
    return {"seconds": seconds, "run_id": report.run_id, "mode": report.mode, "applied": report.applied,
            "counts": dict(report.counts), "errors": list(report.errors), "phases": phases, "cpu": used}


def server_cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) so far of the servers on this machine: every process named
    postgres and slapd. Read before and after a run, the difference is the servers' share of its
    work (on a quiet machine: autovacuum and others add a little)."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals = {"postgres": 0.0, "slapd": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        if name in totals:
            fields = text[text.rindex(")") + 2:].split()
            totals[name] += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return totals


def cpu_used(before: tuple[float, dict[str, float]]) -> dict[str, float]:
    """CPU seconds since ``before`` (``cpu_mark()``): this process (all threads) and the servers."""
    own, servers = before
    times = os.times()
    now = server_cpu_seconds()
    return {"process": times.user + times.system - own, **{k: now[k] - servers[k] for k in now}}


def cpu_mark() -> tuple[float, dict[str, float]]:
    times = os.times()
    return times.user + times.system, server_cpu_seconds()


def status_kb(key: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- (e) 1% of the directory changes ------------------------------------------------------------------

@dataclass
class Changes:
    users: int = 0  # people whose entry changed (mail or display name)
    moves: int = 0  # people moved from one organisation to another
    groups: set[int] = field(default_factory=set)  # organisations whose member list changed
    new_mails: dict[str, str] = field(default_factory=dict)  # uid -> new mail
    seconds: float = 0.0


def change_directory(ldap: Ldap, directory: Directory, rng: random.Random, round_no: int, workdir: Path) -> Changes:
    """ldapmodify as the rootdn: 1% of the users get a new mail (or display name), 0.1% move groups."""
    changes = Changes()
    n = len(directory.people)
    lines: list[str] = []
    for index in rng.sample(range(n), max(1, n // 100)):
        person = directory.people[index]
        lines.append(f"dn: {directory.user_dn(index)}\nchangetype: modify\n")
        if rng.random() < 0.5:
            person.mail = f"{person.uid}@neu{round_no}.example"
            changes.new_mails[person.uid] = person.mail
            lines.append(f"replace: mail\nmail: {person.mail}\n-\n\n")
        else:  # a marriage: a double family name
            person.display = f"{person.given} {person.family}-{rng.choice(FAMILY)}"
            lines.append("replace: displayName\n" + ldif_line("displayName", person.display) + "-\n\n")
        changes.users += 1
    movable = [g for g, m in enumerate(directory.members) if len(m) >= 2]  # groupOfNames needs one member
    for _ in range(max(1, n // 1000)):
        source = rng.choice(movable)
        target = rng.randrange(len(directory.groups))
        person = rng.choice(directory.members[source])
        if target == source or person in directory.members[target] or len(directory.members[source]) < 2:
            continue
        directory.members[source].remove(person)
        directory.members[target].append(person)
        dn = directory.user_dn(person)
        lines.append(f"dn: {directory.group_dn(source)}\nchangetype: modify\ndelete: member\nmember: {dn}\n-\n\n")
        lines.append(f"dn: {directory.group_dn(target)}\nchangetype: modify\nadd: member\nmember: {dn}\n-\n\n")
        changes.moves += 1
        changes.groups.update((source, target))
    path = workdir / f"changes-{round_no}.ldif"
    path.write_text("".join(lines), encoding="utf-8")
    started = time.perf_counter()
    subprocess.run(["ldapmodify", "-x", "-H", ldap.url, "-D", ldap.admin_dn, "-w", ldap.admin_password,
                    "-f", str(path)], env=ldap_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    changes.seconds = time.perf_counter() - started
    return changes


# --- The register ---------------------------------------------------------------------------------------

@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    from sqlalchemy import text  # noqa: PLC0415
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    from nc_coop.db import make_engine, normalise_url  # noqa: PLC0415

    if kind == "sqlite":
        path = workdir / "bench.sqlite3"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    base = os.environ.get("NC_COOP_BENCH_DATABASE_URL", DEFAULT_PG_URL)
    schema = f"bench_{secrets.token_hex(5)}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(normalise_url(base)).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def migrate_empty(url: str) -> str:
    """nc_coop.migrate.upgrade on the empty database; returns the database's name and version."""
    from nc_coop import migrate  # noqa: PLC0415
    from nc_coop.db import make_engine  # noqa: PLC0415

    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                return "PostgreSQL " + conn.exec_driver_sql("SHOW server_version").scalar().split()[0]
            return "SQLite " + conn.exec_driver_sql("SELECT sqlite_version()").scalar()
    finally:
        engine.dispose()


# What the register holds after a sync. The ldap_* tables are the sync's own (nc_coop/ldapsync/models.py).
COUNT_QUERIES = {
    "parties": "SELECT COUNT(*) FROM party",
    "accounts": "SELECT COUNT(*) FROM account",
    "users": "SELECT COUNT(*) FROM ldap_entry WHERE kind = 'user'",
    "users_linked": "SELECT COUNT(*) FROM ldap_entry WHERE kind = 'user' "
                    "AND (party_id IS NOT NULL OR account_id IS NOT NULL)",
    "users_with_account": "SELECT COUNT(*) FROM ldap_entry WHERE kind = 'user' AND account_id IS NOT NULL",
    "users_with_party": "SELECT COUNT(*) FROM ldap_entry WHERE kind = 'user' AND party_id IS NOT NULL",
    "orgs": "SELECT COUNT(*) FROM ldap_entry WHERE kind = 'group'",
    "orgs_with_party": "SELECT COUNT(*) FROM ldap_entry WHERE kind = 'group' AND party_id IS NOT NULL",
    "org_users_active": "SELECT COUNT(*) FROM ldap_org_user WHERE ended_at IS NULL",
    "missing": "SELECT COUNT(*) FROM ldap_entry WHERE missing_since_run_id IS NOT NULL",
    "audit_events": "SELECT COUNT(*) FROM audit_event",
}


def register_counts(url: str, marker: str | None = None) -> dict[str, int]:
    """Row counts (see COUNT_QUERIES); with ``marker``, also the ldap_entry rows whose stored
    attributes contain it (the changed mail addresses of step (e))."""
    from sqlalchemy import text  # noqa: PLC0415
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

    from nc_coop.db import make_engine  # noqa: PLC0415

    engine = make_engine(url)
    counts: dict[str, int] = {}
    try:
        for name, query in COUNT_QUERIES.items():
            try:
                with engine.connect() as conn:
                    counts[name] = conn.execute(text(query)).scalar()
            except DBAPIError:  # a table that this version of the sync does not have
                counts[name] = -1
        if marker:
            with engine.connect() as conn:
                counts["entries_with_new_mail"] = conn.execute(
                    text("SELECT COUNT(*) FROM ldap_entry WHERE attrs LIKE :m"), {"m": f"%{marker}%"}).scalar()
        return counts
    finally:
        engine.dispose()


def check_register(counts: dict[str, int], directory: Directory, result: dict[str, Any]) -> list[str]:
    """Cheap proof that a sync did its work: every user and organisation is linked, every membership there."""
    people, orgs, memberships = len(directory.people), len(directory.groups), directory.memberships
    expected = {"users": people, "users_linked": people, "orgs": orgs, "orgs_with_party": orgs,
                "org_users_active": memberships, "missing": 0}
    problems = [f"{name} = {counts.get(name)}, expected {want:,}" for name, want in expected.items()
                if counts.get(name) != want]
    if result.get("errors"):
        problems.append(f"sync errors: {result['errors'][:3]}")
    return problems


# --- Per database ---------------------------------------------------------------------------------------

def bench_database(db: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """All steps for one database, against a freshly loaded directory (the same one for each database)."""
    out: dict[str, Any] = {}
    slapd_dir = workdir / f"slapd-{db}"
    try:
        print(f"[{db}] generating {args.users:,} users and {args.users // 20:,} organisations ...", flush=True)
        started = time.perf_counter()
        ldif = workdir / "directory.ldif"
        directory = Generator(args.users, args.seed).write(ldif)
        out["generate_s"], out["ldif_mb"] = time.perf_counter() - started, ldif.stat().st_size / 1e6
        out["directory"] = directory
        print(f"[{db}] loading with ldap/slapd.sh start (slapadd) ...", flush=True)
        started = time.perf_counter()
        info = start_slapd(slapd_dir, ldif)
        out["load_s"] = time.perf_counter() - started
        ldif.unlink()
        ldap = Ldap(info["LDAP_URL"], info["LDAP_BASE"], info["LDAP_ADMIN_DN"], info["LDAP_ADMIN_PASSWORD"])
        environ = sync_environment(ldap, args.page_size)
        user_attrs, group_attrs = read_attributes(environ)
        out["attributes"] = (user_attrs, group_attrs)
        print(f"[{db}] (a) ldapsearch, best of 3 after a warm-up ...", flush=True)
        measure_ldapsearch(ldap, args.page_size, user_attrs, group_attrs)
        out["ldapsearch_s"] = min(measure_ldapsearch(ldap, args.page_size, user_attrs, group_attrs)
                                  for _ in range(3))
        with database(db, workdir) as url:
            out["version"] = migrate_empty(url)
            child_env = {**environ, "NC_COOP_BENCH_CHILD_URL": url}
            print(f"[{db}] (b) ldap3 raw paged read ...", flush=True)
            out["raw"] = run_child("raw", environ)
            print(f"[{db}] (c) full sync into the empty register{' (profiled)' if args.profile else ''} ...",
                  flush=True)
            out["full"] = run_child("full", child_env, profile=args.profile)
            if "error" in out["full"]:
                return out
            out["after_full"] = register_counts(url)
            out["problems"] = check_register(out["after_full"], directory, out["full"])
            time.sleep(1.1)  # past the one-second resolution of modifyTimestamp
            print(f"[{db}] (d) no-change incremental sync ...", flush=True)
            out["no_change"] = run_child("incremental", child_env)
            time.sleep(1.1)
            print(f"[{db}] (e) changing 1% of the users, moving 0.1% between organisations ...", flush=True)
            # The same changes for each database: the generator of changes starts from the seed each time.
            out["changes"] = change_directory(ldap, directory, random.Random(args.seed + 1), 1, workdir)
            time.sleep(1.1)
            print(f"[{db}] (e) 1%-changed incremental sync ...", flush=True)
            out["changed"] = run_child("incremental", child_env)
            out["after_changed"] = register_counts(url, marker="@neu1.example")
            if "error" not in out["changed"]:
                out["problems"] += [f"after (e): {p}" for p in
                                    check_register(out["after_changed"], directory, out["changed"])]
                arrived, sent = out["after_changed"]["entries_with_new_mail"], len(out["changes"].new_mails)
                if arrived != sent:
                    out["problems"].append(f"after (e): {arrived} of {sent} changed mails in ldap_entry")
    finally:
        stop_slapd(slapd_dir)
        shutil.rmtree(slapd_dir, ignore_errors=True)
    return out


# --- Report ---------------------------------------------------------------------------------------------

def verdict(good: bool) -> str:
    return "PASS" if good else "FAIL"


def machine_line(when: str) -> str:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"load average {load} {when}"


def versions() -> str:
    import ldap3  # noqa: PLC0415

    slapd = subprocess.run(["/usr/sbin/slapd", "-VV"], capture_output=True, text=True, check=False)
    words = (slapd.stderr or slapd.stdout).split("slapd ", 1)[-1].split()
    return f"Python {sys.version.split()[0]}, ldap3 {ldap3.__version__}, OpenLDAP slapd {words[0] if words else '?'}"


def code_fingerprint() -> str:
    """The commit and a hash of nc_coop/ldapsync/*.py as they are on disk (uncommitted work included),
    so that figures can be matched to the code that produced them."""
    import hashlib  # noqa: PLC0415

    digest = hashlib.sha256()
    for path in sorted((ROOT / "nc_coop" / "ldapsync").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=False).stdout.strip() or "?"
    return f"commit {head}, nc_coop/ldapsync/*.py sha256 {digest.hexdigest()[:12]}"


def ok(result: dict[str, Any], key: str) -> bool:
    return key in result and "error" not in result[key]


def ratio(result: dict[str, Any]) -> float | None:
    if ok(result, "full") and ok(result, "raw") and result["raw"]["seconds"] > 0:
        return result["full"]["seconds"] / result["raw"]["seconds"]
    return None


def report(args: argparse.Namespace, results: dict[str, dict[str, Any]], start_load: str, code: str) -> None:
    dbs = list(results)
    print()
    print(f"nc_coop LDAP sync benchmark, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {versions()}")
    print(f"machine: {os.cpu_count()} CPU(s), {start_load}, {machine_line('at the end')}")
    now = code_fingerprint()
    print(f"sync code: {code}" + ("" if now == code else f"; CHANGED DURING THE RUN to {now}: figures mixed"))
    directory = next((r["directory"] for r in results.values() if "directory" in r), None)
    if directory:
        orgs = len(directory.groups)
        print(f"directory: {len(directory.people):,} users ({directory.member_numbers - orgs:,} with a member "
              f"number, {directory.quotas:,} with a quota), {orgs:,} organisations, "
              f"{directory.memberships:,} memberships; page size {args.page_size}; loaded afresh for each database")
    first = results[dbs[0]]
    if "attributes" in first:
        print(f"attributes read: users {' '.join(first['attributes'][0])}; groups {' '.join(first['attributes'][1])}")
    if args.profile:
        print("NOTE: the full sync ran under cProfile; its time and ratio are not comparable")
    print()

    def line(label: str, cells: list[str], target: str = "") -> None:
        print(f"{label:<48}" + "".join(f"{c:>24}" for c in cells) + (f"   {target}" if target else ""))

    def cell(db: str, key: str, fmt: str = "{:.2f} s", name: str = "seconds") -> str:
        data = results[db].get(key)
        if data is None:
            return "-"
        if isinstance(data, dict):
            return "error" if "error" in data else fmt.format(data[name])
        return fmt.format(data)

    line("", [results[d].get("version", d) for d in dbs])
    line("generate LDIF", [cell(d, "generate_s", "{:.1f} s") for d in dbs])
    line("slapd.sh start (slapadd + start)", [cell(d, "load_s", "{:.1f} s") for d in dbs])
    line("(a) ldapsearch users + groups (the floor)", [cell(d, "ldapsearch_s") for d in dbs])
    line("(b) ldap3 raw paged read, users + groups", [cell(d, "raw") for d in dbs])
    line("    of which users / groups",
         [f"{r['raw']['parts']['users']:.2f} / {r['raw']['parts']['groups']:.2f} s" if ok(r, "raw") else "-"
          for r in results.values()])
    line("    entries read: users / groups / members",
         [f"{r['raw']['counts']['users']:,}/{r['raw']['counts']['groups']:,}/{r['raw']['counts']['member_values']:,}"
          if ok(r, "raw") else "-" for r in results.values()])
    line("(c) full sync into an empty register", [cell(d, "full") for d in dbs])
    names = next((list(r["full"]["phases"]) for r in results.values() if ok(r, "full") and r["full"].get("phases")),
                 [])
    for phase in names:
        line(f"    {phase}", [f"{r['full']['phases'][phase]:.2f} s" if ok(r, "full") and r["full"].get("phases")
                               else "-" for r in results.values()])
    for key, label in (("raw", "(b)"), ("full", "(c)")):
        line(f"    CPU of {label}: this process / database / slapd",
             [f"{r[key]['cpu']['process']:.1f} / {r[key]['cpu']['postgres']:.1f} / {r[key]['cpu']['slapd']:.1f} s"
              if ok(r, key) and "cpu" in r[key] else "-" for r in results.values()])
    line("(d) no-change incremental sync", [cell(d, "no_change") for d in dbs], f"<= {TARGETS['no_change_s']:g} s")
    line("(e) 1%-changed incremental sync", [cell(d, "changed") for d in dbs], f"<= {TARGETS['changed_s']:g} s")
    line("    changed users / moves / orgs changed",
         [f"{r['changes'].users:,} / {r['changes'].moves:,} / {len(r['changes'].groups):,}" if "changes" in r
          else "-" for r in results.values()])
    line("    ldapmodify of these changes (not in (e))",
         [f"{r['changes'].seconds:.2f} s" if "changes" in r else "-" for r in results.values()])
    line("(f) peak RSS: ldap3 raw read", [cell(d, "raw", "{:.0f} MB", "peak_rss_mb") for d in dbs])
    for key, label in (("full", "full sync"), ("no_change", "no-change incremental"),
                       ("changed", "1%-changed incremental")):
        line(f"    peak RSS: {label}", [cell(d, key, "{:.0f} MB", "peak_rss_mb") for d in dbs],
             f"<= {TARGETS['rss_mb']:g} MB")
    line("    RSS before the sync (interpreter, imports)", [cell(d, "full", "{:.0f} MB", "baseline_rss_mb")
                                                          for d in dbs])
    ratios = {d: ratio(results[d]) for d in dbs}
    line("(g) full sync / ldap3 raw read", [f"{ratios[d]:.2f}x" if ratios[d] else "-" for d in dbs],
         f"<= {TARGETS['ratio']:g}x")
    line("    full sync / ldapsearch", [f"{r['full']['seconds'] / r['ldapsearch_s']:.1f}x"
                                        if ok(r, "full") and "ldapsearch_s" in r else "-" for r in results.values()])
    print()
    for d in dbs:
        r = results[d]
        for key, label in (("full", "full"), ("no_change", "no-change"), ("changed", "1%-changed")):
            if ok(r, key):
                print(f"{d:>10}: {label} sync: run {r[key]['run_id']}, mode {r[key]['mode']}, "
                      f"applied {r[key]['applied']}, counts {r[key]['counts']}")
                if r[key]["errors"]:
                    print(f"{'':>12}errors: {r[key]['errors']}")
        for key, label in (("after_full", "after (c)"), ("after_changed", "after (e)")):
            if key in r:
                print(f"{d:>10}: register {label}: {r[key]}")
        if "problems" in r:
            print(f"{d:>10}: correctness: " + ("ok" if not r["problems"] else "FAILED: " + "; ".join(r["problems"])))
        if r.get("full", {}).get("output"):
            print(f"{d:>10}: cProfile of the full sync:\n{r['full']['output']}")
    print()
    for d in dbs:
        r = results[d]
        checks = [("full <= 1.5x ldap3 raw", bool(ratios[d]) and ratios[d] <= TARGETS["ratio"]),
                  ("no-change <= 1 s", ok(r, "no_change") and r["no_change"]["seconds"] <= TARGETS["no_change_s"]),
                  ("1%-changed <= 5 s", ok(r, "changed") and r["changed"]["seconds"] <= TARGETS["changed_s"]),
                  ("peak RSS <= 250 MB", all(ok(r, k) and r[k]["peak_rss_mb"] <= TARGETS["rss_mb"]
                                             for k in ("full", "no_change", "changed"))),
                  ("register correct", "problems" in r and not r["problems"])]
        print(f"{d:>10}: " + ", ".join(f"{name} {verdict(good)}" for name, good in checks))
        for key in ("raw", "full", "no_change", "changed"):
            if key in r and "error" in r[key]:
                print(f"{'':>12}{key} failed: {r[key]['error']}")
        if "failed" in r:
            print(f"{'':>12}failed: {r['failed']}")


# --- Main -----------------------------------------------------------------------------------------------

def _terminate(signum: int, _frame: Any) -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C, so that the finally blocks stop slapd and clean up."""
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000, help="people (default 100000); organisations: users/20")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--profile", nargs="?", type=int, const=15, default=0, metavar="LINES",
                        help="run the full sync under cProfile and print the top LINES by cumulative time "
                             "(default 15); its time is then not comparable")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--profile-lines", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child, args.profile_lines)
        return 0
    sys.path.insert(0, str(ROOT))
    if args.users < 100:
        parser.error("--users must be at least 100")
    for tool in ("/usr/sbin/slapd", shutil.which("ldapsearch"), shutil.which("ldapmodify")):
        if not tool or not Path(tool).exists():
            print("needs Debian's slapd and ldap-utils: apt-get install slapd ldap-utils", file=sys.stderr)
            return 2
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    start_load = machine_line("at the start")
    code = code_fingerprint()
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    workdir = Path(tempfile.mkdtemp(prefix="nc_coop_ldapbench_"))
    results: dict[str, dict[str, Any]] = {}
    try:
        for db in dbs:
            try:
                results[db] = bench_database(db, args, workdir)
            except Exception as exc:  # noqa: BLE001 - go on with the next one
                detail = getattr(exc, "stderr", None) or ""
                print(f"[{db}] failed: {type(exc).__name__}: {exc} {detail}".rstrip(), flush=True)
                results[db] = {"version": db, "failed": f"{type(exc).__name__}: {exc}"}
                if os.environ.get("NC_COOP_BENCH_DEBUG"):
                    raise
        report(args, results, start_load, code)
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        for slapd_dir in workdir.glob("slapd-*"):
            stop_slapd(slapd_dir)
        shutil.rmtree(workdir, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
