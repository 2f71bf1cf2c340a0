"""How long the pure engine takes to price one invoice.

A benchmark, not a test: it prints figures and checks nothing but that it
priced what it meant to. Two measurements:

1. ``price_invoice`` on prebuilt :class:`InvoiceFacts` for an agency of 300
   users with churn (every month a few leave, a few join, a few come back)
   and a year of usage history (12 :class:`PeriodUsage` entries computed from
   those same users), timed many times with ``timeit``;
2. the worked example ``acme-2026-11.json`` from its JSON text: parse, load
   through the scenario loader, price and serialise (the command line's
   work, without starting Python).

Run: ``.venv/bin/python bench/engine_bench.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import timeit
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from billing import (
    AccessSpan,
    CallTotals,
    Contract,
    Cycle,
    InvoiceFacts,
    MinuteBankCarry,
    PeriodUsage,
    SignalMode,
    SignalPlan,
    User,
    facts_from_scenario,
    invoice_to_json,
    price_invoice,
)
from billing.seats import headcount_on, user_days

CYCLE = Cycle.parse("2026-11")
HISTORY_PERIODS = 12
USERS = 300  # active at the cutoff of the priced cycle


def churned_users(active: int = USERS, seed: int = 2026) -> tuple[User, ...]:
    """An agency onboarded 13 months before ``CYCLE`` that grows to ``active``
    users at the cutoff, with churn all along.

    Every month 3–8 active users leave, 1–2 who left earlier come back (a
    second span, no second licence) and new users join to bring the roster to
    that month's target, on random days, so a join often comes before the
    leave that would have freed its seat. The closed period being priced has
    the same churn, so its seat walk has prorations and seat reuse to do.
    """
    rng = random.Random(seed)
    first = CYCLE.plus(-HISTORY_PERIODS).closed_period
    onboarded = first.start + timedelta(days=3)
    spans: dict[str, list[list[date | None]]] = {f"u{i}": [[onboarded, None]] for i in range(1, active - 23)}
    next_id = len(spans) + 1
    left: list[str] = []
    for month in range(-HISTORY_PERIODS, 1):  # 12 earlier periods, then the closed one
        period = CYCLE.plus(month).closed_period
        days = period.dates()
        target = active - 2 * (-month)  # grows by about two users a month
        current = [uid for uid, s in spans.items() if s[-1][1] is None]
        for uid in rng.sample(current, rng.randint(3, 8)):
            spans[uid][-1][1] = rng.choice(days[1:])
            left.append(uid)
        for uid in rng.sample(left, min(len(left), rng.randint(1, 2))):
            end = spans[uid][-1][1]
            later = [d for d in days if end is not None and d > end]
            if later:
                spans[uid].append([rng.choice(later), None])
                left.remove(uid)
        ending = sum(1 for s in spans.values() if s[-1][1] is None)
        for _ in range(max(0, target - ending)):
            spans[f"u{next_id}"] = [[rng.choice(days), None]]
            next_id += 1
    return tuple(User(uid, tuple(AccessSpan(a, b) for a, b in s)) for uid, s in spans.items())


def agency_facts(users: tuple[User, ...]) -> InvoiceFacts:
    rng = random.Random(7)
    history = []
    for month in range(-HISTORY_PERIODS, 0):
        cycle = CYCLE.plus(month)
        days = user_days(users, cycle.closed_period)
        history.append(PeriodUsage(cycle, int(days * rng.uniform(22, 28)), days))
    closed_days = user_days(users, CYCLE.closed_period)
    return InvoiceFacts(
        agency_id="A-BENCH",
        agency_name="Bench Insurance Group",
        cycle=CYCLE,
        onboarded_on=min(u.first_activation for u in users),
        contract=Contract(
            user_fee=Decimal("150.00"), minimum_users=250, minute_rate=Decimal("0.0150"),
            signal=SignalPlan(SignalMode.PER_USER, Decimal("25.00")), number_cleaning_rate=Decimal("0.50"),
            appointment_fee=Decimal("35.00"), transcription_rate=Decimal("0.0200"),
        ),
        seats_paid_in_advance=headcount_on(users, CYCLE.previous().cutoff),
        minute_bank=MinuteBankCarry(balance_at_previous_cutoff=12_000, credited_at_period_start=200_000),
        usage_history=tuple(rng.sample(history, len(history))),  # any order
        users=users,
        call_totals=CallTotals(billable_minutes=closed_days * 25, transcribed_seconds=closed_days * 600,
                               calls=closed_days * 9),
        active_numbers=420,
        completed_appointments=380,
    )


def measure(action: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds per call, one call per timing, after a warm-up."""
    timeit.repeat(action, number=1, repeat=min(50, runs))
    return [seconds * 1000 for seconds in timeit.repeat(action, number=1, repeat=runs)]


def report(label: str, ms: list[float]) -> None:
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18]
    print(f"{label}\n    median {statistics.median(ms):.3f} ms, p95 {p95:.3f} ms, "
          f"min {min(ms):.3f} ms, max {max(ms):.3f} ms ({len(ms)} runs)")


def acme_path() -> Path:
    shared = ROOT.parent / "shared" / "billing-examples" / "acme-2026-11.json"
    return shared if shared.is_file() else ROOT / "tests" / "fixtures" / "billing-examples" / "acme-2026-11.json"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000, help="timed runs per measurement (default 1000)")
    runs = parser.parse_args(argv).runs

    users = churned_users()
    facts = agency_facts(users)
    invoice = price_invoice(facts)
    walk = invoice.seat_walk
    print(f"Python {sys.version.split()[0]}; agency {facts.agency_id}, cycle {facts.cycle}")
    print(f"  {len(users)} user records, {sum(len(u.spans) for u in users)} access spans "
          f"({sum(len(u.spans) > 1 for u in users)} returning users), "
          f"{sum(any(s.end for s in u.spans) for u in users)} have left at some point")
    print(f"  closed period: {len(walk.steps)} seat events, {len(walk.prorated)} prorated; "
          f"{invoice.headcount_at_cutoff} active at cutoff, {invoice.user_days} user-days")
    print(f"  history: {len(facts.usage_history)} periods; rate over {len(invoice.minute_bank.rate.periods)} of them")
    print(f"  invoice: {len(invoice.lines)} lines, total ${invoice.total:,}")
    assert len(facts.usage_history) == HISTORY_PERIODS and walk.prorated and walk.steps

    report(f"price_invoice, {invoice.headcount_at_cutoff} users with churn and 12 periods of history (facts prebuilt):",
           measure(lambda: price_invoice(facts), runs))

    text = acme_path().read_text(encoding="utf-8")

    def acme() -> dict:
        return invoice_to_json(price_invoice(facts_from_scenario(json.loads(text))))

    assert acme()["total"] == "3688.10", "the acme example no longer prices as expected"
    report(f"acme-2026-11 parse + price: JSON text -> loader -> price_invoice -> invoice JSON ({acme_path().name}):",
           measure(acme, runs))
    acme_facts = facts_from_scenario(json.loads(text))
    report("  of which price_invoice alone (facts prebuilt):", measure(lambda: price_invoice(acme_facts), runs))


if __name__ == "__main__":
    main()
