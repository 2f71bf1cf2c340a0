"""How long a what-if takes for an agency of about 300 users.

A benchmark, not a test. A SQLite database is seeded through the demo seed
with agencies of 300 users (14 months, today 2026-12-01: cycle 2026-12 is
running); then, timed many times:

1. the whole use case (``services.whatif.what_if``): the stored facts
   exported as the scenario, the changes applied, the baseline and the
   what-if priced, and the next cycle (2027-01) the same way — what the
   invoice page waits for;
2. the engine's share: ``billing.whatif.apply_changes`` on the exported
   scenario plus loading and pricing it.

Run: ``.venv/bin/python bench/whatif_bench.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 12, 1)
CHANGES = {"add_users": [{"count": 10, "from": "2026-12-05"}], "deactivate_users": [{"count": 2, "on": "2026-12-10"}],
           "minutes_per_user_day": "14.5", "contract": {"minimum_users": 20, "user_fee": "140.00", "transcription_rate": None}}


def _median_ms(function, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    os.environ["BILLING_TODAY"] = TODAY.isoformat()

    from billing import Cycle, facts_from_scenario, price_invoice
    from billing.whatif import apply_changes, parse_changes
    from db.engine import create_database_engine
    from db.migrate import upgrade_to_head
    from services.access import SYSTEM
    from services.demo import SeedOptions, seed_demo
    from services.previews import scenario
    from services.unit_of_work import sessions_for
    from services.whatif import what_if

    with tempfile.TemporaryDirectory() as folder:
        engine = create_database_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade_to_head(engine)
        sessions = sessions_for(engine)
        started = time.perf_counter()
        seed_demo(SeedOptions(agencies=2, months=14, seed=3, today=TODAY, min_users=480, max_users=480), sessions=sessions)
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        cycle = Cycle.parse("2026-12")
        document = scenario("A-1001", cycle, sessions=sessions)
        users = sum(1 for u in document["users"] if any(s["to"] is None for s in u["access"]))
        print(f"agency A-1001: {len(document['users'])} users in the scenario ({users} active), "
              f"{len(document['calls'])} daily call records")
        result = what_if(SYSTEM, "A-1001", cycle, CHANGES, TODAY, sessions=sessions)
        assert result.current.invoice.total != result.current.baseline.total and result.following is not None
        service = _median_ms(lambda: what_if(SYSTEM, "A-1001", cycle, CHANGES, TODAY, sessions=sessions), args.runs)
        changes = parse_changes(CHANGES)
        engine_only = _median_ms(lambda: price_invoice(facts_from_scenario(apply_changes(document, changes, TODAY))),
                                 args.runs)
        print(f"what-if, whole use case (this cycle and the next): {service:.1f} ms (median of {args.runs})")
        print(f"what-if, engine share (apply changes, load, price): {engine_only:.1f} ms (median of {args.runs})")
        engine.dispose()


if __name__ == "__main__":
    main()
