"""How long the engine takes to price one invoice (issue: "well under 10 ms").

An agency with 300 users and churn (some leave and join every month, a few
come back) and a year of usage history; the facts are built once and priced
many times. Run: ``.venv/bin/python bench/engine_bench.py``.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import timeit
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from billing import (  # noqa: E402
    AccessSpan, CallTotals, Contract, Cycle, InvoiceFacts, MinuteBankCarry, PeriodUsage, SignalMode, SignalPlan, User,
    facts_from_scenario, price_invoice,
)


def agency_facts(users: int = 300, seed: int = 1) -> InvoiceFacts:
    rng = random.Random(seed)
    cycle = Cycle.parse("2026-11")
    onboarded = date(2025, 10, 6)
    people = []
    for index in range(users):
        start = onboarded if index < users * 0.7 else onboarded + timedelta(days=rng.randint(1, 400))
        spans = []
        while start < date(2026, 11, 24):
            length = rng.randint(20, 500)
            end = start + timedelta(days=length)
            if end >= date(2026, 12, 1) or rng.random() < 0.6:
                spans.append(AccessSpan(start, None))
                break
            spans.append(AccessSpan(start, end))
            start = end + timedelta(days=rng.randint(5, 90))  # a returning user
        people.append(User(f"u{index:03d}", tuple(spans)))
    history = tuple(PeriodUsage(cycle.plus(-i), rng.randint(80_000, 120_000), rng.randint(7_000, 9_000)) for i in range(1, 13))
    return InvoiceFacts(
        agency_id="A-BENCH", agency_name="Bench Insurance", cycle=cycle, onboarded_on=onboarded,
        contract=Contract(Decimal("150.00"), 250, Decimal("0.0150"), signal=SignalPlan(SignalMode.PER_USER, Decimal("25.00")),
                          number_cleaning_rate=Decimal("0.50"), appointment_fee=Decimal("35.00"),
                          transcription_rate=Decimal("0.0200")),
        seats_paid_in_advance=280, minute_bank=MinuteBankCarry(12_000, 90_000), usage_history=history,
        users=tuple(people), call_totals=CallTotals(105_000, 4_200_000, 40_000), active_numbers=180,
        completed_appointments=420,
    )


def _measure(label: str, action, number: int, repeat: int = 7) -> None:  # type: ignore[no-untyped-def]
    runs = [t / number * 1000 for t in timeit.repeat(action, number=number, repeat=repeat)]
    print(f"{label}: median {statistics.median(runs):.3f} ms, best {min(runs):.3f} ms, worst {max(runs):.3f} ms "
          f"({repeat} runs of {number})")


def main() -> None:
    facts = agency_facts()
    invoice = price_invoice(facts)
    spans = sum(len(u.spans) for u in facts.users)
    print(f"agency: {len(facts.users)} users, {spans} access spans, {len(facts.usage_history)} periods of history, "
          f"{len(invoice.lines)} lines, total ${invoice.total:,}")
    _measure("price one invoice (300 users, a year of history)", lambda: price_invoice(facts), number=200)
    scenario = json.loads((ROOT / "tests/fixtures/billing-examples/acme-2026-11.json").read_text())
    _measure("parse and price the acme scenario (JSON in, invoice out)", lambda: price_invoice(facts_from_scenario(scenario)),
             number=500)


if __name__ == "__main__":
    main()
