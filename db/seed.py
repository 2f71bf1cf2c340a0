"""Deterministic demo data: generated here, written through the data layer.

``python manage.py seed`` (and the app, on an empty database) fills the
database with a portfolio that gives every page something to show: agencies
of all sizes and contract shapes, churn and returning users, daily call
volumes with a weekly rhythm, past cycles issued and mostly paid, and —
relative to ``today`` — agencies paid up, open, overdue, at risk and
restricted. The same seed, options and ``today`` always give the same data.

This module generates and inserts; the order of the steps (facts, then
issuing the past cycles, then payments and accounts, all on one random
stream) is the use case :func:`services.demo.seed_demo`.

History older than the cycle being billed lives in the daily rollup only
(call detail is kept for the cycle being billed and the running period);
the rollup is what billing reads, so the invoices are the same either way.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlmodel import Session

import clock
from billing import Cycle
from billing.calendar import DEFAULT_ZONE

from . import demo_names as names
from .accounts import add_account, assign_agencies
from .calls import DayTotals, NewCall, add_calls, add_to_rollup
from .ledger import record_adjustment, record_payment
from .models import (
    AccessSpan,
    Agency,
    AgencyContract,
    Appointment,
    DialerUser,
    DialingNumber,
    Invoice,
)

SEED_ACTOR = "demo-seed"

# (e-mail, name, role, password): the README lists them for signing in to the demo.
DEMO_CONTACT = "billing.contact@a-1001.example"
DEMO_CONTACT_AGENCY = "A-1001"
DEMO_ACCOUNTS = (
    ("finance@dialer-billing.example", "Fran Finance", "finance", "finance-demo-2026"),
    ("ops@dialer-billing.example", "Oscar Ops", "ops", "ops-demo-2026"),
    *((email, email.split("@")[0].replace(".", " ").title(), "account_manager", "manager-demo-2026")
      for email in names.ACCOUNT_MANAGERS),
    # The billing portal: the first agency's own billing contact (A-1001), read-only, that agency only.
    (DEMO_CONTACT, "Agency Billing Contact", "agency_contact", "contact-demo-2026"),
)
ZONE = ZoneInfo(DEFAULT_ZONE)
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class SeedOptions:
    agencies: int = 40
    months: int = 14
    seed: int = 2026
    today: date = field(default_factory=clock.today)
    calls_per_user_day: float = 6.0  # scales call volume in the detailed window (6.0: as much as the history)
    min_users: int = 5
    max_users: int = 150
    numbers_per_user: float = 0.5
    appointments_scale: float = 1.0  # 1.0: up to one appointment per 8 users on a weekday


@dataclass(frozen=True)
class DemoAgency:
    """What the later steps of the seed need to know about an agency written."""

    id: str
    onboarded_on: date
    account_manager: str | None


@dataclass(frozen=True)
class DemoFacts:
    """The facts :func:`write_demo_facts` wrote."""

    agencies: tuple[DemoAgency, ...]
    users: int
    calls: int
    rollup_days: int


@dataclass
class _Agency:
    row: Agency
    users: dict[str, list[list[date | None]]] = field(default_factory=dict)  # user -> [[start, end], ...]
    intensity: float = 1.0  # billable minutes per active user on a weekday
    transcribes: bool = False
    books_appointments: bool = False
    idle: frozenset[str] = frozenset()  # billed, but not dialing lately


WEEKDAY_FACTOR = (1.0, 1.05, 1.0, 0.95, 0.85, 0.25, 0.05)  # Monday .. Sunday


def _stamp(day: date, rng: random.Random, first_hour: int = 8, last_hour: int = 18) -> datetime:
    """A business-hours instant on ``day`` in the billing zone, as UTC."""
    local = datetime.combine(day, time(rng.randint(first_hour, last_hour), rng.randint(0, 59), rng.randint(0, 59)), ZONE)
    return local.astimezone(ZoneInfo("UTC"))


def _pick_sizes(rng: random.Random, options: SeedOptions) -> int:
    """Many small agencies, fewer mid-sized, a few large: within the bounds."""
    small, large = options.min_users, max(options.min_users, options.max_users)
    span = large - small
    roll = rng.random()
    if roll < 0.45:
        return rng.randint(small, small + round(span * 0.15))
    if roll < 0.85:
        return rng.randint(small + round(span * 0.15), small + round(span * 0.45))
    return rng.randint(small + round(span * 0.45), large)


def _contract(rng: random.Random, agency: Agency, size: int, effective: date, raise_fee: Decimal = Decimal(0)) -> AgencyContract:
    signal = rng.choice(("per_user", "per_user", "flat", "none"))
    minimum = rng.choice((5, 10, 15, 25)) if rng.random() < 0.7 else max(5, size + rng.randint(2, 8))
    return AgencyContract(
        agency_id=agency.id,
        effective_from=effective,
        user_fee=rng.choice((Decimal("99.00"), Decimal("120.00"), Decimal("135.00"), Decimal("150.00"))) + raise_fee,
        minimum_users=minimum,
        minute_rate=rng.choice((Decimal("0.0120"), Decimal("0.0140"), Decimal("0.0150"), Decimal("0.0175"))),
        licensing_fee=Decimal("50.00"),
        minute_block=rng.choice((100, 100, 500)),
        replenish_buffer_pct=rng.choice((Decimal("0"), Decimal("0"), Decimal("5"), Decimal("10"))),
        onboarding_minutes_per_user=2500,
        signal_mode=signal,
        signal_rate={"per_user": Decimal("25.00"), "flat": Decimal("199.00"), "none": None}[signal],
        number_cleaning_rate=rng.choice((Decimal("0.50"), Decimal("0.40"), None)),
        appointment_fee=rng.choice((Decimal("35.00"), Decimal("30.00"), None)),
        transcription_rate=rng.choice((Decimal("0.0200"), None)),
    )


def _simulate_users(rng: random.Random, onboarded: date, today: date, size: int, prefix: str) -> dict[str, list[list[date | None]]]:
    """Access spans with churn, growth and returning users, day by day."""
    users: dict[str, list[list[date | None]]] = {}
    active: list[str] = []
    departed: list[str] = []
    counter = 0

    def new_user() -> str:
        nonlocal counter
        counter += 1
        return f"{prefix}-u{counter:03d}"

    for _ in range(max(1, round(size * rng.uniform(0.7, 0.95)))):
        user = new_user()
        users[user] = [[onboarded, None]]
        active.append(user)
    target = size
    day = onboarded + timedelta(days=1)
    while day <= today:
        if day.weekday() < 5:
            for user in list(active):
                if rng.random() < 0.0022:  # about 5% of users leave in a month
                    users[user][-1][1] = day
                    active.remove(user)
                    departed.append(user)
            if len(active) < target and rng.random() < 0.35:
                if departed and rng.random() < 0.2:
                    user = departed.pop(rng.randrange(len(departed)))  # a returning user
                    users[user].append([day, None])
                else:
                    user = new_user()
                    users[user] = [[day, None]]
                active.append(user)
        if day.day == 1:
            target = max(1, target + rng.choice((-1, 0, 0, 1, 1, 2)))
        day += timedelta(days=1)
    return users


def _active_on(spans: dict[str, list[list[date | None]]], day: date) -> list[str]:
    return [
        user for user, user_spans in spans.items()
        if any(s[0] <= day and (s[1] is None or day < s[1]) for s in user_spans)  # type: ignore[operator]
    ]


def _call_duration(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.3:
        return rng.randint(0, 30)  # no answer, voicemail
    if roll < 0.8:
        return rng.randint(31, 240)
    return rng.randint(241, 1500)


AVERAGE_CALL_MINUTES = 4.63  # mean of rounded-up minutes of _call_duration (measured)
DEFAULT_CALLS_PER_USER_DAY = 6.0


SEED_HOUR = time(9, 0)  # when, on its own ``today``, the seed says it wrote what it wrote


def write_demo_facts(*, session: Session, options: SeedOptions, rng: random.Random, progress: Progress) -> DemoFacts:
    """Agencies, contracts, users and access spans, dialing numbers,
    appointments and usage (calls, or the daily rollup for older history)
    up to ``options.today``, drawn from ``rng``; nothing is issued or paid."""
    report = progress
    today = options.today
    history_start = today - timedelta(days=round(options.months * 30.44))
    detail_from = Cycle.invoiced_on_or_before(today - timedelta(days=1)).next().closed_period.start

    agencies: list[_Agency] = []
    recent = {options.agencies - 1: 17, options.agencies - 2: 48} if options.agencies >= 4 else {}
    for index in range(options.agencies):
        if index in recent:
            onboarded = today - timedelta(days=recent[index])
        elif index % 7 == 3:
            onboarded = history_start + timedelta(days=rng.randint(90, 240))
        else:
            onboarded = history_start + timedelta(days=rng.randint(0, 40))
        city, state, zip_code, _ = rng.choice(names.CITIES)
        row = Agency(
            id=f"A-{1001 + index}",
            name=names.agency_name(index),
            onboarded_on=onboarded,
            address=f"{rng.randint(100, 9800)} {rng.choice(names.STREETS)}, Suite {rng.randint(1, 9)}00\n{city}, {state} {zip_code}",
            billing_email=f"billing@{names.agency_name(index).lower().split()[0].strip('.,&').replace(chr(39), '')}.example",
            account_manager=names.ACCOUNT_MANAGERS[index % len(names.ACCOUNT_MANAGERS)],
        )
        size = _pick_sizes(rng, options)
        agency = _Agency(row, intensity=rng.uniform(12, 24))
        agency.users = _simulate_users(rng, onboarded, today, size, f"{1001 + index}")
        agency.idle = frozenset(rng.sample(sorted(agency.users), k=len(agency.users) // 20))
        contract = _contract(rng, row, size, onboarded)
        agency.transcribes = contract.transcription_rate is not None
        agency.books_appointments = contract.appointment_fee is not None
        session.add(row)
        session.flush()
        session.add(contract)
        if index % 4 == 1 and today - onboarded > timedelta(days=240):
            change = today - timedelta(days=rng.randint(120, 200))
            raised = _contract(rng, row, size, change, raise_fee=Decimal("10.00"))
            raised.minute_rate, raised.signal_mode, raised.signal_rate = (
                contract.minute_rate, contract.signal_mode, contract.signal_rate)
            session.add(raised)
        agencies.append(agency)
    session.flush()
    report("agencies and contracts", 0.05)

    _write_users(session, agencies, rng)
    report("users and access spans", 0.1)
    _write_numbers_and_appointments(session, agencies, rng, options)
    report("dialing numbers and appointments", 0.15)
    rollup_days, calls = _write_usage(session, agencies, rng, options, detail_from, report)
    return DemoFacts(
        agencies=tuple(DemoAgency(a.row.id, a.row.onboarded_on, a.row.account_manager) for a in agencies),
        users=sum(len(a.users) for a in agencies),
        calls=calls,
        rollup_days=rollup_days,
    )


def _write_users(session: Session, agencies: list[_Agency], rng: random.Random) -> None:
    user_rows, span_rows = [], []
    for agency in agencies:
        for user_id, spans in agency.users.items():
            first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
            user_rows.append({"agency_id": agency.row.id, "user_id": user_id, "name": f"{first} {last}",
                              "email": f"{user_id}@{agency.row.id.lower()}.example"})
            for start, end in spans:
                span_rows.append({
                    "agency_id": agency.row.id, "user_id": user_id,
                    "activated_at": _stamp(start, rng, 8, 11),  # type: ignore[arg-type]
                    "deactivated_at": None if end is None else _stamp(end, rng, 7, 9),
                    "start_on": start, "end_on": end,
                })
    session.execute(insert(DialerUser), user_rows)
    session.execute(insert(AccessSpan), span_rows)


def _write_numbers_and_appointments(session: Session, agencies: list[_Agency], rng: random.Random,
                                    options: SeedOptions) -> None:
    today = options.today
    number_rows, appointment_rows = [], []
    for index, agency in enumerate(agencies):
        onboarded = agency.row.onboarded_on
        area = names.CITIES[index % len(names.CITIES)][3]
        for n in range(max(2, round(len(agency.users) * options.numbers_per_user))):
            start = onboarded + timedelta(days=rng.choice((0, 0, 0, rng.randint(0, max(1, (today - onboarded).days)))))
            end = None
            if rng.random() < 0.15 and (today - start).days > 30:
                end = start + timedelta(days=rng.randint(30, (today - start).days))
            exchange = (index * 7919 + n // 10000) % 900 + 100
            number_rows.append({"agency_id": agency.row.id, "number": f"+1{area}{exchange:03d}{n % 10000:04d}",
                                "active_from": start, "active_to": end})
        if not agency.books_appointments:
            continue
        day, serial = onboarded, 0
        while day <= today:
            if day.weekday() < 5:
                for _ in range(rng.randint(0, max(1, round(len(agency.users) / 8 * options.appointments_scale)))):
                    serial += 1
                    status = "completed" if day < today and rng.random() < 0.82 else rng.choice(("cancelled", "no_show"))
                    appointment_rows.append({"appointment_id": f"{agency.row.id}-ap{serial:06d}", "agency_id": agency.row.id,
                                             "day": day, "status": status})
            day += timedelta(days=1)
    for chunk in range(0, len(number_rows), 20000):
        session.execute(insert(DialingNumber), number_rows[chunk:chunk + 20000])
    for chunk in range(0, len(appointment_rows), 20000):
        session.execute(insert(Appointment), appointment_rows[chunk:chunk + 20000])


def _write_usage(session: Session, agencies: list[_Agency], rng: random.Random, options: SeedOptions,
                 detail_from: date, report: Progress) -> tuple[int, int]:
    """Rollup-only history before ``detail_from``; individual calls after."""
    today = options.today
    rollup: dict[tuple[str, date], DayTotals] = {}
    calls_written = 0
    for done, agency in enumerate(agencies, start=1):
        day = agency.row.onboarded_on
        pending: list[NewCall] = []
        while day <= today:
            active = _active_on(agency.users, day)
            factor = WEEKDAY_FACTOR[day.weekday()] * rng.uniform(0.85, 1.15)
            if day == today:
                factor *= 0.4  # the day is not over yet
            if active and day < detail_from:
                minutes = round(len(active) * agency.intensity * factor)
                calls = round(minutes / AVERAGE_CALL_MINUTES)
                rollup[(agency.row.id, day)] = DayTotals(
                    calls=calls, billable_minutes=minutes,
                    transcribed_seconds=round(minutes * 60 * 0.55) if agency.transcribes else 0,
                )
            elif active and (callers := [u for u in active if u not in agency.idle]):
                minutes = len(active) * agency.intensity * factor * options.calls_per_user_day / DEFAULT_CALLS_PER_USER_DAY
                count = round(minutes / AVERAGE_CALL_MINUTES)
                for serial in range(count):
                    duration = _call_duration(rng)
                    pending.append(NewCall(
                        call_id=f"{agency.row.id}-{day:%Y%m%d}-{serial:05d}",
                        agency_id=agency.row.id, user_id=rng.choice(callers),
                        started_at=_stamp(day, rng), started_on=day, duration_seconds=duration,
                        transcribed_seconds=round(duration * 0.9) if agency.transcribes and duration > 20 else 0,
                    ))
            day += timedelta(days=1)
            if len(pending) >= 20000:
                calls_written += add_calls(session, pending)
                pending = []
        calls_written += add_calls(session, pending)
        report(f"calls for {agency.row.name}", 0.15 + 0.65 * done / len(agencies))
    add_to_rollup(session, rollup)
    _mark_idle_users(session, agencies, rng, detail_from)
    return len(rollup), calls_written


def _mark_idle_users(session: Session, agencies: list[_Agency], rng: random.Random, detail_from: date) -> None:
    """Users whose calls are in the rollup only still get a plausible last call day."""
    for agency in agencies:
        for user_id, spans in agency.users.items():
            end = spans[-1][1]
            if user_id in agency.idle and end is None:
                session.execute(
                    update(DialerUser).where(DialerUser.agency_id == agency.row.id, DialerUser.user_id == user_id)
                    .values(last_call_on=max(spans[-1][0], detail_from - timedelta(days=rng.randint(8, 40))))  # type: ignore[type-var]
                )
            elif end is not None and end <= detail_from:
                session.execute(
                    update(DialerUser).where(DialerUser.agency_id == agency.row.id, DialerUser.user_id == user_id)
                    .values(last_call_on=end - timedelta(days=rng.randint(1, 10)))
                )


def add_demo_accounts(*, session: Session, agencies: Sequence[DemoAgency]) -> None:
    """One account per role; each account manager gets their agencies, the agency contact its agency."""
    for email, name, role, password in DEMO_ACCOUNTS:
        add_account(session, email=email, name=name, role=role, password=password, actor=SEED_ACTOR)
        if role == "account_manager":
            assign_agencies(session, email=email, agency_ids=[a.id for a in agencies if a.account_manager == email],
                            actor=SEED_ACTOR)
        elif role == "agency_contact":
            assign_agencies(session, email=email, agency_ids=[a.id for a in agencies if a.id == DEMO_CONTACT_AGENCY],
                            actor=SEED_ACTOR)


def record_demo_payments(*, session: Session, agencies: Sequence[DemoAgency], rng: random.Random, today: date) -> int:
    """Payments (and a few debit adjustments) for the issued invoices: mostly
    paid on time; a planned few paid late, partly, or not at all."""
    invoices: dict[str, list[Invoice]] = defaultdict(list)
    for invoice in session.scalars(select(Invoice).order_by(Invoice.invoice_date)):
        invoices[invoice.agency_id].append(invoice)
    established = [a.id for a in agencies if len(invoices[a.id]) >= 3]
    plan: dict[str, str] = {}
    candidates = iter(rng.sample(established, len(established)))
    plan_counts = (("restricted", 2), ("at_risk", 3), ("overdue", 3), ("open", 3), ("credit", 1), ("late", 3))
    if len(established) < sum(n for _, n in plan_counts):  # a small portfolio still shows every status
        plan_counts = (("restricted", 1), ("at_risk", 1), ("overdue", 1), ("open", 1), ("credit", 1), ("late", 1))
    for status, count in plan_counts:
        for agency_id in [next(candidates, None) for _ in range(count)]:
            if agency_id is not None:
                plan[agency_id] = status

    payments = 0
    for agency in agencies:
        agency_id = agency.id
        status = plan.get(agency_id)
        own = invoices[agency_id]
        unpaid: set[str] = set()
        if status == "restricted":
            overdue_enough = [i for i in own if (today - i.due_date).days >= 15]
            unpaid = {i.number for i in overdue_enough[-1:]}
        for invoice in own:
            if invoice.number in unpaid:
                continue
            lag = rng.randint(1, 6) if status != "late" else rng.randint(8, 14)
            paid_on = min(invoice.due_date + timedelta(days=lag - 6), today)
            amount = invoice.total
            if status == "credit" and invoice is own[-1]:
                amount += Decimal("250.00")
            reference = f"ACH-{invoice.number}" if rng.random() < 0.7 else f"CHK-{rng.randint(10000, 99999)}-{invoice.number[-9:]}"
            record_payment(session, agency_id=agency_id, amount=amount, paid_on=paid_on, actor=SEED_ACTOR,
                           invoice_number=invoice.number if rng.random() < 0.6 else None, reference=reference)
            payments += 1
        if status == "restricted" and own:
            partial = (own[-1].total * Decimal("0.4")).quantize(Decimal("0.01"))
            if own[-1].number in unpaid and partial > 0:
                record_payment(session, agency_id=agency_id, amount=partial, paid_on=min(own[-1].due_date + timedelta(days=3), today),
                               actor=SEED_ACTOR, invoice_number=own[-1].number, reference=f"PART-{own[-1].number}")
                payments += 1
        days = {"at_risk": 12, "overdue": 4, "open": -6}.get(status or "")
        if days is not None and own:
            due_on = today - timedelta(days=days)
            record_adjustment(
                session, agency_id=agency_id, kind="debit", amount=Decimal(rng.choice(("150.00", "275.50", "420.00"))),
                on_date=min(due_on - timedelta(days=14), today), due_on=due_on, actor=SEED_ACTOR, invoice_number=own[-1].number,
                reason="Catch-up: licensing fees for users activated before the cutoff but reported after it",
            )
    return payments
