"""The demo portfolio: generated facts, past cycles issued, payments recorded.

``manage.py seed``, the app on an empty database, the tests and the
benchmarks all seed through :func:`seed_demo`. The data is generated and
written by :mod:`db.seed`; the past cycles are issued by the same use case
finance runs (:func:`services.issuing.issue_cycle`), back-dated to each
cycle's invoice morning, so the demo's invoices are real issued invoices.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import clock
from billing import Cycle
from db import seed
from db.queries.agencies import agency_count
from db.reset import reset_database
from db.seed import DEMO_ACCOUNTS, SEED_ACTOR, SEED_HOUR, ZONE, DemoAgency, Progress, SeedOptions

from .issuing import issue_cycle
from .review.service import approve_for_seed
from .unit_of_work import SessionFactory, default_sessions

__all__ = ["DEMO_ACCOUNTS", "SeedOptions", "SeedSummary", "seed_demo"]

log = logging.getLogger(__name__)
ISSUE_HOUR = time(6, 0)  # past cycles are issued at 06:00 on their invoice date


@dataclass(frozen=True)
class SeedSummary:
    agencies: int = 0
    users: int = 0
    calls: int = 0
    rollup_days: int = 0
    invoices: int = 0
    payments: int = 0


def seed_demo(options: SeedOptions, *, sessions: SessionFactory = default_sessions,
              progress: Progress | None = None) -> SeedSummary:
    """Fill an empty database with the demo portfolio (see :mod:`db.seed`).

    Everything written is stamped on ``options.today`` (past cycles on their
    own invoice mornings), never on the day the seed happens to run, so the
    demo reads the same whenever it was made. Refused (``RuntimeError``) on
    a database that already holds agencies.
    """
    written = _Written()
    try:
        with clock.frozen(datetime.combine(options.today, SEED_HOUR, ZONE)):
            return _seed(options, sessions, progress or (lambda message, fraction: None), written)
    except BaseException:
        if written.facts:  # ours, and only half done: back to the empty database we started from
            log.error("the demo seed failed after writing its facts; resetting the database to empty", exc_info=True)
            with sessions() as session:
                engine = session.get_bind()
            reset_database(engine)  # type: ignore[arg-type]
        raise


@dataclass
class _Written:
    """Whether this seed has committed anything yet. Until it has, a failure
    (another process seeding at the same moment, say) leaves nothing of ours
    to undo; after it has, the database held nothing else (the seed refuses
    one with agencies), so resetting it is all or nothing without touching
    anyone's data."""

    facts: bool = False


def _seed(options: SeedOptions, sessions: SessionFactory, report: Progress, written: _Written) -> SeedSummary:
    rng = random.Random(options.seed)  # one stream, in this order: the same seed gives the same data
    with sessions() as session:
        if agency_count(session=session):
            raise RuntimeError("the database already holds agencies; seed an empty database")
        facts = seed.write_demo_facts(session=session, options=options, rng=rng, progress=report)
    written.facts = True

    report("issuing past cycles", 0.8)
    invoices = _issue_past_cycles(facts.agencies, options.today, sessions)
    report("payments", 0.9)
    with sessions() as session:
        payments = seed.record_demo_payments(session=session, agencies=facts.agencies, rng=rng, today=options.today)
        seed.add_demo_accounts(session=session, agencies=facts.agencies)
    report("done", 1.0)
    return SeedSummary(agencies=len(facts.agencies), users=facts.users, calls=facts.calls,
                       rollup_days=facts.rollup_days, invoices=invoices, payments=payments)


def _issue_past_cycles(agencies: Sequence[DemoAgency], today: date, sessions: SessionFactory) -> int:
    """Issue every cycle whose invoice date is before ``today``, oldest first.

    Each is approved first, as a finance manager would have (the approvals
    keep the history as issued when approval is required). The cycle
    invoiced today is left for the finance manager to preview, review,
    approve and issue: that is the main thing the dashboard is for.
    """
    first = min(Cycle.containing(a.onboarded_on) for a in agencies)
    last = Cycle.invoiced_on_or_before(today - timedelta(days=1))
    issued, cycle = 0, first
    while cycle <= last:
        morning = datetime.combine(cycle.invoice_date, ISSUE_HOUR, ZONE)
        with clock.frozen(morning):
            approve_for_seed(cycle, actor=SEED_ACTOR, note="demo history", sessions=sessions)
            result = issue_cycle(cycle, actor=SEED_ACTOR, today=cycle.invoice_date, sessions=sessions, issued_at=morning)
        issued += len(result.issued)
        cycle = cycle.next()
    return issued
