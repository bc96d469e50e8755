# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Quota benchmark (issue 5 item 7): plan 100,000 users with 1 % changes; apply throughput
against slapd.

1. **Plan**, per database (SQLite and/or PostgreSQL): a register of 100,000 Nextcloud users is
   bulk-inserted into the migrated schema (``executemany`` in one transaction; no services, no
   audit events): 95,000 members who are natural persons (own account, membership, 1–4 share
   bookings), 1,000 member organisations (associations and companies) with 5 users each
   (accounts of non-member persons, linked through the LDAP sync's organisation users), half of
   the users LDAP users (``ldap_entry`` with the quota attribute), the others local, a policy
   version, and the current quota of every user (``quota_user_state``): what the policy gives,
   except for every 100th user. Then ``services.build_plan`` is timed: everything it reads from
   the database (accounts, organisation users, LDAP entries, memberships, exits, share sums,
   overrides, allocations, open changes, current values) plus the policy computation and the
   diff. Target: ≤ 5 s. The plan must hold exactly the 1 % of users whose quota differs.
2. **Apply**, against a throw-away slapd (``ldap/slapd.sh``) with ``--ldap-users`` generated
   users: the register is filled by the real LDAP sync, one change per user is queued, and
   - the whole apply path (claim, batched LDAP writes on one connection, record, audit; without
     Nextcloud's refresh search) is timed: users/s;
   - the writer alone (``DirectoryWriter.set_quotas`` on one connection) is timed: users/s.

Usage::

    .venv/bin/python bench/quota.py                        # 100,000 users, both databases
    .venv/bin/python bench/quota.py --db sqlite --users 20000 --ldap-users 500

PostgreSQL: ``NC_COOP_BENCH_DATABASE_URL`` (default postgresql://postgres@127.0.0.1:5432/test);
the benchmark works in a fresh schema that is dropped at the end. Figures are printed with
PASS/FAIL against the target; the exit status is 0 regardless (figures, not tests).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
PLAN_TARGET_S = 5.0
GB = 1024**3
TODAY = date.today()
NOW = datetime.now(UTC)
POLICY = {"base": {"natural/regular": 5 * GB, "natural/investing": 2 * GB, "association/regular": 50 * GB,
                   "legal_person/regular": 100 * GB}, "per_share": GB, "non_member": None}


# --- Data ----------------------------------------------------------------------------------------------

def generate(users: int) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[str]]]:
    """Rows per table (columns in ``columns``) for ``users`` users; deterministic."""
    organisations = max(users // 100, 1)
    staff = organisations * 5
    members = users - staff
    rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in ("party", "membership", "share_entry", "account",
                                                               "ldap_sync_run", "ldap_entry", "ldap_org_user")}
    columns = {
        "party": ["id", "kind", "legal_name", "family_name", "given_names", "postal_address", "created_at"],
        "membership": ["id", "member_no", "party_id", "kind", "admitted_on", "statute_version_id", "recorded_at", "actor"],
        "share_entry": ["id", "membership_id", "kind", "delta", "effective_date", "recorded_at", "actor",
                        "statute_version_id"],
        "account": ["id", "nextcloud_user_id", "party_id", "role", "created_at"],
        "ldap_sync_run": ["id", "started_at", "mode", "dry_run", "forced", "actor", "status", "complete", "counts",
                          "errors"],
        "ldap_entry": ["id", "entry_uuid", "kind", "dn", "uid", "attrs", "attr_hash", "party_id", "account_id",
                       "owns_party", "first_seen_run_id", "last_seen_run_id", "missing_full_runs"],
        "ldap_org_user": ["id", "group_entry_id", "user_entry_id", "org_party_id", "account_id", "since",
                          "since_run_id"],
    }
    rows["ldap_sync_run"].append((1, NOW, "full", False, False, "bench", "ok", True, "{}", ""))
    party_id = membership_id = share_id = entry_id = org_link = 0
    admitted = date(2020, 1, 1)

    def person(user_index: int, member: bool, ldap: bool) -> None:
        nonlocal party_id, membership_id, share_id, entry_id
        party_id += 1
        user_id = f"u{user_index:06d}"
        rows["party"].append((party_id, "natural", None, f"Name{user_index}", "Vorname", "Hauptstr. 1, 10115 Berlin",
                              NOW))
        rows["account"].append((party_id, user_id, party_id, "self", NOW))
        if member:
            membership_id += 1
            kind = "investing" if user_index % 20 == 0 else "regular"
            rows["membership"].append((membership_id, membership_id, party_id, kind, admitted, 1, NOW, "bench"))
            for booking in range(1 + user_index % 4):  # 1..4 bookings, 1 share each
                share_id += 1
                rows["share_entry"].append((share_id, membership_id, "subscribe_mandatory" if booking == 0 else
                                            "subscribe_additional", 1, admitted, NOW, "bench", 1))
        if ldap:
            entry_id += 1
            attrs = json.dumps({"display_name": f"Vorname Name{user_index}", "quota": None}, sort_keys=True)
            rows["ldap_entry"].append((entry_id, f"uuid-{user_index}", "user", f"uid={user_id},ou=people,dc=bench",
                                       user_id, attrs, "x", party_id, party_id, True, 1, 1, 0))

    for index in range(members):
        person(index, member=True, ldap=index % 2 == 0)  # every other member comes from LDAP
    for org in range(organisations):
        party_id += 1
        org_party = party_id
        kind = "association" if org % 2 == 0 else "legal_person"
        rows["party"].append((org_party, kind, f"Organisation {org}", None, None, "Weg 2, 20095 Hamburg", NOW))
        membership_id += 1
        rows["membership"].append((membership_id, membership_id, org_party, "regular", admitted, 1, NOW, "bench"))
        share_id += 1
        rows["share_entry"].append((share_id, membership_id, "subscribe_mandatory", 3, admitted, NOW, "bench", 1))
        entry_id += 1
        group_entry = entry_id
        rows["ldap_entry"].append((group_entry, f"group-{org}", "group", f"cn=g{org},ou=groups,dc=bench", None, "{}",
                                   "x", org_party, None, True, 1, 1, 0))
        for member in range(5):
            index = members + org * 5 + member
            person(index, member=False, ldap=True)  # organisation users are group members
            org_link += 1
            rows["ldap_org_user"].append((org_link, group_entry, entry_id,
                                          org_party, party_id, NOW, 1))
    return rows, columns


LOAD_ORDER = ["party", "membership", "share_entry", "account", "ldap_sync_run", "ldap_entry", "ldap_org_user"]


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    from nc_coop.db import postgres_scratch_schema

    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'quota-bench.sqlite3'}"
        return
    with postgres_scratch_schema(os.environ.get("NC_COOP_BENCH_DATABASE_URL", DEFAULT_PG_URL), "qbench") as url:
        yield url


def load(url: str, users: int) -> tuple[Any, str]:
    """Migrate, statute version 1, bulk rows, policy, current quotas (1 % off). Returns the engine."""
    from sqlalchemy import column, insert, table, text
    from sqlalchemy.orm import Session

    from nc_coop import migrate
    from nc_coop.db import make_engine
    from nc_coop.quota.facts import load_facts
    from nc_coop.quota.services import desired_quotas
    from nc_coop.quota.models import QuotaPolicyVersion
    from nc_coop.register.statute import MandatoryShares, StatuteParams
    from nc_coop.register.statutes import add_statute_version

    engine = make_engine(url)
    migrate.upgrade(engine)
    params = StatuteParams(share_nominal_cents=10_000, notice_months=24, max_shares=200,
                           investing_members_allowed=True,
                           mandatory_shares=MandatoryShares(natural=1, legal_person=3, association=2, partnership=2,
                                                            public_body=3))
    with Session(engine) as session, session.begin():
        add_statute_version(session, actor="bench", version=1, adopted_at=date(2019, 1, 1),
                            registered_at=date(2019, 2, 1), params=params)
        session.add(QuotaPolicyVersion(params=json.dumps(
            {"base": {k: v for k, v in POLICY["base"].items()}, "per_share": POLICY["per_share"],
             "non_member": POLICY["non_member"]}), note="bench", created_at=NOW, actor="bench"))
    rows, columns = generate(users)
    with engine.begin() as conn:
        for name in LOAD_ORDER:
            tbl = table(name, *(column(c) for c in columns[name]))
            data = [dict(zip(columns[name], r, strict=True)) for r in rows[name]]
            for start in range(0, len(data), 20_000):
                conn.execute(insert(tbl), data[start:start + 20_000])
        if engine.dialect.name == "postgresql":
            for name in LOAD_ORDER:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {name}))"))
    # Current values: what the policy gives, except for every 100th user (who then changes).
    with Session(engine) as session:
        facts = load_facts(session, TODAY)
        desired = desired_quotas(session, facts, TODAY)
        facts_backend = {u: c.backend for u, c in facts.current.items()}
    state = table("quota_user_state", column("nextcloud_user_id"), column("backend"), column("amount"),
                  column("used_bytes"), column("display_name"), column("observed_at"))
    data = []
    for number, (user_id, want) in enumerate(sorted(desired.items())):
        amount = want.amount if want.amount is not None else None
        if number % 100 == 0:
            amount = (amount or 0) + GB  # differs: the plan must find it
        backend = facts_backend[user_id]
        data.append({"nextcloud_user_id": user_id, "backend": backend, "amount": amount, "used_bytes": GB,
                     "display_name": None, "observed_at": NOW})
    with engine.begin() as conn:
        for start in range(0, len(data), 20_000):
            conn.execute(insert(state), data[start:start + 20_000])
        conn.execute(text("ANALYZE"))
    with engine.connect() as conn:
        version = ("PostgreSQL " + conn.exec_driver_sql("SHOW server_version").scalar().split()[0]
                   if engine.dialect.name == "postgresql" else
                   "SQLite " + conn.exec_driver_sql("SELECT sqlite_version()").scalar())
    return engine, version


def bench_plan(kind: str, users: int, runs: int) -> dict[str, Any]:
    from sqlalchemy.orm import Session

    from nc_coop.quota.services import build_plan

    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        started = time.perf_counter()
        engine, version = load(url, users)
        loaded = time.perf_counter() - started
        times = []
        changes = 0
        try:
            for _ in range(runs):
                with Session(engine) as session:
                    start = time.perf_counter()
                    quota_plan = build_plan(session, TODAY)
                    times.append(time.perf_counter() - start)
                    changes = len(quota_plan.plan.changes)
                    known = len(quota_plan.facts.current)
        finally:
            engine.dispose()
    return {"db": version, "users": known, "load_s": loaded, "plan_s": sorted(times)[len(times) // 2],
            "plan_runs": times, "changes": changes}


# --- Apply against slapd ------------------------------------------------------------------------------

def ldif(count: int) -> str:
    parts = []
    for n in range(count):
        uid = f"b{n:06d}"
        classes = "objectClass: inetOrgPerson\n" + ("objectClass: nextcloudUser\nnextcloudQuota: 1 GB\n" if n % 2 else "")
        parts.append(f"dn: uid={uid},ou=people,dc=coop,dc=example\n{classes}uid: {uid}\ncn: Bench {n}\nsn: Bench\n"
                     f"displayName: Bench {n}\n")
    return "\n".join(parts)


def bench_apply(count: int) -> dict[str, Any]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session, sessionmaker

    from nc_coop import migrate
    from nc_coop.db import make_engine
    from nc_coop.ldapsync.job import run_sync
    from nc_coop.ldapsync.models import LdapEntry
    from nc_coop.ldapsync.settings import load_ldap_settings
    from nc_coop.ldapsync.writer import DirectoryWriter, QuotaWrite
    from nc_coop.quota.apply import Applier
    from nc_coop.quota.plan import LDAP, Change
    from nc_coop.quota.services import Actor, queue_changes
    from nc_coop.quota.settings import QuotaSettings

    script = ROOT / "ldap" / "slapd.sh"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "ldap"
        extra = Path(tmp) / "bench.ldif"
        extra.write_text(ldif(count), encoding="utf-8")
        started = subprocess.run(["bash", str(script), "start", str(work), str(ROOT / "ldap" / "demo.ldif"),
                                  str(extra)], capture_output=True, text=True, timeout=300, check=False)
        if started.returncode != 0:
            return {"error": f"slapd did not start: {started.stderr.strip()[-300:]}"}
        env = dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
        try:
            base = env["LDAP_BASE"]
            settings = load_ldap_settings({
                "NC_COOP_LDAP_URL": env["LDAP_URL"], "NC_COOP_LDAP_BIND_DN": f"cn=nc_coop-sync,ou=services,{base}",
                "NC_COOP_LDAP_BIND_PASSWORD": "sync-demo-password", "NC_COOP_LDAP_USER_BASE": f"ou=people,{base}",
                "NC_COOP_LDAP_PAGE_SIZE": "1000"})
            engine = make_engine(f"sqlite:///{Path(tmp) / 'apply.sqlite3'}")
            migrate.upgrade(engine)
            report = run_sync(engine, settings, full=True)
            assert report.status == "ok", report.errors
            with Session(engine) as session:
                uids = sorted(u for u in session.scalars(select(LdapEntry.uid).where(LdapEntry.kind == "user"))
                              if u and u.startswith("b"))
            with Session(engine) as session, session.begin():
                queue_changes(session, Actor("bench"), [Change(u, LDAP, None, 7 * GB, "bench") for u in uids])
            applier = Applier(sessionmaker(engine, expire_on_commit=False), None, QuotaSettings(), settings,
                              actor="bench", confirm=False)
            start = time.perf_counter()
            applied = applier.run()
            apply_s = time.perf_counter() - start
            with Session(engine) as session:
                targets = [QuotaWrite(n, dn, entry_uuid, str(3 * GB)) for n, (dn, entry_uuid) in enumerate(
                    session.execute(select(LdapEntry.dn, LdapEntry.entry_uuid).where(LdapEntry.uid.in_(uids))))]
            start = time.perf_counter()
            with DirectoryWriter(settings) as writer:
                results = writer.set_quotas(targets)
            writer_s = time.perf_counter() - start
            engine.dispose()
        finally:
            subprocess.run(["bash", str(script), "stop", str(work)], capture_output=True, timeout=60, check=False)
    return {"users": len(uids), "applied": applied.done, "failed": applied.failed + applied.refused,
            "apply_s": apply_s, "apply_rate": applied.done / apply_s if apply_s else 0.0,
            "writer_ok": sum(r.ok for r in results), "writer_s": writer_s,
            "writer_rate": len(results) / writer_s if writer_s else 0.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3, help="plan runs per database (the median counts)")
    parser.add_argument("--ldap-users", type=int, default=2000, help="users in the slapd for the apply figures")
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"Quota benchmark: plan {args.users:,} users with 1 % changes (target ≤ {PLAN_TARGET_S:.0f} s); "
          f"apply against slapd with {args.ldap_users:,} users")
    for kind in kinds:
        result = bench_plan(kind, args.users, args.runs)
        expected = -(-result["users"] // 100)
        ok = result["plan_s"] <= PLAN_TARGET_S and result["changes"] == expected
        print(f"  plan  {result['db']:<18} {result['users']:,} users, {result['changes']:,} changes "
              f"(expected {expected:,}): {result['plan_s']:.2f} s median of "
              f"{', '.join(f'{t:.2f}' for t in result['plan_runs'])} s; bulk load {result['load_s']:.1f} s  "
              f"{'PASS' if ok else 'FAIL'}")
    applied = bench_apply(args.ldap_users)
    if "error" in applied:
        print(f"  apply {applied['error']}")
    else:
        print(f"  apply slapd, full path (claim, batched LDAP writes on one connection, record, audit; no "
              f"Nextcloud refresh): {applied['applied']:,} of {applied['users']:,} users in {applied['apply_s']:.2f} s "
              f"= {applied['apply_rate']:,.0f} users/s ({applied['failed']} failed)")
        print(f"  apply slapd, writer alone (DirectoryWriter.set_quotas, one connection): {applied['writer_ok']:,} "
              f"writes in {applied['writer_s']:.2f} s = {applied['writer_rate']:,.0f} users/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
