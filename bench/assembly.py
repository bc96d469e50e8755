# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""General-assembly benchmark (issue 14): 10,000 voters each submitting a ballot on 20 secret items,
then the close and the tally of 10,000 × 20 ballots, on SQLite and PostgreSQL.

Per database: the real migrations on an empty database, statute version 1, 10,000 natural-person
members with a Nextcloud login bulk-inserted (Core ``executemany``; no audit events for these
rows), then through ``nc_coop.assembly.services`` only: create, 20 items, convene, open voting
(freezes the roll), 10,000 submissions (one ``cast`` per voter with all 20 items, each in its own
transaction and commit, timed from the call to the commit), close (moves the sealed pool into
``assembly_ballot``), tally.

Usage::

    .venv/bin/python bench/assembly.py                       # 10,000 voters, both databases
    .venv/bin/python bench/assembly.py --db sqlite --voters 2000

PostgreSQL: ``NC_COOP_BENCH_DATABASE_URL`` (default postgresql://postgres@127.0.0.1:5432/test), in
a fresh schema dropped at the end. Figures with PASS/FAIL; the exit status is 0 regardless.
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from nc_coop import migrate  # noqa: E402
from nc_coop.assembly import services  # noqa: E402
from nc_coop.db import make_engine, postgres_scratch_schema  # noqa: E402
from nc_coop.register.models import Account, Membership, Party, ShareEntry, StatuteVersionRow  # noqa: E402
from nc_coop.register.services import Actor  # noqa: E402
from nc_coop.register.statute import StatuteParams  # noqa: E402
from nc_coop.register.statutes import add_statute_version  # noqa: E402

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGETS = {"submit_p99_ms": 100.0, "tally_s": 2.0}
HELD_ON = date(2026, 6, 20)
BOARD = Actor("board", "bench")
ITEMS = 20


@contextmanager
def database(kind: str) -> Iterator[Engine]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
            yield engine
            engine.dispose()
        return
    with postgres_scratch_schema(os.environ.get("NC_COOP_BENCH_DATABASE_URL", DEFAULT_PG_URL), "bench") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def load_members(engine: Engine, voters: int, rng: random.Random) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        add_statute_version(session, actor="bench", version=1, adopted_at=date(2019, 5, 1),
                            registered_at=date(2019, 7, 1),
                            params=StatuteParams(share_nominal_cents=10_000, assembly_virtual_allowed=True,
                                                 multiple_votes_max=3, multiple_votes_shares_per_vote=10))
        statute_id = session.scalar(select(StatuteVersionRow.id))
        ids = range(1, voters + 1)
        session.execute(insert(Party), [{"id": i, "kind": "natural", "given_names": "Erika", "family_name": f"M{i}",
                                         "postal_address": "Hauptstr. 1", "created_at": now} for i in ids])
        session.execute(insert(Account), [{"id": i, "nextcloud_user_id": f"user{i}", "party_id": i, "role": "self",
                                           "created_at": now} for i in ids])
        session.execute(insert(Membership), [{"id": i, "member_no": i, "party_id": i, "kind": "regular",
                                              "admitted_on": date(2020, 1, 1), "statute_version_id": statute_id,
                                              "recorded_at": now, "actor": "bench"} for i in ids])
        session.execute(insert(ShareEntry), [{"membership_id": i, "kind": "subscribe_mandatory",
                                              "delta": rng.choice([1, 1, 1, 2, 5, 12, 25, 40]),
                                              "effective_date": date(2020, 1, 1), "recorded_at": now, "actor": "bench",
                                              "statute_version_id": statute_id} for i in ids])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(kind: str, voters: int, seed: int) -> dict[str, float | str]:
    rng = random.Random(seed)
    figures: dict[str, float | str] = {}
    with database(kind) as engine:
        t = time.perf_counter()
        migrate.upgrade(engine)
        load_members(engine, voters, rng)
        figures["setup_s"] = time.perf_counter() - t
        with Session(engine) as session:
            assembly = services.create_assembly(session, BOARD, title="GV 2026", form="virtual", held_on=HELD_ON,
                                                link="https://talk.example.org/gv")
            items = []
            for n in range(ITEMS):
                if n == ITEMS - 1:
                    items.append(services.add_item(session, BOARD, assembly_id=assembly.id, title="Wahl AR",
                                                   resolution_type="election", secret=True, seats=3,
                                                   candidates=["A", "B", "C", "D", "E"]).id)
                else:
                    items.append(services.add_item(session, BOARD, assembly_id=assembly.id, title=f"TOP {n + 1}",
                                                   resolution_type="statute_change" if n % 5 == 0 else "simple",
                                                   secret=n % 2 == 0).id)
            services.convene(session, BOARD, assembly_id=assembly.id, convened_on=date(2026, 6, 1))
            session.commit()
            t = time.perf_counter()
            roll = services.open_voting(session, BOARD, assembly_id=assembly.id)
            session.commit()
            figures["freeze_s"] = time.perf_counter() - t
            figures["votes_on_roll"] = roll.total_votes
            assembly_id = assembly.id
        latencies: list[float] = []
        order = list(range(1, voters + 1))
        rng.shuffle(order)
        t_all = time.perf_counter()
        for member in order:
            choices: dict[int, object] = {i: rng.choice(["yes", "yes", "no", "abstain"]) for i in items[:-1]}
            choices[items[-1]] = rng.sample(range(5), rng.randint(0, 3))
            with Session(engine) as session:
                t = time.perf_counter()
                services.cast(session, Actor(f"user{member}", "bench"), assembly_id=assembly_id,
                              membership_id=member, choices=choices, today=HELD_ON)
                session.commit()
                latencies.append((time.perf_counter() - t) * 1000)
        figures["casting_s"] = time.perf_counter() - t_all
        figures["submit_p50_ms"] = statistics.median(latencies)
        figures["submit_p95_ms"] = percentile(latencies, 95)
        figures["submit_p99_ms"] = percentile(latencies, 99)
        figures["submit_max_ms"] = max(latencies)
        with Session(engine) as session:
            t = time.perf_counter()
            figures["ballots"] = services.close_voting(session, BOARD, assembly_id=assembly_id, today=HELD_ON)
            session.commit()
            figures["close_s"] = time.perf_counter() - t
        if kind == "postgresql":
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE assembly_ballot")
        with Session(engine) as session:
            t = time.perf_counter()
            results = services.tally(session, assembly_id)
            figures["tally_s"] = time.perf_counter() - t
            figures["passed_items"] = sum(1 for r in results if r.decision and r.decision.passed)
            figures["elected"] = ",".join(str(c) for r in results if r.election for c in r.election.elected)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seed", type=int, default=20260620)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    load = os.getloadavg()
    print(f"assembly benchmark: {args.voters:,} voters x {ITEMS} items (one submission each), "
          f"{os.cpu_count()} CPU(s), load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    results = {kind: run(kind, args.voters, args.seed) for kind in kinds}
    rows = [("setup (migrate + bulk members)", "setup_s", "{:.1f} s"), ("open voting (freeze roll)", "freeze_s",
            "{:.2f} s"), ("votes on the roll", "votes_on_roll", "{:,}"), ("all submissions", "casting_s", "{:.1f} s"),
            ("submit p50", "submit_p50_ms", "{:.1f} ms"), ("submit p95", "submit_p95_ms", "{:.1f} ms"),
            ("submit p99", "submit_p99_ms", "{:.1f} ms"), ("submit max", "submit_max_ms", "{:.1f} ms"),
            ("close (pool -> ballots)", "close_s", "{:.2f} s"), ("ballots (one-vote rows)", "ballots", "{:,}"),
            ("tally", "tally_s", "{:.2f} s"), ("items passed", "passed_items", "{}"), ("elected", "elected", "{}")]
    print(f"{'':34}" + "".join(f"{k:>16}" for k in kinds))
    for label, key, fmt in rows:
        print(f"{label:34}" + "".join(f"{fmt.format(results[k][key]):>16}" for k in kinds))
    for kind in kinds:
        r = results[kind]
        p99 = "PASS" if float(r["submit_p99_ms"]) <= TARGETS["submit_p99_ms"] else "FAIL"
        tally = "PASS" if float(r["tally_s"]) <= TARGETS["tally_s"] else "FAIL"
        print(f"{kind:>10}: submit p99 <= 100 ms {p99}, tally <= 2 s {tally}")


if __name__ == "__main__":
    main()
